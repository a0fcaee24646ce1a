/**
 * `dynamo`: a leaderless, always-writable key-value store after Amazon's Dynamo — consistent
 * hashing with virtual nodes, preference lists, N/R/W per request, any node coordinating,
 * sloppy quorums with hinted handoff, read repair and Merkle-tree anti-entropy — keeping a key
 * as a cart with siblings (dotted version vectors, version vectors, or last-writer-wins) or as a
 * CRDT. Its judge is strong eventual consistency plus, under strict quorums, regular reads
 * (dynamo-judge.ts); docs/dynamo.md.
 */
import type { Json } from '../../core/json.js';
import type { NodeEnv } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import { covers, type Covers } from '../../protocols/crdt/causal-context.js';
import { CRDT_NAMES } from '../../protocols/crdt/crdt.js';
import type { VersionVector } from '../../protocols/clocks/version-vector.js';
import { dynamoMessageProblem, type DynamoMsg } from './dynamo-messages.js';
import { DynamoNode } from './dynamo-node.js';
import { DYNAMO_PARAMS, dynamoParamsFrom } from './dynamo-params.js';
import { judgeDynamo, settleMs } from './dynamo-judge.js';
import { dynamoLabViews } from './dynamo-lab-views.js';
import { nextDynamoOp } from './dynamo-workload.js';
import { CORRECT_RULES, valueKind, type KindRules } from './value-kinds.js';

export const DYNAMO_MUTANTS = [
  {
    name: 'no-merge',
    description: 'a replica takes an incoming version in place of its own instead of merging them',
  },
  {
    name: 'drop-siblings',
    description: 'a read answers with one sibling (and the context of all of them)',
  },
  {
    name: 'no-read-repair',
    description: 'reads never repair stale replicas (anti-entropy alone converges them)',
  },
  {
    name: 'vv-compare-bug',
    description: 'comparing clocks skips an id one side lacks instead of reading it as 0',
  },
] as const;

/** `vv-compare-bug`: an actor a context has never heard of is taken as seen. */
const coversSkippingMissing: Covers = (ctx, dot) =>
  !Object.hasOwn(ctx.vv, dot[0]) && !ctx.cloud.some(([id]) => id === dot[0])
    ? true
    : covers(ctx, dot);

function descendsSkippingMissing(a: VersionVector, b: VersionVector): boolean {
  for (const [k, n] of Object.entries(b))
    if (Object.hasOwn(a, k) && (a[k] as number) < n) return false;
  return true;
}

function rulesFor(mutant: string | undefined): KindRules {
  if (mutant === 'vv-compare-bug') {
    return { ...CORRECT_RULES, covers: coversSkippingMissing, descends: descendsSkippingMissing };
  }
  if (mutant === 'drop-siblings') return { ...CORRECT_RULES, allSiblings: false };
  return CORRECT_RULES;
}

function withParams(params: Readonly<Record<string, string>>): SystemDefinition {
  const p = dynamoParamsFrom(params);
  return {
    name: 'dynamo',
    description:
      "Dynamo's leaderless store: a ring of virtual nodes, N/R/W quorums (sloppy, with hinted " +
      'handoff), read repair, Merkle anti-entropy; carts with dotted-version-vector siblings, or CRDTs',
    workload: 'custom',
    mutants: DYNAMO_MUTANTS,
    defaultNodes: 5,
    minNodes: 3,
    params: DYNAMO_PARAMS,
    labViews: dynamoLabViews,
    createNode(options) {
      const mine = dynamoParamsFrom(options.params ?? {}, options.cluster?.length);
      const kind = valueKind(mine, rulesFor(options.mutant));
      return (env) =>
        new DynamoNode(env as NodeEnv<DynamoMsg>, {
          params: mine,
          kind,
          noMerge: options.mutant === 'no-merge',
          noReadRepair: options.mutant === 'no-read-repair',
        });
    },
    configure: (given) => (Object.keys(given).length === 0 ? undefined : withParams(given)),
    nextOp: (random, process, issued, lastOk): Json =>
      nextDynamoOp(p.type, random, process, issued, lastOk),
    settleMs: (given) => settleMs(dynamoParamsFrom(given)),
    judge: (history, _cluster, nodes) => judgeDynamo(history, nodes, p),
    // Some seeds run strict quorums (judged for regular reads), some a CRDT, some plain
    // version vectors; never `clocks=lww`, whose lost updates are the point of it.
    swarmParams(random): Readonly<Record<string, string>> {
      const out: Record<string, string> = {};
      if (random.chance(0.3)) out.sloppy = 'off';
      if (random.chance(0.25)) out.type = random.pick(CRDT_NAMES);
      else if (random.chance(0.2)) out.clocks = 'vv';
      return out;
    },
    checkMessage: dynamoMessageProblem,
  };
}

export const dynamoSystem: SystemDefinition = withParams({});
