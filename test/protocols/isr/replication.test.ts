/**
 * ISR replication's rules, each in a scripted scenario: acks=all waits for the whole ISR (the
 * `ack-before-isr` and `hw-from-leader-only` mutants answer at once, and are caught here), a
 * produce below min.insync.replicas is refused before it is appended, the ISR shrinks by lag
 * time and grows back once the follower catches up, and stale epochs are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaderEpochCache } from '../../../src/protocols/isr/leader-epoch-cache.js';
import { isrMutantsFor } from '../../../src/protocols/isr/mutants.js';
import { IsrHarness, P } from './isr-harness.js';

const ABC = ['a', 'b', 'c'] as const;
const LEADS = { replicas: ABC, leader: 'a', leaderEpoch: 1, isr: ABC, partitionEpoch: 1 };

/** a leads; c hears nothing, so only a and b hold a record produced now. */
function cCutOff(mutant: string | undefined): { h: IsrHarness; req: number } {
  const h = new IsrHarness(ABC, mutant, 2);
  h.assign(LEADS);
  h.drop = (from, to) => from === 'c' || to === 'c';
  const req = h.produce('a', 7);
  h.advance(40);
  return { h, req };
}

test('acks=all waits for every ISR member: c never fetched, so no answer', () => {
  const { h, req } = cCutOff(undefined);
  assert.equal(h.replies.get(req), undefined);
  assert.equal(h.rm('a').logOf(P).hw, 0);
  // c comes back: the HW passes the record and the produce is answered.
  h.drop = () => false;
  h.advance(40);
  assert.deepEqual(h.replies.get(req), { ok: true, value: { offset: 0 } });
  assert.deepEqual(h.values('c'), [7]);
});

for (const mutant of ['ack-before-isr', 'hw-from-leader-only']) {
  test(`${mutant}: answered while c lacks the record (mutant caught)`, () => {
    const { h, req } = cCutOff(mutant);
    assert.deepEqual(h.replies.get(req), { ok: true, value: { offset: 0 } });
    assert.deepEqual(h.values('c'), []);
  });
}

test('acks=1 is answered at the append, below min.insync.replicas too', () => {
  const h = new IsrHarness(ABC, undefined, 2);
  h.assign({ ...LEADS, isr: ['a'] });
  const req = h.produce('a', 1, 1);
  assert.deepEqual(h.replies.get(req), { ok: true, value: { offset: 0 } });
  assert.equal(h.rm('a').logOf(P).hw, 0, 'not yet on disk: not committed');
});

test('below min.insync.replicas a produce is refused, definitely, before the append', () => {
  const h = new IsrHarness(ABC, undefined, 2);
  h.assign({ ...LEADS, isr: ['a'] });
  const req = h.produce('a', 1);
  assert.deepEqual(h.replies.get(req), {
    ok: false,
    error: 'NOT_ENOUGH_REPLICAS',
    definite: true,
  });
  assert.equal(h.rm('a').logOf(P).leo, 0);
});

test('the ISR shrinks by lag time and grows back once the follower has caught up', () => {
  const h = new IsrHarness(ABC, undefined, 2, 100);
  h.assign(LEADS);
  h.advance(20);
  h.drop = (from, to) => from === 'c' || to === 'c';
  h.produce('a', 1);
  h.advance(150);
  assert.deepEqual(h.alters.at(-1), {
    partition: P,
    leaderEpoch: 1,
    partitionEpoch: 1,
    isr: ['a', 'b'],
  });
  h.assign({ ...LEADS, isr: ['a', 'b'], partitionEpoch: 2 });
  assert.equal(h.rm('a').logOf(P).hw, 1, 'without c the HW moves');
  h.drop = () => false;
  h.advance(30);
  assert.deepEqual(h.alters.at(-1), {
    partition: P,
    leaderEpoch: 1,
    partitionEpoch: 2,
    isr: ['a', 'b', 'c'],
  });
});

test('a leader refuses a fetch of an older epoch, and a follower of a newer one', () => {
  const h = new IsrHarness(ABC, undefined, 2);
  h.assign({ ...LEADS, leaderEpoch: 3 }, ['a']);
  const fetch = {
    type: 'isr-fetch',
    partition: P,
    fetchOffset: 0,
    lastFetchedEpoch: -1,
    fetchId: 1,
  } as const;
  const role = h.rm('a').roleOf(P);
  assert.equal(role?.kind, 'leader');
  if (role?.kind !== 'leader') return;
  assert.equal(role.leader.onFetch('b', { ...fetch, leaderEpoch: 2 }).error, 'FENCED_LEADER_EPOCH');
  assert.equal(
    role.leader.onFetch('b', { ...fetch, leaderEpoch: 4 }).error,
    'UNKNOWN_LEADER_EPOCH',
  );
  assert.equal(role.leader.onFetch('b', { ...fetch, leaderEpoch: 3 }).error, null);
});

test('the leader-epoch cache answers where each epoch ends', () => {
  const c = new LeaderEpochCache();
  c.assign(1, 0);
  c.assign(3, 5);
  c.assign(4, 9);
  assert.deepEqual(c.endOffsetFor(1, 12), { epoch: 1, endOffset: 5 });
  assert.deepEqual(c.endOffsetFor(2, 12), { epoch: 1, endOffset: 5 });
  assert.deepEqual(c.endOffsetFor(4, 12), { epoch: 4, endOffset: 12 });
  assert.deepEqual(c.endOffsetFor(0, 12), { epoch: -1, endOffset: 0 });
  c.truncateFrom(9);
  assert.equal(c.latestEpoch(), 3);
  assert.throws(() => c.assign(2, 10), /epochs-ascend/);
});

test('an unknown ISR mutant is refused by name', () => {
  assert.throws(() => isrMutantsFor('nope'), /unknown ISR mutant 'nope'/);
});
