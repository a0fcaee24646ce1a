/**
 * Issue 16, item 9: every registered experiment gives the same verdict, in full mode, at several
 * disjoint seed ranges (base seeds 1, 1001, 2001, …): three each, or the experiment's own
 * `stabilitySeeds`. A verdict that flips with the seed is a result of noise, not of the claim.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
// The experiments run PBFT, which needs a signature scheme (the CLI installs the same one).
import '../../src/protocols/pbft/ed25519.js';
import type { Experiment } from '../../src/experiments/experiment.js';
import { experiments } from '../../src/experiments/registry.js';
import {
  stabilityBases,
  verdictStability,
  type Stability,
} from '../../src/experiments/stability.js';
import { Worker } from 'node:worker_threads';

const clock = () => performance.now();

test('the check catches a verdict that flips with the seed, and counts ranges as asked', () => {
  const flips: Experiment = {
    name: 'flips',
    claim: 'a coin',
    sources: [],
    stabilitySeeds: 4,
    run: ({ seed }) => ({
      rows: [],
      measured: {},
      verdict: seed >= 3000 ? 'refuted' : 'supported',
      plots: [],
    }),
  };
  const s = verdictStability(flips, clock);
  assert.equal(s.stable, false);
  assert.equal(
    s.summary,
    'seed 1: supported; seed 1001: supported; seed 2001: supported; seed 3001: refuted',
  );
  assert.equal(verdictStability({ ...flips, stabilitySeeds: 3 }, clock).stable, true);
  assert.deepEqual(stabilityBases({}), [1, 1001, 2001]);
  assert.throws(() => stabilityBases({ stabilitySeeds: 2 }), RangeError);
  assert.throws(() => stabilityBases({ stabilitySeeds: 3.5 }), RangeError);
});

/**
 * The experiments' full modes, each run at every base seed, take minutes on one core: two worker
 * threads share them out (largest first would be guesswork; registry order is fine), and each
 * test awaits its own experiment's result.
 */
const WORKERS = 2;
const results = new Map<string, Promise<Stability>>();
{
  const queue = experiments().map((e) => e.name);
  const waiting = new Map<string, (s: Stability) => void>();
  for (const name of queue) results.set(name, new Promise((done) => waiting.set(name, done)));
  const workers: Worker[] = [];
  for (let i = 0; i < Math.min(WORKERS, queue.length); i++) {
    const w = new Worker(new URL('./stability-worker.js', import.meta.url));
    workers.push(w);
    const next = (): void => {
      const name = queue.shift();
      if (name === undefined) void w.terminate();
      else w.postMessage(name);
    };
    w.on('message', (m: { name: string; stability: Stability }) => {
      waiting.get(m.name)?.(m.stability);
      next();
    });
    w.on('error', (err) => {
      for (const done of waiting.values())
        done({ runs: [], stable: false, summary: `worker failed: ${String(err)}` });
    });
    next();
  }
}

for (const e of experiments()) {
  test(`${e.name}: the same verdict at base seeds ${stabilityBases(e).join(', ')} (full mode)`, async (t) => {
    const s = await results.get(e.name)!;
    t.diagnostic(
      `${e.name}: ${s.summary} (${s.runs.map((r) => r.seconds.toFixed(1)).join(' s, ')} s)`,
    );
    assert.ok(
      s.stable,
      `experiment ${e.name} gives different verdicts over seed ranges: ${s.summary}`,
    );
    assert.equal(s.runs.length, stabilityBases(e).length, `${e.name}: ${s.summary}`);
    for (const r of s.runs) assert.ok(r.plots > 0, `${e.name} seed ${r.seed} drew no plot`);
  });
}
