/**
 * `stale-rate`: forks come from propagation delay. A block found at time t reaches the other
 * miners at t + d; if one of them (share 1 − s) finds a block in that window, one of the two
 * ends up stale. With exponential mining that happens with probability 1 − e^(−(1−s)·d/T) per
 * block, T the block interval — so the stale rate depends on d/T, not on d alone. Measured in
 * the `nakamoto` simulation with constant link delays.
 */
import type { Json } from '../core/json.js';
import { runChecked } from '../sim/checked-run.js';
import {
  createNakamotoSystem,
  DEFAULT_NAKAMOTO,
  type chainReport,
} from '../systems/chain/nakamoto.js';
import type { Experiment } from './experiment.js';

type ChainReport = ReturnType<typeof chainReport>;

export const DELAYS_MS = [1, 10, 25, 50, 100];
const INTERVAL_MS = 250;
const NODES = 5;

export function modelStaleRate(delayMs: number, intervalMs: number, nodes: number): number {
  return 1 - Math.exp(-((1 - 1 / nodes) * delayMs) / intervalMs);
}

export const staleRateExperiment: Experiment = {
  name: 'stale-rate',
  claim:
    'Forks are rare because blocks spread far faster than they are found: the stale-block ' +
    'rate is about 1 − e^(−delay/interval) (for equal miners, delay scaled by the share that ' +
    'has not heard the block)',
  run({ seed, quick }) {
    const system = createNakamotoSystem({
      ...DEFAULT_NAKAMOTO,
      intervalMs: INTERVAL_MS,
      txIntervalMs: 0,
    });
    const durationMs = quick ? 60_000 : 250_000;
    const rows: Json[] = [];
    let agree = true;
    for (const d of DELAYS_MS) {
      const run = runChecked({
        system,
        seed,
        nodes: NODES,
        latency: { kind: 'constant', ms: d },
        workload: { durationMs },
      });
      const r = run.judgement?.details as unknown as ChainReport;
      const blocks = r.blocksSeen;
      const stale = blocks - r.height;
      const rate = blocks === 0 ? 0 : stale / blocks;
      const model = modelStaleRate(d, INTERVAL_MS, NODES);
      const stderr = Math.sqrt((model * (1 - model)) / Math.max(1, blocks));
      const within = Math.abs(rate - model) <= 3 * stderr + 0.005;
      agree &&= within;
      rows.push({
        delayMs: d,
        intervalMs: INTERVAL_MS,
        ratio: d / INTERVAL_MS,
        blocks,
        stale,
        rate,
        model,
        stderr,
        within,
      });
    }
    return {
      rows,
      measured: {
        staleRateAtLargestDelay: (rows[rows.length - 1] as { rate: number }).rate,
        allWithinThreeStandardErrors: agree,
        note: 'Bitcoin: ~10 s to reach most nodes / 600 s per block ≈ 1.3 % stale by this model.',
      },
      verdict: agree ? 'supported' : 'refuted',
    };
  },
};
