/**
 * Read-index confirmation and the lease bound (read-index.ts, §6.4) pinned on the classes
 * themselves: a read is answered only after a majority echoed a round that started after it
 * arrived, and a lease lasts only electionMin·(1−ρ)/(1+ρ) from the start of a confirmed round.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FollowerReads,
  leaseDuration,
  ReadRounds,
  type Reader,
} from '../../../src/protocols/raft/read-index.js';

const client = (request: number): Reader => ({ kind: 'client', request, query: null });
const peer = (ctx: string): Reader => ({ kind: 'peer', from: 'n2', ctx });
const requests = (reads: { reader: Reader }[]): unknown[] =>
  reads.map((r) => (r.reader.kind === 'client' ? r.reader.request : r.reader.ctx));

test('read-index confirmation: a read waits for a round started after it arrived', () => {
  const r = new ReadRounds();
  assert.equal(r.add(client(1), 5), true, 'no round in flight: start one now');
  assert.equal(r.start(100), 1);
  assert.equal(r.round, 1);
  assert.equal(r.pending, 1);
  assert.deepEqual(r.takeReady(10), [], 'not confirmed yet');
  assert.equal(r.confirm(1), false);
  assert.equal(r.confirmed, 1);
  assert.deepEqual(requests(r.takeReady(10)), [1]);
  assert.equal(r.pending, 0);
});

test('read-index confirmation: a read arriving during round r waits for round r + 1', () => {
  const r = new ReadRounds();
  r.add(client(1), 5);
  r.start(100);
  assert.equal(r.add(client(2), 6), false, 'round 1 is in flight: batch into the next');
  assert.equal(r.confirm(1), true, 'round 1 confirmed with a read waiting: start round 2');
  assert.deepEqual(requests(r.takeReady(10)), [1], 'the second read is not confirmed by round 1');
  assert.equal(r.start(200), 2);
  assert.equal(r.confirm(1), false, 'an old echo confirms nothing');
  assert.equal(r.confirm(2), false, 'nothing left waiting');
  assert.deepEqual(requests(r.takeReady(10)), [2]);
});

test('read-index confirmation: no new round is asked for when nothing waits', () => {
  const r = new ReadRounds();
  r.add(client(1), 5);
  r.start(0);
  assert.equal(r.confirm(1), false);
  r.start(10);
  assert.equal(r.confirm(2), false, 'a heartbeat round with no read waiting');
  assert.equal(r.add(client(2), 5), true, 'the round in flight is confirmed: a read starts one');
});

test("read-index: a client read waits for its index to apply, a follower's request does not", () => {
  const r = new ReadRounds();
  r.add(client(1), 8);
  r.add(peer('c1'), 9);
  r.add(client(2), 3);
  r.start(0);
  r.confirm(1);
  assert.deepEqual(requests(r.takeReady(3)), ['c1', 2], 'applied through 3 only');
  assert.deepEqual(requests(r.takeReady(7)), []);
  assert.deepEqual(requests(r.takeReady(8)), [1], 'applied through exactly the read index');
  assert.deepEqual(r.takeReady(100), []);
});

test('lease: reads under a valid lease need no round and wait only to apply', () => {
  const r = new ReadRounds();
  r.addConfirmed(client(1), 4);
  assert.equal(r.pending, 1);
  assert.equal(r.round, 0, 'no round started');
  assert.deepEqual(r.takeReady(3), []);
  const [read] = r.takeReady(4);
  assert.equal(read?.round, 0);
  assert.equal(read?.readIndex, 4);
});

test("lease bound: valid from the confirmed round's start for the duration, not after", () => {
  const r = new ReadRounds();
  assert.equal(r.leaseValid(0, 1000), false, 'no round confirmed: no lease');
  r.start(100);
  r.start(250);
  assert.equal(r.leaseValid(150, 1000), false, 'started is not confirmed');
  r.confirm(1);
  assert.equal(r.leaseValid(100, 50), true, "at the round's start");
  assert.equal(r.leaseValid(149, 50), true);
  assert.equal(r.leaseValid(150, 50), false, 'start + duration is past the lease');
  assert.equal(r.leaseValid(99, 50), false, 'before the round started (a clock that went back)');
  r.confirm(2);
  assert.equal(r.leaseValid(260, 50), true, 'the later round moves the lease start');
  assert.equal(r.leaseValid(300, 50), false);
});

test('lease bound: a later confirmation of an older start never moves the lease back', () => {
  const r = new ReadRounds();
  r.start(100);
  r.start(200);
  r.confirm(2);
  assert.equal(r.leaseValid(240, 50), true);
  r.confirm(1);
  assert.equal(r.leaseValid(240, 50), true, 'round 1 is older than the confirmed one');
  r.start(300);
  r.start(400);
  r.confirm(4);
  assert.equal(r.leaseValid(420, 50), true);
  r.confirm(3);
  assert.equal(r.leaseValid(420, 50), true, "round 3's start (300) was forgotten with 4");
});

test('lease duration is electionMin·(1−ρ)/(1+ρ)', () => {
  assert.equal(leaseDuration(150, 0), 150);
  assert.equal(leaseDuration(300, 0.5), 100);
  assert.ok(Math.abs(leaseDuration(1000, 0.1) - 818.1818) < 1e-3);
});

test('drain: a deposed leader turns every pending read away and loses its lease', () => {
  const r = new ReadRounds();
  r.add(client(1), 1);
  r.start(0);
  r.add(client(2), 1);
  r.confirm(1);
  r.add(client(3), 1);
  assert.deepEqual(requests(r.drain()), [1, 2, 3]);
  assert.equal(r.pending, 0);
  assert.equal(r.leaseValid(1, 1000), false);
  assert.deepEqual(r.takeReady(100), []);
});

test('follower reads: one request outstanding, later reads queue for the next', () => {
  const f = new FollowerReads();
  assert.equal(f.empty, true);
  assert.equal(f.hold({ request: 1, query: null }), true);
  assert.equal(f.empty, false);
  assert.equal(f.wantsRequest, true);
  f.send('a', 1);
  assert.equal(f.wantsRequest, false);
  assert.equal(f.hold({ request: 2, query: null }), false, 'a request is outstanding');
  assert.equal(f.wantsRequest, false);
  assert.equal(f.answer('b', 7), false, 'not the outstanding request');
  assert.equal(f.answer('a', 7), true);
  assert.equal(f.wantsRequest, true);
  assert.deepEqual(f.servable(6), [], "not applied through the leader's index");
  const served = f.servable(7);
  assert.deepEqual(
    served.map((b) => [b.ctx, b.index, b.reads.map((r) => r.request)]),
    [['a', 7, [1]]],
  );
  assert.deepEqual(f.servable(100), []);
  assert.deepEqual(
    f.takeQueued().map((r) => r.request),
    [2],
  );
  assert.equal(f.empty, true);
});

test('follower reads: refusal, expiry and drain remove exactly the named batch', () => {
  const f = new FollowerReads();
  f.hold({ request: 1, query: null });
  f.send('a', 1);
  assert.equal(f.refuse('b'), undefined);
  assert.equal(f.refuse('a')?.ctx, 'a');
  assert.equal(f.refuse('a'), undefined);
  f.hold({ request: 2, query: null });
  f.send('b', 2);
  f.answer('b', 3);
  f.hold({ request: 3, query: null });
  f.send('c', 3);
  assert.equal(f.expire('z'), undefined);
  assert.equal(f.expire('b')?.ctx, 'b', 'an answered batch expires');
  assert.equal(f.expire('b'), undefined);
  assert.equal(f.servable(10).length, 0);
  f.hold({ request: 4, query: null });
  const d = f.drain();
  assert.deepEqual(
    d.batches.map((b) => b.ctx),
    ['c'],
  );
  assert.deepEqual(
    d.queued.map((r) => r.request),
    [4],
  );
  assert.equal(f.empty, true);
  f.hold({ request: 5, query: null });
  f.send('d', 4);
  assert.equal(f.expire('d')?.ctx, 'd', 'the outstanding request expires');
  assert.equal(f.empty, true);
});

test('follower reads: batches are served in the order they were sent', () => {
  const f = new FollowerReads();
  f.hold({ request: 1, query: null });
  f.send('a', 1);
  f.answer('a', 5);
  f.hold({ request: 2, query: null });
  f.send('b', 2);
  f.answer('b', 3);
  f.hold({ request: 3, query: null });
  f.send('c', 3);
  f.answer('c', 9);
  assert.deepEqual(
    f.servable(5).map((b) => b.ctx),
    ['a', 'b'],
  );
  const d = f.drain();
  assert.deepEqual(
    d.batches.map((b) => b.ctx),
    ['c'],
  );
});

test('read-index confirmation: a read carried by a round already started asks for no other', () => {
  const r = new ReadRounds();
  r.start(0);
  assert.equal(r.add(client(1), 5), false, 'round 1 (a heartbeat) is in flight');
  r.start(5);
  assert.equal(r.confirm(1), false, 'round 2, already started, carries the read');
  assert.deepEqual(r.takeReady(10), []);
  assert.equal(r.confirm(2), false);
  assert.deepEqual(requests(r.takeReady(10)), [1]);
});

test('read-index confirmation: an old or repeated echo changes nothing', () => {
  const r = new ReadRounds();
  r.start(0);
  r.start(10);
  assert.equal(r.confirm(2), false);
  assert.equal(r.confirm(1), false);
  assert.equal(r.confirmed, 2, 'confirmation never moves back');
  const q = new ReadRounds();
  q.start(0);
  q.add(client(1), 5);
  assert.equal(q.confirm(1), true, 'a read waits for round 2: start it');
  assert.equal(q.confirm(1), false, 'the same echo again asks for nothing');
});

test('lease bound: an echo of a round never started keeps the lease where it was', () => {
  const r = new ReadRounds();
  r.start(100);
  r.confirm(1);
  r.confirm(2);
  assert.equal(r.leaseValid(120, 50), true);
});

test('lease bound: after drain the next confirmed round leases again', () => {
  const r = new ReadRounds();
  r.start(100);
  r.confirm(1);
  r.drain();
  assert.equal(r.leaseValid(120, 50), false);
  r.start(200);
  r.confirm(2);
  assert.equal(r.leaseValid(220, 50), true);
});

test('follower reads: empty and wantsRequest in every state', () => {
  const f = new FollowerReads();
  assert.equal(f.wantsRequest, false, 'nothing queued');
  assert.equal(f.answer('a', 1), false, 'nothing outstanding');
  assert.equal(f.expire('a'), undefined, 'nothing to expire');
  f.hold({ request: 1, query: null });
  f.send('a', 1);
  assert.equal(f.empty, false, 'a request outstanding');
  f.answer('a', 4);
  assert.equal(f.empty, false, 'an answered batch held');
  assert.equal(f.wantsRequest, false, 'answered, nothing queued');
});

test('follower reads: an answered batch expires alone, the others stay servable', () => {
  const f = new FollowerReads();
  f.hold({ request: 1, query: null });
  f.send('a', 1);
  f.answer('a', 5);
  f.hold({ request: 2, query: null });
  f.send('b', 2);
  f.answer('b', 6);
  assert.equal(f.expire('a')?.ctx, 'a', 'expired with no request outstanding');
  assert.deepEqual(
    f.servable(10).map((b) => b.ctx),
    ['b'],
  );
});
