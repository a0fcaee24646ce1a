/**
 * `selfish-mining`: is honest mining the best a minority can do? Eyal and Sirer showed a pool
 * that withholds blocks earns more than its share once α > (1 − γ)/(3 − 2γ). Measured by
 * running the strategy's state machine over many blocks for each (α, γ), beside the closed
 * form, and by the selfish miner node in the `nakamoto` simulation, where γ is whatever the
 * network's latencies make it.
 */
import type { Json } from '../core/json.js';
import { streamFor } from '../core/random.js';
import {
  selfishRevenue,
  selfishThreshold,
  simulateSelfish,
} from '../protocols/nakamoto/selfish-mining.js';
import { runChecked } from '../sim/checked-run.js';
import {
  createNakamotoSystem,
  DEFAULT_NAKAMOTO,
  type chainReport,
} from '../systems/chain/nakamoto.js';
import type { Experiment } from './experiment.js';

type ChainReport = ReturnType<typeof chainReport>;

const ALPHAS = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45];
const GAMMAS = [0, 0.5, 1];

export const selfishMiningExperiment: Experiment = {
  name: 'selfish-mining',
  claim:
    'Cheating pays only with a majority: an attacker needs 51 % of the hash power ' +
    '(the "51 % attack"); below that, mining honestly is the best strategy',
  run({ seed, quick }) {
    const blocks = quick ? 40_000 : 400_000;
    const rows: Json[] = [];
    const thresholds: Json[] = [];
    for (const gamma of GAMMAS) {
      let measuredThreshold: number | null = null;
      for (const alpha of ALPHAS) {
        const out = simulateSelfish(
          streamFor(seed, `selfish:${alpha}:${gamma}`),
          alpha,
          gamma,
          blocks,
        );
        const stderr = Math.sqrt((out.share * (1 - out.share)) / blocks);
        const profitable = out.share > alpha + 3 * stderr;
        if (profitable && measuredThreshold === null) measuredThreshold = alpha;
        rows.push({
          source: 'state machine',
          alpha,
          gamma,
          share: out.share,
          stderr,
          closedForm: selfishRevenue(alpha, gamma),
          profitable,
          staleRate: null,
        });
      }
      thresholds.push({
        gamma,
        theory: selfishThreshold(gamma),
        firstProfitableAlpha: measuredThreshold,
      });
    }
    // The same strategy as a node in the network simulation (γ emerges from latencies).
    for (const alpha of [0.25, 0.4]) {
      const system = createNakamotoSystem({
        ...DEFAULT_NAKAMOTO,
        attacker: 'selfish',
        attackerShare: alpha,
        txIntervalMs: 0,
      });
      const run = runChecked({
        system,
        seed,
        nodes: 4,
        workload: { durationMs: quick ? 60_000 : 200_000 },
      });
      const r = run.judgement?.details as unknown as ChainReport;
      const pool = r.minedBy['n4'] ?? 0;
      const total = Object.values(r.minedBy).reduce((a, b) => a + b, 0);
      rows.push({
        source: 'nakamoto simulation',
        alpha,
        gamma: null,
        share: total === 0 ? 0 : pool / total,
        stderr: total === 0 ? 0 : Math.sqrt(((pool / total) * (1 - pool / total)) / total),
        closedForm: selfishRevenue(alpha, 0),
        profitable: total > 0 && pool / total > alpha,
        staleRate: r.staleRate,
      });
    }
    const atGamma0 = thresholds[0] as { firstProfitableAlpha: number | null };
    const refuted = atGamma0.firstProfitableAlpha !== null && atGamma0.firstProfitableAlpha < 0.5;
    return {
      rows,
      measured: {
        thresholds,
        note: 'The first share (of 10 %…45 %) at which withholding earned more than honest mining, per γ.',
      },
      verdict: refuted ? 'refuted' : 'supported',
    };
  },
};
