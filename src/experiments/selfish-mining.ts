/**
 * `selfish-mining`: is playing by the rules the most a miner can earn? Eyal and Sirer showed a
 * pool that withholds blocks earns a larger share of the main chain than its share α of the hash
 * power once α > (1 − γ)/(3 − 2γ). Measured two ways:
 *
 * - relative revenue: the strategy's state machine over many blocks for each (α, γ), beside the
 *   closed form — where the threshold lies;
 * - absolute revenue, in the `nakamoto` network with retargeting: the attacker's main-chain
 *   blocks per target interval T, in the first difficulty period of the attack (difficulty
 *   still what an honest network needs) and in the periods after the retarget, beside the same
 *   miner mining honestly in the same network, and beside α per T. Withholding orphans the
 *   attacker's own blocks too and slows the chain, so before the retarget it earns less than
 *   honest mining; the retarget restores the block rate and the larger share becomes more coins.
 */
import type { Json } from '../core/json.js';
import { streamFor } from '../core/random.js';
import type { Block } from '../protocols/nakamoto/block.js';
import type { MinerNode } from '../protocols/nakamoto/miner-node.js';
import {
  selfishRevenue,
  selfishThreshold,
  simulateSelfish,
} from '../protocols/nakamoto/selfish-mining.js';
import { Session } from '../sim/run.js';
import { createNakamotoSystem, DEFAULT_NAKAMOTO } from '../systems/chain/nakamoto.js';
import { batchInterval, type BatchInterval } from './batch-means.js';
import type { Experiment, PlotPoint } from './experiment.js';

const ALPHAS = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45];
const GAMMAS = [0, 0.5, 1];

/** The network: 3 honest miners and the attacker, Bitcoin's retarget every 128 blocks. */
export const NETWORK_ALPHAS = [0.25, 0.4];
export const RETARGET_BLOCKS = 128;
const INTERVAL_MS = 250;
const NODES = 4;
const ATTACKER = `n${NODES}`;
/** Blocks below the tip a period must end to count (the tip may still be reorganised). */
const SETTLED = 6;

interface PeriodRevenue {
  /** The attacker's main-chain blocks per T in the first period (start difficulty). */
  readonly before: number;
  /** The same over every complete period after the first retarget. */
  readonly after: number;
  /** The attacker's share of the main chain after the retarget. */
  readonly shareAfter: number;
  readonly periodsAfter: number;
}

/**
 * Reads revenue off a node's best chain. Period p holds heights pN … (p+1)N − 1 (period 0 from
 * height 1) and lasts from its predecessor's last block to its own last block, in header time
 * (one header second per virtual ms, so that is ms).
 */
export function revenueByPeriod(node: MinerNode, attacker: string, n: number): PeriodRevenue {
  const chain = node.chain;
  const at = (h: number) => chain.atHeight(h) as Block;
  const complete = Math.floor((chain.height - SETTLED + 1) / n);
  if (complete < 2) throw new Error(`only ${complete} complete period(s): run longer`);
  const count = (from: number, to: number) => {
    let mine = 0;
    for (let h = from; h <= to; h++) if (at(h).miner === attacker) mine++;
    return mine;
  };
  const span = (from: number, to: number) => at(to).header.time - at(from - 1).header.time;
  const beforeMine = count(1, n - 1);
  const beforeMs = span(1, n - 1);
  const afterMine = count(n, complete * n - 1);
  const afterMs = span(n, complete * n - 1);
  return {
    before: (beforeMine / beforeMs) * INTERVAL_MS,
    after: (afterMine / afterMs) * INTERVAL_MS,
    shareAfter: afterMine / ((complete - 1) * n),
    periodsAfter: complete - 1,
  };
}

function networkRuns(alpha: number, selfish: boolean, seed: number, seeds: number) {
  const honestShare = (1 - alpha) / (NODES - 1);
  const system = createNakamotoSystem({
    ...DEFAULT_NAKAMOTO,
    intervalMs: INTERVAL_MS,
    txIntervalMs: 0,
    retargetBlocks: RETARGET_BLOCKS,
    ...(selfish
      ? { attacker: 'selfish' as const, attackerShare: alpha }
      : { shares: [honestShare, honestShare, honestShare, alpha] }),
  });
  const out: PeriodRevenue[] = [];
  const periods = selfish ? 7 : 6.5;
  for (let i = 0; i < seeds; i++) {
    const session = new Session({
      system,
      seed: seed + i,
      nodes: NODES,
      // Enough for five complete periods after the first, which the attack slows.
      workload: { durationMs: periods * RETARGET_BLOCKS * INTERVAL_MS },
    });
    session.runToEnd();
    out.push(revenueByPeriod(session.sim.node('n1') as MinerNode, ATTACKER, RETARGET_BLOCKS));
  }
  return out;
}

const summary = (runs: readonly PeriodRevenue[]) => ({
  before: batchInterval(runs.map((r) => r.before)),
  after: batchInterval(runs.map((r) => r.after)),
  shareAfter: batchInterval(runs.map((r) => r.shareAfter)),
});

/** Selfish minus honest, seed by seed (the same seeds ran both). */
const paired = (a: readonly PeriodRevenue[], b: readonly PeriodRevenue[], k: 'before' | 'after') =>
  batchInterval(a.map((r, i) => r[k] - (b[i] as PeriodRevenue)[k]));

const point = (x: number, ci: BatchInterval): PlotPoint => ({
  x,
  y: ci.mean,
  lo: ci.lo,
  hi: ci.hi,
});

export const selfishMiningExperiment: Experiment = {
  name: 'selfish-mining',
  claim:
    'Mining by the rules is the most profitable strategy for anyone short of a majority: ' +
    'rewards follow hash power, so a miner "ought to find it more profitable to play by the ' +
    'rules" (the whitepaper’s incentive argument, which assumes an honest majority)',
  sources: [
    {
      kind: 'seed',
      section: 'Bitcoin: The $1 Trillion Consensus',
      quote: '51% attack = $30 BILLION in hardware + electricity',
    },
    {
      kind: 'seed',
      section: 'Bitcoin: The $1 Trillion Consensus',
      quote: 'CONSENSUS RULE: Longest chain wins',
    },
    {
      kind: 'paper',
      cite: 'S. Nakamoto, "Bitcoin: A Peer-to-Peer Electronic Cash System", 2008',
      where:
        'Abstract ("As long as a majority of CPU power is controlled by nodes that are not ' +
        "cooperating to attack the network, they'll generate the longest chain and outpace " +
        'attackers") and Section 6, Incentive ("He ought to find it more profitable to play by ' +
        'the rules…")',
    },
    {
      kind: 'paper',
      cite:
        'I. Eyal and E. G. Sirer, "Majority is not Enough: Bitcoin Mining is Vulnerable", ' +
        'Financial Cryptography and Data Security (FC) 2014',
      where:
        'Section 4 (Analysis): the pool’s relative revenue R_pool(α, γ) and the threshold ' +
        'α > (1 − γ)/(3 − 2γ) above which it exceeds α',
    },
    {
      kind: 'paper',
      cite:
        'C. Grunspan and R. Pérez-Marco, "On profitability of selfish mining", arXiv:1805.08281, ' +
        '2018',
      where:
        'Abstract and main theorem: revenue per unit time, not share, is the benchmark; no ' +
        'strategy beats honest mining before a difficulty adjustment',
    },
  ],
  run({ seed, quick }) {
    const blocks = quick ? 40_000 : 400_000;
    const rows: Json[] = [];
    const thresholds: Json[] = [];
    const relMeasured: PlotPoint[] = [];
    const relModel: PlotPoint[] = [];
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
        });
        if (gamma === 0) {
          relMeasured.push({
            x: alpha,
            y: out.share,
            lo: out.share - 1.96 * stderr,
            hi: out.share + 1.96 * stderr,
          });
          relModel.push({ x: alpha, y: selfishRevenue(alpha, 0) });
        }
      }
      thresholds.push({
        gamma,
        theory: selfishThreshold(gamma),
        firstProfitableAlpha: measuredThreshold,
      });
    }

    // Absolute revenue in the retargeting network.
    const seeds = quick ? 6 : 10;
    const before: PlotPoint[] = [];
    const after: PlotPoint[] = [];
    const honestAfter: PlotPoint[] = [];
    const network: {
      alpha: number;
      beforeBeatsHonest: boolean;
      beforeBelowHonest: boolean;
      afterBeatsHonest: boolean;
      afterBelowHonest: boolean;
    }[] = [];
    for (const alpha of NETWORK_ALPHAS) {
      const selfishRuns = networkRuns(alpha, true, seed, seeds);
      const honestRuns = networkRuns(alpha, false, seed, seeds);
      const selfish = summary(selfishRuns);
      const honest = summary(honestRuns);
      // Differences seed by seed; "beats" only when the whole 95 % interval is above zero.
      const gainBefore = paired(selfishRuns, honestRuns, 'before');
      const gainAfter = paired(selfishRuns, honestRuns, 'after');
      const verdicts = {
        beforeBeatsHonest: gainBefore.lo > 0,
        beforeBelowHonest: gainBefore.hi < 0,
        afterBeatsHonest: gainAfter.lo > 0,
        afterBelowHonest: gainAfter.hi < 0,
      };
      network.push({ alpha, ...verdicts });
      before.push(point(alpha, selfish.before));
      after.push(point(alpha, selfish.after));
      honestAfter.push(point(alpha, honest.after));
      rows.push({
        source: `nakamoto network, retarget every ${RETARGET_BLOCKS} blocks`,
        alpha,
        seeds,
        honestPerT: { before: honest.before, after: honest.after } as unknown as Json,
        selfishPerT: { before: selfish.before, after: selfish.after } as unknown as Json,
        selfishShareAfter: selfish.shareAfter as unknown as Json,
        gainPerT: { before: gainBefore, after: gainAfter } as unknown as Json,
        closedFormShareGamma0: selfishRevenue(alpha, 0),
        ...verdicts,
      });
    }

    const atGamma0 = thresholds[0] as { firstProfitableAlpha: number | null };
    const relative = atGamma0.firstProfitableAlpha !== null && atGamma0.firstProfitableAlpha < 0.5;
    const absolute = network.some((n) => n.afterBeatsHonest);
    // Honest mining wins only if it beats withholding at every share measured; an interval
    // straddling zero decides nothing.
    const honestBest = network.every((n) => n.afterBelowHonest);
    return {
      rows,
      measured: {
        thresholds,
        network: network as unknown as Json,
        refutedBy: relative && absolute ? 'relative and absolute revenue' : null,
        note:
          'Thresholds: the first share (of 10 %…45 %) at which withholding earned a larger share ' +
          'of the main chain, per γ. Network: main-chain blocks per target interval T (honest ' +
          'mining earns about α); "before" is the attack’s first difficulty period, "after" ' +
          'every complete period once the retarget has adjusted; 95 % intervals over seeds.',
      },
      verdict:
        relative && absolute ? 'refuted' : honestBest ? 'supported' : 'not measurable as stated',
      plots: [
        {
          title: 'Selfish mining: absolute revenue before and after the retarget',
          x: { label: 'attacker hash share α' },
          y: { label: 'attacker main-chain blocks per target interval T' },
          series: [
            { name: 'selfish, first period (before retarget)', role: 'measured', points: before },
            { name: 'selfish, after retarget', role: 'measured', points: after },
            { name: 'same miner honest, after retarget', role: 'measured', points: honestAfter },
            {
              name: 'honest mining: α per T (whitepaper)',
              role: 'claimed',
              points: NETWORK_ALPHAS.map((a) => ({ x: a, y: a })),
            },
            {
              name: 'Eyal–Sirer share R(α, γ = 0), if the retarget restores one block per T',
              role: 'model',
              points: NETWORK_ALPHAS.map((a) => ({ x: a, y: selfishRevenue(a, 0) })),
            },
          ],
        },
        {
          title: 'Selfish mining: share of the main chain (γ = 0, state machine)',
          x: { label: 'attacker hash share α' },
          y: { label: 'attacker share of main-chain blocks' },
          series: [
            { name: 'measured', role: 'measured', points: relMeasured },
            { name: 'Eyal–Sirer closed form', role: 'model', points: relModel },
            {
              name: 'honest: α',
              role: 'claimed',
              points: ALPHAS.map((a) => ({ x: a, y: a })),
            },
          ],
        },
      ],
    };
  },
};
