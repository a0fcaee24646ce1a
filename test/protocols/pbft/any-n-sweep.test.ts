/**
 * PBFT on every n from 4 to 10, with K = f (seeds 1, 2) and K = f + 1 (seed 1) Byzantine
 * replicas of every strategy, no network faults, 16 operations per run (about 10 s of CPU).
 * K = f must be safe and live. K = f + 1 is what the quorum arithmetic predicts, and the test
 * holds each run to that prediction, so a change in what f + 1 traitors can do shows up here:
 *
 * - `collude` breaks safety iff K ≥ 2Q − n (two quorums overlap in 2Q − n replicas): f + 1 for
 *   n = 4, 6, 7, 9, 10, but f + 2 for n = 5, 8, where f + 1 colluders stay harmless;
 * - `lie` makes a proxy accept a wrong result (f + 1 matching replies) at every n;
 * - `silent` and `forge` (mute) stop all progress iff n − K < Q;
 * - `equivocate` and `bad-view-change` stay safe (their extra replica is silent or stalls).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BYZANTINE_STRATEGIES,
  type ByzantineStrategy,
} from '../../../src/protocols/pbft/byzantine.js';
import '../../../src/protocols/pbft/ed25519.js';
import { quorums } from '../../../src/protocols/pbft/quorums.js';
import { runChecked } from '../../../src/sim/checked-run.js';
import { pbftSystem } from '../../../src/systems/pbft/pbft.js';

const OPS = 16;
/** Seeds per K: two where the claim is "always", one where a run records a prediction. */
const SEEDS = { f: [1, 2], f1: [1] };

/** What K = f + 1 replicas of `strategy` do to n replicas with quorum Q. */
function predicted(strategy: ByzantineStrategy, n: number, k: number): 'unsafe' | 'stalled' | 'ok' {
  const { quorum: Q } = quorums(n);
  if (strategy === 'collude') return k >= 2 * Q - n ? 'unsafe' : 'ok';
  if (strategy === 'lie') return 'unsafe';
  if (strategy === 'silent' || strategy === 'forge') return n - k < Q ? 'stalled' : 'ok';
  return 'ok';
}

test('pbft any n: K = f is safe and live for every strategy; K = f + 1 does what Q predicts', () => {
  const record: string[] = [];
  for (let n = 4; n <= 10; n++) {
    const { f } = quorums(n);
    for (const strategy of BYZANTINE_STRATEGIES) {
      for (const k of [f, f + 1]) {
        for (const seed of k === f ? SEEDS.f : SEEDS.f1) {
          const run = runChecked({
            system: pbftSystem,
            nodes: n,
            seed,
            params: { byzantine: String(k), strategy },
            workload: { ops: OPS },
          });
          const what = `n=${n} ${strategy} K=${k} seed ${seed}`;
          const why = run.failure?.message ?? run.verdict;
          if (k === f) {
            assert.equal(run.verdict, 'valid', `${what}: ${why}`);
            // Live: a mute replica's own client gets no answer; the rest do.
            assert.ok(run.ops.ok >= OPS / 2, `${what}: only ${run.ops.ok} of ${OPS} ops succeeded`);
            continue;
          }
          const want = predicted(strategy, n, k);
          record.push(`${what}: ${run.verdict}, ${run.ops.ok} ok (predicted ${want})`);
          if (want === 'unsafe') {
            assert.equal(run.verdict, 'invalid', `${what}: predicted unsafe, stayed safe`);
          } else {
            assert.equal(run.verdict, 'valid', `${what}: predicted safe: ${why}`);
            if (want === 'stalled') assert.equal(run.ops.ok, 0, `${what}: progressed without Q`);
            else assert.ok(run.ops.ok > 0, `${what}: nothing succeeded`);
          }
        }
      }
    }
  }
  assert.equal(record.length, 7 * BYZANTINE_STRATEGIES.length * SEEDS.f1.length);
});
