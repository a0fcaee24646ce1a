/**
 * `pbft`: a linearizable KV on PBFT (see docs/pbft.md). Byzantine replicas come from
 * `--param byzantine=K --param strategy=silent|equivocate`: `silent` makes the last K replicas
 * send nothing; `equivocate` makes the primary (view 0: the first replica) and the last K - 1
 * replicas Byzantine, the primary sending different pre-prepares for one sequence number to
 * different backups. The invariant: no two honest replicas execute different requests at the
 * same sequence number.
 */
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition, SystemOptions } from '../../core/system.js';
import {
  type ByzantineStrategy,
  faultsTolerated,
  PbftNode,
  type PbftMsg,
} from '../../protocols/pbft/pbft.js';

function byzantineSet(
  cluster: readonly NodeId[],
  params: SystemOptions['params'],
): { ids: Set<NodeId>; strategy: ByzantineStrategy } {
  const k = Number(params?.byzantine ?? '0');
  const strategy = (params?.strategy ?? 'silent') as ByzantineStrategy;
  if (!Number.isInteger(k) || k < 0 || k > cluster.length) {
    throw new Error(`pbft: byzantine must be an integer in [0, ${cluster.length}], not ${k}`);
  }
  if (strategy !== 'silent' && strategy !== 'equivocate') {
    throw new Error(`pbft: strategy must be silent or equivocate, not ${String(strategy)}`);
  }
  if (k === 0) return { ids: new Set(), strategy };
  const last = cluster.slice(cluster.length - k);
  if (strategy === 'equivocate') {
    const primary = cluster[0] as NodeId;
    return { ids: new Set([primary, ...cluster.slice(cluster.length - (k - 1))]), strategy };
  }
  return { ids: new Set(last), strategy };
}

export const pbftSystem: SystemDefinition = {
  name: 'pbft',
  description: 'a linearizable KV on PBFT (3f + 1 replicas, signed messages, checkpoints)',
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
      description: 'silent (the last K send nothing) or equivocate (the primary lies)',
    },
  ],
  defaultNodes: 4,
  minNodes: 4,
  createNode: (options) => (env) => {
    const { ids, strategy } = byzantineSet(env.cluster, options.params);
    const k = ids.size;
    const byzantine = ids.has(env.id) ? strategy : undefined;
    // Only the primary can equivocate; other Byzantine replicas under `equivocate` stay silent.
    const behaviour =
      byzantine === 'equivocate' && env.id !== env.cluster[0] ? 'silent' : byzantine;
    if (k > faultsTolerated(env.cluster.length)) {
      env.log('pbft: more Byzantine replicas than f; safety is not promised', { k });
    }
    return new PbftNode(env as NodeEnv<PbftMsg>, {
      weakQuorum: options.mutant === 'prepare-quorum-f',
      ...(behaviour !== undefined ? { byzantine: behaviour } : {}),
    });
  },
  checkInvariants: (nodes) => checkHonestAgree(nodes),
};

/** No two honest live replicas executed different requests at one sequence number. */
function checkHonestAgree(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
  const honest = [...nodes].filter(([, n]) => (n as PbftNode).byzantine === undefined);
  for (const [id, node] of honest) {
    const a = node as PbftNode;
    const seq = a.executedThrough();
    const mine = a.executedAt(seq);
    if (mine === undefined) continue;
    for (const [other, o] of honest) {
      if (other === id) continue;
      const theirs = (o as PbftNode).executedAt(seq);
      if (theirs !== undefined && theirs !== mine) {
        return `seq ${seq}: ${id} executed ${mine.slice(0, 12)}, ${other} executed ${theirs.slice(0, 12)}`;
      }
    }
  }
  return undefined;
}
