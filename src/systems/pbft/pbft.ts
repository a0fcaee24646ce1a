/**
 * `pbft`: a linearizable KV on PBFT with view changes (see docs/pbft.md), on any n ≥ 4: f and the
 * quorum Q = ⌈(n + f + 1) / 2⌉ come from quorums.ts. Byzantine replicas come from
 * `--param byzantine=K --param strategy=S` (byzantine.ts says who is faulty and how):
 * `silent` (the last K send nothing), `equivocate` (the primary of view 0 sends different
 * pre-prepares to different backups; the other K − 1 are silent), `forge` (the last K forge
 * messages in others' names), `lie` (the last K reply wrong results and sign wrong checkpoints),
 * `bad-view-change` (the primaries of views 0 … K − 1 stall, send fabricated view-changes and a
 * wrong NEW-VIEW), `collude` (the primary of view 0 equivocates and the other K − 1 prepare and
 * commit both versions). The invariant: no two honest replicas execute different requests at
 * the same sequence number. With K ≤ f it holds for every strategy; `collude` breaks it once
 * K ≥ 2Q − n.
 *
 * `--param f=F` builds the replicas to tolerate F faults instead of ⌊(n − 1) / 3⌋ (at most
 * ⌊n / 3⌋), and `--param quorum=live` sizes Q as n − F instead of ⌈(n + F + 1) / 2⌉: the two
 * coincide in safety and liveness for n ≥ 3F + 1, and `pbft-bound` uses them at n = 3F to show
 * that no quorum is both there.
 */
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition, SystemOptions } from '../../core/system.js';
import {
  BYZANTINE_STRATEGIES,
  type ByzantineStrategy,
  byzantineReplicas,
  isByzantineStrategy,
} from '../../protocols/pbft/byzantine.js';
import { PbftNode, type PbftMsg } from '../../protocols/pbft/pbft.js';
import {
  faultsTolerated,
  QuorumError,
  type QuorumRule,
  quorums,
} from '../../protocols/pbft/quorums.js';
import { pbftMessageProblem } from '../../protocols/pbft/message-schema.js';
import { pbftLabViews } from './pbft-lab-views.js';

/** The smallest cluster PBFT tolerates a fault in (3f + 1 with f = 1). */
export const PBFT_MIN_NODES = 4;

export type PbftParamErrorCode = 'byzantine' | 'strategy' | 'f' | 'quorum' | 'nodes';

/** A `--param` value (or cluster size) the pbft system cannot run with. */
export class PbftParamError extends Error {
  constructor(
    readonly code: PbftParamErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PbftParamError';
  }
}

interface PbftParams {
  readonly k: number;
  readonly strategy: ByzantineStrategy;
  /** The fault budget asked for, or undefined for ⌊(n − 1) / 3⌋. */
  readonly f: number | undefined;
  readonly quorum: 'safe' | 'live';
}

function count(name: 'byzantine' | 'f', raw: string, max: number): number {
  const k = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(k) || k < 0 || k > max) {
    const what = Number.isFinite(max) ? `an integer in [0, ${max}]` : 'a non-negative integer';
    throw new PbftParamError(name, `pbft: ${name} must be ${what}, not ${raw}`);
  }
  return k;
}

/**
 * The parameters, checked: K a non-negative integer (at most the cluster size), S known, f a
 * non-negative integer (its bound depends on n: see `nodeQuorums`), quorum `safe` or `live`.
 */
function parseParams(params: SystemOptions['params'], size: number): PbftParams {
  const k = count('byzantine', params?.byzantine ?? '0', size);
  const strategy = params?.strategy ?? 'silent';
  if (!isByzantineStrategy(strategy)) {
    throw new PbftParamError(
      'strategy',
      `pbft: strategy must be one of ${BYZANTINE_STRATEGIES.join(', ')}, not ${strategy}`,
    );
  }
  const f = params?.f === undefined ? undefined : count('f', params.f, Infinity);
  const quorum = params?.quorum ?? 'safe';
  if (quorum !== 'safe' && quorum !== 'live') {
    throw new PbftParamError('quorum', `pbft: quorum must be safe or live, not ${quorum}`);
  }
  return { k, strategy, f, quorum };
}

/**
 * f and the quorum rule for a cluster of `n`: below 4 replicas only with an explicit f (n = 3f
 * is what the lower bound is about); f at most ⌊n / 3⌋.
 */
function nodeQuorums(
  n: number,
  p: PbftParams,
  mutant: string | undefined,
): { f: number; rule: QuorumRule } {
  if (n < PBFT_MIN_NODES && p.f === undefined) {
    throw new PbftParamError(
      'nodes',
      `pbft: ${n} replicas tolerate no Byzantine fault; use at least ${PBFT_MIN_NODES}, ` +
        'or --param f=F to run below the bound',
    );
  }
  const f = p.f ?? faultsTolerated(n);
  const rule: QuorumRule = mutant === 'quorum-2f-plus-1' ? 'fixed-2f+1' : p.quorum;
  try {
    quorums(n, f, rule);
  } catch (e) {
    if (!(e instanceof QuorumError)) throw e;
    const code = e.code === 'bad-f' ? 'f' : e.code === 'bad-n' ? 'nodes' : 'quorum';
    throw new PbftParamError(code, e.message);
  }
  return { f, rule };
}

function byzantineSet(
  cluster: readonly NodeId[],
  p: PbftParams,
): { ids: Set<NodeId>; strategy: ByzantineStrategy } {
  if (p.k > cluster.length) {
    throw new PbftParamError(
      'byzantine',
      `pbft: byzantine must be an integer in [0, ${cluster.length}], not ${p.k}`,
    );
  }
  return { ids: byzantineReplicas(cluster, p.k, p.strategy), strategy: p.strategy };
}

export const pbftSystem: SystemDefinition = {
  name: 'pbft',
  description: 'a linearizable KV on PBFT (n ≥ 3f + 1 replicas, signed messages, view changes)',
  workload: 'kv',
  model: 'kv',
  labViews: pbftLabViews,
  mutants: [
    {
      name: 'prepare-quorum-f',
      description: 'f + 1 matching prepares (with the pre-prepare) and commits instead of Q',
    },
    {
      name: 'quorum-2f-plus-1',
      description:
        'every quorum 2f + 1 whatever n is, instead of ⌈(n + f + 1) / 2⌉ (unsafe unless n = 3f + 1)',
    },
  ],
  params: [
    { name: 'byzantine', description: 'how many replicas are Byzantine (default 0)' },
    {
      name: 'strategy',
      description: `what they do: ${BYZANTINE_STRATEGIES.join(', ')} (default silent)`,
    },
    {
      name: 'f',
      description: 'Byzantine replicas to tolerate, at most ⌊n / 3⌋ (default ⌊(n − 1) / 3⌋)',
    },
    {
      name: 'quorum',
      description: 'safe: Q = ⌈(n + f + 1) / 2⌉ (default); live: Q = n − f',
    },
  ],
  defaultNodes: 4,
  minNodes: PBFT_MIN_NODES,
  byzantine: {
    strategies: BYZANTINE_STRATEGIES,
    tolerated: faultsTolerated,
    params: (count, strategy) => ({ byzantine: String(count), strategy }),
  },
  checkMessage: pbftMessageProblem,
  createNode: (options) => {
    // Validate the parameters once, before any node exists (a bad value is a usage error).
    const p = parseParams(options.params, Infinity);
    if (options.cluster !== undefined) {
      nodeQuorums(options.cluster.length, p, options.mutant);
      byzantineSet(options.cluster, p);
    }
    return (env) => {
      const { f, rule } = nodeQuorums(env.cluster.length, p, options.mutant);
      const { ids, strategy } = byzantineSet(env.cluster, p);
      const byzantine = ids.has(env.id) ? strategy : undefined;
      // Under `equivocate` only the primary lies; the other faulty replicas stay silent.
      const behaviour =
        byzantine === 'equivocate' && env.id !== env.cluster[0] ? 'silent' : byzantine;
      if (ids.size > f) {
        env.log('pbft: more Byzantine replicas than f; safety is not promised', { k: ids.size });
      }
      return new PbftNode(env as NodeEnv<PbftMsg>, {
        weakQuorum: options.mutant === 'prepare-quorum-f',
        f,
        quorumRule: rule,
        ...(behaviour !== undefined ? { byzantine: behaviour, faulty: [...ids] } : {}),
      });
    };
  },
  checkInvariants: (nodes) => checkHonestAgree(nodes),
};

/** How far each replica's executions were already compared (per node object, so per run). */
const checkedThrough = new WeakMap<ProtocolNode, number>();

/**
 * No two honest live replicas executed different requests at one sequence number. Each
 * replica's newly executed numbers are compared with every other honest replica that executed
 * them before, so every pair is compared at every number both executed.
 */
export function checkHonestAgree(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
  // Runs after every simulated step, mostly with nothing newly executed: it allocates nothing.
  for (const [id, node] of nodes) {
    const a = node as PbftNode;
    if (a.byzantine !== undefined) continue;
    const to = a.executedThrough();
    const done = checkedThrough.get(node) ?? 0;
    if (done === to) continue;
    for (let seq = done + 1; seq <= to; seq++) {
      const mine = a.executedAt(seq);
      if (mine === undefined) continue; // below a checkpoint installed from a peer
      for (const [other, o] of nodes) {
        if (other === id || (o as PbftNode).byzantine !== undefined) continue;
        const theirs = (o as PbftNode).executedAt(seq);
        if (theirs !== undefined && theirs !== mine) {
          return `seq ${seq}: ${id} executed ${mine.slice(0, 12)}, ${other} executed ${theirs.slice(0, 12)}`;
        }
      }
    }
    checkedThrough.set(node, to);
  }
  return undefined;
}
