/**
 * `nakamoto`: Bitcoin-style proof of work. Every node is a miner with a share of the hash power;
 * blocks propagate over the simulated network; each node follows the chain with the most work
 * and reorganises when a heavier branch reaches it. Partitions split the hash power and so the
 * chain; the heal makes the lighter side's blocks stale and undoes their confirmations.
 *
 * The judge holds the nodes to what Bitcoin promises under the faults the run injected. Under
 * any faults: the nodes end on one chain, every honest node's best chain carries the targets its
 * ancestors require, no branch it holds has more work than the one it follows, and it never
 * switched to a branch with less work than its tip. "A payment with k confirmations stays paid"
 * is promised only on a connected network (bounded-delay.ts): a reversal at the finality depth
 * (6 by default) whose race overlapped no fault is a violation; one during or after a fault is
 * reported, not judged. For each k it reports how many (node, payment) pairs reached k
 * confirmations and how many of those a reorg later undid.
 *
 * With `retarget-blocks` N > 0 the difficulty retargets every N blocks (Bitcoin's rule with a
 * period of N × interval instead of 2016 × 10 minutes); 0 keeps it fixed, as it always was.
 */
import { detLog } from '../../core/det-math.js';
import type { Json } from '../../core/json.js';
import type { Random } from '../../core/random.js';
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type {
  JudgeContext,
  Judgement,
  SystemDefinition,
  SystemOptions,
} from '../../core/system.js';
import {
  checkRule,
  DifficultyRuleError,
  fixedDifficulty,
  REGTEST_POW_LIMIT,
  requiredBits,
  type DifficultyRule,
} from '../../protocols/nakamoto/difficulty.js';
import { formatBits } from '../../protocols/nakamoto/compact-target.js';
import {
  MinerNode,
  type MinerConfig,
  type MinerMsg,
  type Strategy,
} from '../../protocols/nakamoto/miner-node.js';
import { minerMessageCheck } from '../../protocols/nakamoto/message-schema.js';
import { nakamotoLabViews } from './nakamoto-lab-views.js';
import { splitReversals } from './bounded-delay.js';

/** Real difficulty: Bitcoin's genesis bits (difficulty 1). */
export const SAMPLED_BITS = 0x1d00ffff;
/** A tiny target for --real-pow: about 256 hashes per block. */
export const REAL_POW_BITS = 0x2000ffff;
/** Confirmation depths the judge reports. */
export const REPORTED_DEPTHS = [1, 2, 3, 6] as const;

export interface NakamotoConfig {
  readonly intervalMs: number;
  /** Relative hash power per node (n1, n2…); missing entries get 1. */
  readonly shares?: readonly number[];
  readonly realPow: boolean;
  readonly txIntervalMs: number;
  readonly finality: number;
  /** The last node attacks with this strategy and share `attackerShare`. */
  readonly attacker?: Exclude<Strategy, 'honest'>;
  readonly attackerShare: number;
  readonly merchantConfirmations: number;
  readonly forkChoice: MinerConfig['forkChoice'];
  /** Blocks per difficulty period; 0 for a fixed difficulty. */
  readonly retargetBlocks: number;
  /** False only in the `skip-difficulty-check` mutant. */
  readonly checkDifficulty: boolean;
  /** False only in the `no-tip-sync` mutant. */
  readonly tellTip?: boolean;
}

export const DEFAULT_NAKAMOTO: NakamotoConfig = {
  intervalMs: 250,
  realPow: false,
  txIntervalMs: 100,
  finality: 6,
  attackerShare: 0.3,
  merchantConfirmations: 2,
  forkChoice: 'most-work',
  retargetBlocks: 0,
  checkDifficulty: true,
};

const PARAMS = [
  { name: 'interval', description: 'mean block interval of the network, virtual ms (250)' },
  { name: 'real-pow', description: 'really hash nonces against a tiny target (true/false)' },
  { name: 'shares', description: 'hash power per node, comma-separated (equal)' },
  { name: 'tx-interval', description: 'mean ms between payments per node, 0 for none (100)' },
  { name: 'finality', description: 'confirmations the judge holds to be final (6)' },
  {
    name: 'attacker',
    description: 'the last node attacks: double-spend, selfish, low-difficulty or long-light',
  },
  { name: 'q', description: "the attacker's hash share, in (0, 1) (0.3)" },
  { name: 'z', description: 'confirmations the double-spend victim waits for (2)' },
  {
    name: 'retarget-blocks',
    description: 'blocks per difficulty retarget, 0 for fixed difficulty (0; Bitcoin: 2016)',
  },
] as const;

/**
 * What `--swarm` draws for a seed beyond faults: a retargeting difficulty in two seeds of three
 * (with a fixed one every block has the same work, and a node that counts blocks instead of work
 * is indistinguishable from a correct one), and in one seed of three a faulty miner of this
 * system's own fault model with a minority share: under retargeting one that publishes a long,
 * light branch; under a fixed difficulty a cheat whose blocks are below it (under retargeting,
 * nodes that accept its blocks inherit its easy bits and the run's blocks multiply). Never a
 * double-spender with a large share: what it breaks, finality, rests on an honest majority,
 * which is the assumption and not a rule of the nodes.
 */
export function drawSwarmParams(random: Random): Record<string, string> {
  const params: Record<string, string> = {};
  const retarget = random.chance(2 / 3) ? random.pick([4, 8, 16]) : 0;
  if (retarget > 0) params['retarget-blocks'] = String(retarget);
  if (random.chance(1 / 3)) {
    params['attacker'] = retarget > 0 ? 'long-light' : 'low-difficulty';
    params['q'] = String(random.pick([0.1, 0.2, 0.3]));
  }
  return params;
}

export class NakamotoParamError extends Error {}

function num(name: string, text: string, lo: number, hi: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < lo || n > hi) {
    throw new NakamotoParamError(
      `nakamoto param ${name}=${text}: expected a number in [${lo}, ${hi}]`,
    );
  }
  return n;
}

/** Applies `--param` values over a base configuration; throws NakamotoParamError on bad ones. */
export function applyParams(
  base: NakamotoConfig,
  params: Readonly<Record<string, string>>,
): NakamotoConfig {
  let c: NakamotoConfig = base;
  for (const [name, v] of Object.entries(params)) {
    switch (name) {
      case 'interval':
        c = { ...c, intervalMs: num(name, v, 1, 1e9) };
        break;
      case 'real-pow':
        if (v !== 'true' && v !== 'false')
          throw new NakamotoParamError(`real-pow=${v}: true or false`);
        c = { ...c, realPow: v === 'true' };
        break;
      case 'shares':
        c = { ...c, shares: v.split(',').map((s) => num(name, s, 0, 1e9)) };
        break;
      case 'tx-interval':
        c = { ...c, txIntervalMs: num(name, v, 0, 1e9) };
        break;
      case 'finality':
        c = { ...c, finality: Math.round(num(name, v, 1, 1000)) };
        break;
      case 'attacker':
        if (
          v !== 'double-spend' &&
          v !== 'selfish' &&
          v !== 'low-difficulty' &&
          v !== 'long-light'
        ) {
          throw new NakamotoParamError(
            `attacker=${v}: double-spend, selfish, low-difficulty or long-light`,
          );
        }
        c = { ...c, attacker: v };
        break;
      case 'q':
        c = { ...c, attackerShare: num(name, v, 0.001, 0.999) };
        break;
      case 'z':
        c = { ...c, merchantConfirmations: Math.round(num(name, v, 0, 1000)) };
        break;
      case 'retarget-blocks': {
        const n = num(name, v, 0, 100_000);
        if (!Number.isInteger(n) || n === 1) {
          throw new NakamotoParamError(`retarget-blocks=${v}: 0 (fixed) or a whole number ≥ 2`);
        }
        c = { ...c, retargetBlocks: n };
        break;
      }
      default:
        throw new NakamotoParamError(
          `nakamoto has no param '${name}' (choose from ${PARAMS.map((p) => p.name).join(', ')})`,
        );
    }
  }
  return c;
}

/** Each node's share of the hash power, summing to 1. */
export function hashShares(config: NakamotoConfig, cluster: readonly NodeId[]): number[] {
  const n = cluster.length;
  if (config.attacker !== undefined) {
    const q = config.attackerShare;
    if (n < 2) return [1];
    return cluster.map((_, i) => (i === n - 1 ? q : (1 - q) / (n - 1)));
  }
  const raw = cluster.map((_, i) => config.shares?.[i] ?? 1);
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new NakamotoParamError('the hash shares must not all be 0');
  return raw.map((r) => r / total);
}

/**
 * How far behind a double-spender gives up: where his remaining chance, (q/p)^deficit, drops
 * below 1e-4 — so abandoning biases the measured success rate by less than that.
 */
export function giveUpDeficit(q: number): number {
  if (q >= 0.5) return 1000;
  return Math.max(1, Math.ceil(detLog(1e-4) / detLog(q / (1 - q))));
}

/** The network's difficulty rule: its start bits, and a period of N × interval when N > 0. */
export function difficultyRule(config: NakamotoConfig): DifficultyRule {
  const startBits = config.realPow ? REAL_POW_BITS : SAMPLED_BITS;
  if (config.retargetBlocks === 0) return fixedDifficulty(startBits);
  try {
    return checkRule({
      startBits,
      retargetBlocks: config.retargetBlocks,
      // One header second per virtual ms (see MinerConfig.msPerHeaderSecond).
      timespan: Math.round(config.retargetBlocks * config.intervalMs),
      powLimit: REGTEST_POW_LIMIT,
    });
  } catch (e) {
    if (e instanceof DifficultyRuleError) throw new NakamotoParamError(e.message);
    throw e;
  }
}

/** Transactions a block carries after its coinbase, at most. */
const MAX_BLOCK_TXS = 200;

export function minerConfigFor(
  config: NakamotoConfig,
  env: NodeEnv,
  strategy: Strategy,
): MinerConfig {
  const shares = hashShares(config, env.cluster);
  const share = shares[env.cluster.indexOf(env.id)] ?? 0;
  return {
    intervalMs: config.intervalMs,
    share,
    difficulty: difficultyRule(config),
    msPerHeaderSecond: config.retargetBlocks > 0 ? 1 : 1000,
    checkDifficulty: config.checkDifficulty,
    tellTip: config.tellTip !== false,
    realPow: config.realPow,
    txIntervalMs: strategy === 'honest' ? config.txIntervalMs : 0,
    maxBlockTxs: MAX_BLOCK_TXS,
    strategy,
    merchantConfirmations: config.merchantConfirmations,
    giveUpDeficit: giveUpDeficit(share),
    finality: config.finality,
    forkChoice: config.forkChoice,
  };
}

export interface DepthRow {
  readonly k: number;
  /** (node, payment) pairs that reached at least k confirmations. */
  readonly reached: number;
  /** Of those, how many a reorg later undid. */
  readonly reversed: number;
  readonly rate: number;
}

/**
 * Where an honest node's best chain breaks consensus: the first block whose bits are not the
 * ones its parent chain requires, or a tip lighter than a branch the node holds. A correct node
 * never shows either; the mutants `skip-difficulty-check` and `most-blocks` do.
 */
export function consensusDefects(nodes: ReadonlyMap<NodeId, ProtocolNode>): string[] {
  const defects: string[] = [];
  for (const [id, m] of nodes) {
    if (!(m instanceof MinerNode) || m.config.strategy !== 'honest') continue;
    const chain = m.chain;
    const hashes = chain.mainHashes();
    for (let h = 1; h < hashes.length; h++) {
      const b = chain.block(hashes[h] as string);
      const parent = chain.block(hashes[h - 1] as string);
      if (b === undefined || parent === undefined) throw new Error(`${id}: main chain has a gap`);
      const want = requiredBits(m.config.difficulty, parent, (x) => chain.block(x));
      if (b.header.bits !== want) {
        defects.push(
          `${id}: block ${h} (by ${b.miner}) has bits ${formatBits(b.header.bits)}, ` +
            `its chain requires ${formatBits(want)}`,
        );
        break;
      }
    }
    const tipWork = chain.workOf(chain.tip.hash);
    if (tipWork < chain.mostWork) {
      defects.push(
        `${id}: follows a chain of height ${chain.height} with less work than a branch it holds`,
      );
    }
    if (m.stats.lighterAdoptions > 0) {
      defects.push(
        `${id}: switched ${m.stats.lighterAdoptions} time(s) to a branch with less work than its tip`,
      );
    }
  }
  return defects;
}

/** The judge's measurements over the nodes' final states. */
export function chainReport(
  all: ReadonlyMap<NodeId, ProtocolNode>,
  finality: number,
  context?: JudgeContext,
) {
  // A cheat's own chain holds its invalid blocks: only the nodes that follow the rules count.
  const nodes = new Map(
    [...all].filter(([, m]) => !(m instanceof MinerNode) || m.config.strategy !== 'low-difficulty'),
  );
  const miners = [...nodes.values()].filter((n): n is MinerNode => n instanceof MinerNode);
  const depths = [...new Set([...REPORTED_DEPTHS, finality])].sort((a, b) => a - b);
  const reached = depths.map(() => 0);
  const reversed = depths.map(() => 0);
  const worst: { node: string; tx: string; confirmations: number }[] = [];
  let blocks = 0;
  let mainBlocks = 0;
  for (const [id, m] of nodes) {
    if (!(m instanceof MinerNode)) continue;
    const best = new Map(m.reached);
    for (const h of m.chain.mainHashes()) {
      for (const tx of m.chain.block(h)?.txs ?? []) {
        best.set(tx, Math.max(best.get(tx) ?? 0, m.chain.confirmations(tx)));
      }
    }
    for (const [tx, confs] of best) {
      if (tx.startsWith('coinbase:')) continue;
      const undone = m.undone.get(tx) ?? 0;
      depths.forEach((k, i) => {
        if (confs >= k) reached[i] = (reached[i] as number) + 1;
        if (undone >= k) reversed[i] = (reversed[i] as number) + 1;
      });
      if (undone >= finality && worst.length < 5)
        worst.push({ node: id, tx, confirmations: undone });
    }
    blocks = Math.max(blocks, m.chain.size - 1);
    mainBlocks = Math.max(mainBlocks, m.chain.height);
  }
  const rows: DepthRow[] = depths.map((k, i) => ({
    k,
    reached: reached[i] as number,
    reversed: reversed[i] as number,
    rate: (reached[i] as number) === 0 ? 0 : (reversed[i] as number) / (reached[i] as number),
  }));
  // Agreement: the deepest height at which every node's best chain has the same block.
  const heights = miners.map((m) => m.chain.height);
  const minHeight = heights.length === 0 ? 0 : Math.min(...heights);
  let common = 0;
  for (let h = minHeight; h >= 0; h--) {
    const ids = new Set(miners.map((m) => m.chain.atHeight(h)?.hash));
    if (ids.size === 1) {
      common = h;
      break;
    }
  }
  const first = miners[0];
  const minedBy: Record<string, number> = {};
  if (first !== undefined) {
    for (const h of first.chain.mainHashes().slice(1)) {
      const miner = first.chain.block(h)?.miner ?? '?';
      minedBy[miner] = (minedBy[miner] ?? 0) + 1;
    }
  }
  // A branch the fault hid dates its race by its own blocks' mining, however late it arrives
  // (DeepReversal.since); this allowance covers races begun just after a heal, while blocks and
  // block requests the fault delayed or lost are still being made good.
  const settleMs = finality * (first?.config.intervalMs ?? DEFAULT_NAKAMOTO.intervalMs);
  const split = splitReversals(
    miners.filter((m) => m.config.strategy === 'honest').flatMap((m) => m.deepReversals),
    context,
    settleMs,
  );
  const count = (rs: readonly { payments: number }[]) => rs.reduce((a, r) => a + r.payments, 0);
  const attacks = miners.reduce(
    (a, m) => ({
      attempts: a.attempts + m.stats.attackWins + m.stats.attackGiveUps,
      wins: a.wins + m.stats.attackWins,
    }),
    { attempts: 0, wins: 0 },
  );
  return {
    rows,
    height: mainBlocks,
    blocksSeen: blocks,
    staleRate: blocks === 0 ? 0 : (blocks - mainBlocks) / blocks,
    commonHeight: common,
    minHeight,
    maxReorgDepth: Math.max(0, ...miners.map((m) => m.stats.maxReorgDepth)),
    minedBy,
    attacks,
    worst,
    /**
     * Finality-deep reversals (payments undone, summed over reorgs) whose race ran on a
     * connected network — the promise broken — and those during or after faults, outside its
     * assumption (bounded-delay.ts), which are reported and not judged.
     */
    finality: {
      violations: count(split.violations),
      observed: count(split.observed),
      example: split.violations[0] ?? null,
    },
    consensusDefects: consensusDefects(nodes),
  };
}

/** How far below the shortest tip the nodes may still disagree (natural forks at the tip). */
const TIP_SLACK = 3;

export function judgeChain(
  nodes: ReadonlyMap<NodeId, ProtocolNode>,
  finality: number,
  context?: JudgeContext,
): Judgement {
  const r = chainReport(nodes, finality, context);
  const perK = r.rows.map((row) => `${row.k}:${row.reversed}/${row.reached}`).join(' ');
  const details = r as unknown as Json;
  if (r.commonHeight < r.minHeight - TIP_SLACK) {
    return {
      verdict: 'invalid',
      message: `nodes disagree below the tip: common chain ends at height ${r.commonHeight} of ${r.minHeight}`,
      details,
    };
  }
  if (r.consensusDefects.length > 0) {
    return {
      verdict: 'invalid',
      message: `an honest node's chain breaks consensus: ${r.consensusDefects.slice(0, 3).join('; ')}`,
      details,
    };
  }
  const f = r.finality;
  if (f.violations > 0) {
    const e = f.example;
    return {
      verdict: 'invalid',
      message:
        `${f.violations} payment(s) with ≥${finality} confirmations reversed on a connected network` +
        (e !== null
          ? ` (e.g. ${e.example}, a ${e.depth}-block reorg at ${e.at.toFixed(0)} ms)`
          : '') +
        `; reversed/reached per k ${perK}`,
      details,
    };
  }
  const observed =
    f.observed > 0
      ? `; ${f.observed} ≥${finality}-confirmation reversal(s) during or after faults (outside the bounded-delay assumption, not judged)`
      : '';
  return {
    verdict: 'valid',
    message: `height ${r.height}, stale ${(100 * r.staleRate).toFixed(1)}%, reversed/reached per k ${perK}${observed}`,
    details,
  };
}

export function createNakamotoSystem(base: NakamotoConfig = DEFAULT_NAKAMOTO): SystemDefinition {
  const configFor = (options: SystemOptions): NakamotoConfig => {
    const withParams = applyParams(base, options.params ?? {});
    switch (options.mutant) {
      case 'never-reorg':
      case 'most-blocks':
        return { ...withParams, forkChoice: options.mutant };
      case 'skip-difficulty-check':
        return { ...withParams, checkDifficulty: false };
      case 'no-tip-sync':
        return { ...withParams, tellTip: false };
      default:
        return withParams;
    }
  };
  return {
    name: 'nakamoto',
    description:
      'Bitcoin-style proof of work: miners, most-work fork choice, reorgs, confirmations',
    workload: 'none',
    durationMs: 60_000,
    labViews: nakamotoLabViews,
    checkMessage: minerMessageCheck(MAX_BLOCK_TXS),
    mutants: [
      {
        name: 'never-reorg',
        description: 'nodes never leave the branch they are on, so forks never heal',
      },
      {
        name: 'most-blocks',
        description: 'nodes follow the branch with the most blocks, not the most work',
      },
      {
        name: 'skip-difficulty-check',
        description: "nodes accept a peer's block whatever target it carries",
      },
      {
        name: 'no-tip-sync',
        description:
          'a node does not tell a peer relaying a lighter branch its tip, so a stalled heavier chain is never learned',
      },
    ],
    params: PARAMS,
    swarmParams: drawSwarmParams,
    defaultNodes: 5,
    minNodes: 1,
    createNode: (options) => {
      const config = configFor(options);
      return (env) => {
        const n = env.cluster.length;
        const strategy: Strategy =
          config.attacker !== undefined && n > 1 && env.id === env.cluster[n - 1]
            ? config.attacker
            : 'honest';
        return new MinerNode(env as NodeEnv<MinerMsg>, minerConfigFor(config, env, strategy));
      };
    },
    // Params reach only createNode, so the finality the run was built with is read back from
    // its nodes.
    judge: (_history, _cluster, nodes, context) => {
      const miner = [...nodes.values()].find((n): n is MinerNode => n instanceof MinerNode);
      return judgeChain(nodes, miner?.config.finality ?? base.finality, context);
    },
  };
}

export const nakamotoSystem: SystemDefinition = createNakamotoSystem();
