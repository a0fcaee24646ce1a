import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sfc32 } from '../../../src/core/random.js';
import {
  HlcError,
  HybridLogicalClock,
  compareHlc,
  type HlcTimestamp,
} from '../../../src/protocols/clocks/hybrid-logical-clock.js';

/** A node's physical clock: true time plus a fixed offset, advanced by the test. */
class FakeClock {
  constructor(
    public trueTime: number,
    readonly offset: number,
  ) {}
  now = (): number => this.trueTime + this.offset;
}

test('hlc: successive local events get strictly increasing timestamps even when the physical clock stands still', () => {
  const clock = new FakeClock(100, 0);
  const hlc = new HybridLogicalClock(clock.now);
  const a = hlc.now();
  const b = hlc.now();
  clock.trueTime = 99; // a step backwards must not reorder
  const c = hlc.now();
  assert.deepEqual(
    [a, b, c],
    [
      { wall: 100, logical: 0 },
      { wall: 100, logical: 1 },
      { wall: 100, logical: 2 },
    ],
  );
});

test('hlc: receiving a timestamp from a clock ahead moves wall forward and orders the receive after the send', () => {
  const hlc = new HybridLogicalClock(new FakeClock(100, 0).now);
  const received = hlc.update({ wall: 150, logical: 3 });
  assert.deepEqual(received, { wall: 150, logical: 4 });
  assert.ok(compareHlc(hlc.now(), received) > 0);
});

test('hlc: the four receive cases of Kulkarni et al. (Figure 5)', () => {
  const at = (wall: number, logical: number, physical: number) => {
    const hlc = new HybridLogicalClock(() => physical);
    hlc.restoreAtLeast({ wall, logical });
    return hlc;
  };
  // local and remote share the largest wall: max of both counters + 1
  assert.deepEqual(at(10, 2, 5).update({ wall: 10, logical: 7 }), { wall: 10, logical: 8 });
  // local wall largest
  assert.deepEqual(at(10, 2, 5).update({ wall: 9, logical: 7 }), { wall: 10, logical: 3 });
  // remote wall largest
  assert.deepEqual(at(8, 2, 5).update({ wall: 9, logical: 7 }), { wall: 9, logical: 8 });
  // physical time largest: counter resets
  assert.deepEqual(at(8, 2, 12).update({ wall: 9, logical: 7 }), { wall: 12, logical: 0 });
});

test('hlc: a remote timestamp further ahead than the max offset is refused with a typed code, and the clock is unchanged', () => {
  const hlc = new HybridLogicalClock(() => 1_000, { maxOffsetMs: 500 });
  const before = hlc.now();
  assert.throws(
    () => hlc.update({ wall: 1_501, logical: 0 }),
    (e: unknown) => e instanceof HlcError && e.code === 'remote-clock-ahead',
  );
  assert.deepEqual(hlc.peek(), before);
  assert.deepEqual(hlc.update({ wall: 1_500, logical: 0 }), { wall: 1_500, logical: 1 });
});

test('hlc: bad options and malformed remote timestamps are refused', () => {
  assert.throws(() => new HybridLogicalClock(() => 0, { maxOffsetMs: -1 }), RangeError);
  const hlc = new HybridLogicalClock(() => 0);
  assert.throws(
    () => hlc.update({ wall: Number.NaN, logical: 0 }),
    (e: unknown) => e instanceof HlcError && e.code === 'invalid-timestamp',
  );
  assert.throws(
    () => hlc.update({ wall: 1, logical: 0.5 }),
    (e: unknown) => e instanceof HlcError && e.code === 'invalid-timestamp',
  );
});

/**
 * The paper's theorems over random message exchanges between nodes whose clocks are offset by
 * up to ε and advance at random: (1) e → f implies hlc(e) < hlc(f); (2) wall − physical ≤ ε at
 * every node, i.e. wall never runs further ahead of a node's own clock than the offset between
 * clocks; (3) the logical counter stays bounded (the paper bounds it by the number of events in
 * an ε window).
 */
test('hlc properties: causality is ordered, wall stays within ε of physical time, the counter stays bounded', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = new Sfc32(seed, 'hlc-properties');
    const epsilon = rnd.range(0, 50);
    const n = 2 + rnd.int(4);
    const clocks = Array.from({ length: n }, () => new FakeClock(0, rnd.range(0, epsilon)));
    const hlcs = clocks.map((c) => new HybridLogicalClock(c.now, { maxOffsetMs: epsilon }));
    const inFlight: { to: number; ts: HlcTimestamp }[] = [];
    let trueTime = 0;
    let maxLogical = 0;
    for (let step = 0; step < 2_000; step++) {
      trueTime += rnd.chance(0.3) ? rnd.range(0, 5) : 0;
      for (const c of clocks) c.trueTime = trueTime;
      const i = rnd.int(n);
      let ts: HlcTimestamp;
      if (inFlight.length > 0 && rnd.chance(0.5)) {
        const m = inFlight.splice(rnd.int(inFlight.length), 1)[0]!;
        ts = hlcs[m.to]!.update(m.ts);
        assert.ok(compareHlc(ts, m.ts) > 0, `seed ${seed}: a receive is after its send`);
        assertWithin(m.to, ts);
      } else {
        const before = hlcs[i]!.peek();
        ts = hlcs[i]!.now();
        assert.ok(
          compareHlc(ts, before) > 0,
          `seed ${seed}: a local event is after the previous one`,
        );
        assertWithin(i, ts);
        if (rnd.chance(0.6)) inFlight.push({ to: rnd.int(n), ts });
      }
      maxLogical = Math.max(maxLogical, ts.logical);
    }
    // Every event of the run could share one wall value only if physical time stood still.
    assert.ok(maxLogical < 2_000, `seed ${seed}: logical ${maxLogical}`);

    function assertWithin(node: number, ts: HlcTimestamp): void {
      const physical = clocks[node]!.now();
      assert.ok(ts.wall >= physical, `seed ${seed}: wall never behind the node's own clock`);
      assert.ok(
        ts.wall - physical <= epsilon + 1e-9,
        `seed ${seed}: wall ${ts.wall} is more than ε=${epsilon} past ${physical}`,
      );
    }
  }
});
