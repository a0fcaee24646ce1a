/**
 * `pbft`: a linearizable KV on PBFT with view changes (see docs/pbft.md). Byzantine replicas
 * come from `--param byzantine=K --param strategy=S` (byzantine.ts says who is faulty and how):
 * `silent` (the last K send nothing), `equivocate` (the primary of view 0 sends different
 * pre-prepares to different backups; the other K − 1 are silent), `forge` (the last K forge
 * messages in others' names), `lie` (the last K reply wrong results and sign wrong checkpoints),
 * `bad-view-change` (the primaries of views 0 … K − 1 stall, send fabricated view-changes and a
 * wrong NEW-VIEW), `collude` (the primary of view 0 equivocates and the other K − 1 prepare and
 * commit both versions). The invariant: no two honest replicas execute different requests at
 * the same sequence number. With K ≤ f it holds for every strategy; `collude` with K = f + 1
 * breaks it.
 */
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition, SystemOptions } from '../../core/system.js';
import {
  BYZANTINE_STRATEGIES,
  type ByzantineStrategy,
  byzantineReplicas,
  isByzantineStrategy,
} from '../../protocols/pbft/byzantine.js';
import { faultsTolerated, PbftNode, type PbftMsg } from '../../protocols/pbft/pbft.js';

/** The parameters, checked: K a non-negative integer (at most the cluster size), S known. */
function parseParams(
  params: SystemOptions['params'],
  size: number,
): { k: number; strategy: ByzantineStrategy } {
  const raw = params?.byzantine ?? '0';
  const k = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(k) || k < 0 || k > size) {
    throw new Error(`pbft: byzantine must be an integer in [0, ${size}], not ${raw}`);
  }
  const strategy = params?.strategy ?? 'silent';
  if (!isByzantineStrategy(strategy)) {
    throw new Error(
      `pbft: strategy must be one of ${BYZANTINE_STRATEGIES.join(', ')}, not ${strategy}`,
    );
  }
  return { k, strategy };
}

function byzantineSet(
  cluster: readonly NodeId[],
  params: SystemOptions['params'],
): { ids: Set<NodeId>; strategy: ByzantineStrategy } {
  const { k, strategy } = parseParams(params, cluster.length);
  return { ids: byzantineReplicas(cluster, k, strategy), strategy };
}

export const pbftSystem: SystemDefinition = {
  name: 'pbft',
  description: 'a linearizable KV on PBFT (3f + 1 replicas, signed messages, view changes)',
  workload: 'kv',
  model: 'kv',
  mutants: [
    {
      name: 'prepare-quorum-f',
      description: 'f + 1 matching prepares (with the pre-prepare) and commits instead of 2f + 1',
    },
  ],
  params: [
    { name: 'byzantine', description: 'how many replicas are Byzantine (default 0)' },
    {
      name: 'strategy',
      description: `what they do: ${BYZANTINE_STRATEGIES.join(', ')} (default silent)`,
    },
  ],
  defaultNodes: 4,
  minNodes: 4,
  createNode: (options) => {
    // Validate the parameters once, before any node exists (a bad value is a usage error).
    parseParams(options.params, Infinity);
    return (env) => {
      const { ids, strategy } = byzantineSet(env.cluster, options.params);
      const byzantine = ids.has(env.id) ? strategy : undefined;
      // Under `equivocate` only the primary lies; the other faulty replicas stay silent.
      const behaviour =
        byzantine === 'equivocate' && env.id !== env.cluster[0] ? 'silent' : byzantine;
      if (ids.size > faultsTolerated(env.cluster.length)) {
        env.log('pbft: more Byzantine replicas than f; safety is not promised', { k: ids.size });
      }
      return new PbftNode(env as NodeEnv<PbftMsg>, {
        weakQuorum: options.mutant === 'prepare-quorum-f',
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
  const honest = [...nodes].filter(([, n]) => (n as PbftNode).byzantine === undefined);
  for (const [id, node] of honest) {
    const a = node as PbftNode;
    const to = a.executedThrough();
    for (let seq = (checkedThrough.get(node) ?? 0) + 1; seq <= to; seq++) {
      const mine = a.executedAt(seq);
      if (mine === undefined) continue; // below a checkpoint installed from a peer
      for (const [other, o] of honest) {
        if (other === id) continue;
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
