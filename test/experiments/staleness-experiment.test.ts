/**
 * staleness (PBS t-visibility): on the simulated Dynamo store a read t ms after a write's
 * acknowledgement misses it with a probability that falls with t for partial quorums, and never
 * misses it with R + W > N under strict quorums. The judge of that shape must fail when any part
 * of it vanishes: each of its rules is broken once on a hand-made curve below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getExperiment } from '../../src/experiments/registry.js';
import {
  judgeStaleness,
  LINKS,
  measureStaleness,
  quorumOverlap,
  QUORUMS,
  type Quorum,
  type StalenessCurve,
} from '../../src/experiments/staleness.js';

const SLOW = LINKS[1]!;
const rateAt = (c: StalenessCurve, i: number): number =>
  c.points[i]!.consistent / c.points[i]!.trials;

function slowRun(quorum: Quorum, trials: number, sloppy = false): StalenessCurve {
  return measureStaleness({
    seed: 7,
    quorum,
    trials,
    offsets: [0, 24],
    latency: SLOW.latency,
    putLatency: SLOW.putLatency!,
    sloppy,
  });
}

test('staleness: (3,1,1) is often stale right after the ack and fresh 24 ms later', () => {
  const c = slowRun({ n: 3, r: 1, w: 1 }, 300);
  assert.equal(c.points[0]!.failed + c.points[1]!.failed, 0);
  assert.ok(rateAt(c, 0) < 0.75, `P(consistent) at t=0 is ${rateAt(c, 0)}, not below 0.75`);
  assert.ok(rateAt(c, 1) > 0.95, `P(consistent) at t=24 is ${rateAt(c, 1)}, not above 0.95`);
});

test('staleness: R + W > N with strict quorums is consistent in every trial, at every t', () => {
  const c = slowRun({ n: 3, r: 2, w: 2 }, 300);
  for (const p of c.points) assert.equal(p.consistent, p.trials, `stale at t=${p.t}`);
  assert.equal(quorumOverlap({ n: 3, r: 2, w: 2 }), 1);
  assert.ok(Math.abs(quorumOverlap({ n: 3, r: 1, w: 1 }) - 1 / 3) < 1e-12);
});

test('staleness: the experiment supports the paper’s shape (quick mode)', () => {
  const e = getExperiment('staleness');
  assert.ok(e !== undefined, 'staleness is registered');
  const r = e.run({ seed: 1, quick: true });
  assert.equal(r.verdict, 'supported', JSON.stringify(r.measured));
  assert.equal(r.plots.length, 2);
  assert.equal(r.rows.length, LINKS.length * QUORUMS.length * 9);
});

/** Hand-made curves: rates per offset, 1000 trials each. */
function curve(q: Quorum, rates: readonly number[]): StalenessCurve {
  return {
    quorum: q,
    sloppy: false,
    points: rates.map((p, i) => ({
      t: i,
      trials: 1000,
      consistent: Math.round(p * 1000),
      failed: 0,
    })),
  };
}
const [Q311, Q312, Q322] = QUORUMS as [Quorum, Quorum, Quorum];
const GOOD = [
  curve(Q311, [0.6, 0.8, 0.95, 1]),
  curve(Q312, [0.8, 0.9, 0.98, 1]),
  curve(Q322, [1, 1, 1, 1]),
];

test('staleness judge: the paper’s shape passes, and each rule broken alone fails', () => {
  const ok = judgeStaleness(GOOD);
  assert.deepEqual(ok.problems, []);
  const falls = judgeStaleness([curve(Q311, [0.6, 0.9, 0.7, 1]), GOOD[1]!, GOOD[2]!]);
  assert.equal(falls.monotone, false);
  const strictStale = judgeStaleness([GOOD[0]!, GOOD[1]!, curve(Q322, [1, 0.999, 1, 1])]);
  assert.equal(strictStale.strictAlwaysConsistent, false);
  const swapped = judgeStaleness(
    [GOOD[1]!, GOOD[0]!, GOOD[2]!].map((c, i) => ({ ...c, quorum: QUORUMS[i]! })),
  );
  assert.equal(swapped.ordered, false);
  const flat = judgeStaleness([curve(Q311, [1, 1, 1, 1]), curve(Q312, [1, 1, 1, 1]), GOOD[2]!]);
  assert.equal(flat.rises, false);
  // Without the separation rule, two equal curves at t = 0 are allowed; with it, not.
  const close = [curve(Q311, [0.8, 0.9, 0.98, 1]), GOOD[1]!, GOOD[2]!];
  assert.equal(judgeStaleness(close, false).ordered, true);
  assert.equal(judgeStaleness(close, true).ordered, false);
});
