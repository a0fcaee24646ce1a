/**
 * `zookeeper`: ZooKeeper's data tree, sessions and ephemerals (src/systems/coordination)
 * replicated by Zab (src/protocols/zab), driven by clients that connect, ping, read and write
 * znodes with versions, set watches, run multis and syncs, and (odd clients) take a lock and act
 * on a fenced resource (zk-workload.ts). Judged three ways: the `znode` model checks the writes
 * to the shared paths for linearizability per path; the system's judge checks that no client is
 * answered from an older zxid than one it has seen, that no two writes share a zxid, and the
 * watch, multi, sync and fencing rules; and after every step, Zab's recorder and every server's
 * tree invariants (treeProblem) must hold.
 */
import type { Json } from '../../core/json.js';
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { Judgement, SystemDefinition } from '../../core/system.js';
import { ZabRecorder } from '../../protocols/zab/invariants.js';
import { ZAB_MUTANTS, zabMutantsFor } from '../../protocols/zab/mutants.js';
import { zabOptionsFrom } from '../zab/kv-zab.js';
import { nextZkWorkloadOp } from './zk-workload.js';
import { judgeZk } from './zk-judge.js';
import { earlyExpiryProblem } from './zk-session-judge.js';
import { zkMessageProblem, type ZkMsg } from './zk-messages.js';
import { ZkServer } from './zk-server.js';
import { zkLabViews } from './zk-lab-views.js';

const ZAB_PARAMS = ['tick', 'sync-limit', 'init-limit', 'diff-window'] as const;

const PARAMS = [
  { name: 'tick', description: 'milliseconds between heartbeats, and tickTime (default 50)' },
  {
    name: 'sync-limit',
    description: 'ticks of silence before a follower or leader gives up (default 5)',
  },
  { name: 'init-limit', description: 'ticks discovery and sync may take (default 10)' },
  {
    name: 'diff-window',
    description: 'proposals a follower may lag and still get a DIFF, not a SNAP (default 64)',
  },
  {
    name: 'session-timeout',
    description: 'ms a client asks for; negotiated to 2–20 ticks (default 10 ticks)',
  },
] as const;

/** The server's own rule broken: it answers a client from a state older than one it has seen. */
const SERVE_STALE = {
  name: 'serve-stale',
  description: "a server answers a client whose last zxid is ahead of the server's state",
} as const;

/** The leader's monopoly on expiry broken: a follower expires sessions it does not hear. */
const FOLLOWER_EXPIRES = {
  name: 'follower-expires',
  description:
    'every server, not only the leader, proposes the expiry of sessions silent on its own clock',
} as const;

/** The coordination state machine's own mutant the zookeeper system exposes. */
const KEEP_EPHEMERALS = {
  name: 'keep-ephemerals',
  description: 'closing or expiring a session leaves its ephemerals in the tree',
} as const;

/** The coordination code's multi mutant, which the judge's multi rule catches. */
const MULTI_PARTIAL = {
  name: 'multi-partial',
  description: 'a multi whose op fails still commits the ops before it',
} as const;

/** The mutants of the watches, multi, sync and lock rules (zk-more-judge.ts, zk-fencing-judge.ts). */
const MORE_MUTANTS = [
  {
    name: 'ignore-fencing',
    description: "the lock's protected resource accepts a token below one that has acted",
  },
  {
    name: 'one-shot-stays',
    description: 'a one-shot watch is not removed when it fires, so it fires again',
  },
  {
    name: 'late-notify',
    description: 'a notification rides on the answer after the one it is due before',
  },
  { name: 'sync-local', description: "a server answers sync from its own state, not the leader's" },
] as const;

function zkParams(params: Readonly<Record<string, string>>): {
  readonly zab: Record<string, string>;
  readonly sessionTimeout: string | undefined;
} {
  const zab: Record<string, string> = {};
  let sessionTimeout: string | undefined;
  for (const [name, v] of Object.entries(params)) {
    if (name === 'session-timeout') sessionTimeout = v;
    else if ((ZAB_PARAMS as readonly string[]).includes(name)) zab[name] = v;
    else throw new Error(`zookeeper has no parameter '${name}'`);
  }
  return { zab, sessionTimeout };
}

export const zookeeperSystem: SystemDefinition = {
  name: 'zookeeper',
  description:
    "ZooKeeper's data tree and sessions on Zab: writes through the log, reads from the " +
    'connected server, the leader expires silent sessions',
  workload: 'custom',
  model: 'znode',
  mutants: [
    ...ZAB_MUTANTS,
    KEEP_EPHEMERALS,
    SERVE_STALE,
    FOLLOWER_EXPIRES,
    MULTI_PARTIAL,
    ...MORE_MUTANTS,
  ],
  zookeeperApi: true,
  defaultNodes: 5,
  minNodes: 1,
  params: PARAMS,
  labViews: zkLabViews,
  createNode(options) {
    const { zab, sessionTimeout } = zkParams(options.params ?? {});
    const zabOptions = zabOptionsFrom(zab);
    const tickMs = zabOptions.tickMs ?? 50;
    let sessionTimeoutMs = 10 * tickMs;
    if (sessionTimeout !== undefined) {
      const n = Number(sessionTimeout);
      if (!Number.isSafeInteger(n) || n < 1) {
        throw new Error('--param session-timeout wants a whole number of ms ≥ 1');
      }
      sessionTimeoutMs = n;
    }
    const mutant = options.mutant;
    const coordMutant =
      mutant === KEEP_EPHEMERALS.name || mutant === MULTI_PARTIAL.name ? mutant : undefined;
    const serveStale = mutant === SERVE_STALE.name;
    const followerExpires = mutant === FOLLOWER_EXPIRES.name;
    const more = MORE_MUTANTS.find((m) => m.name === mutant)?.name;
    const zabMutant =
      coordMutant === undefined && !serveStale && !followerExpires && more === undefined
        ? mutant
        : undefined;
    zabMutantsFor(zabMutant);
    // One recorder per cluster: createNode is called once per simulated run.
    const recorder = options.invariants !== false ? new ZabRecorder() : undefined;
    return (env) =>
      new ZkServer(env as NodeEnv<ZkMsg>, {
        zab: {
          ...zabOptions,
          mutants: zabMutantsFor(zabMutant),
          ...(recorder !== undefined ? { recorder } : {}),
        },
        tickMs,
        sessionTimeoutMs,
        ...(coordMutant !== undefined ? { mutant: coordMutant } : {}),
        ...(serveStale ? { serveStale } : {}),
        ...(followerExpires ? { followerExpires } : {}),
        ...(more === 'ignore-fencing' ? { fenceMutant: more } : {}),
        ...(more === 'one-shot-stays' || more === 'late-notify' ? { deliveryMutant: more } : {}),
        ...(more === 'sync-local' ? { syncLocal: true } : {}),
        ...(options.invariants !== false ? { recordExpiries: true } : {}),
      });
  },
  nextOp: (random, process, issued, lastOk): Json =>
    nextZkWorkloadOp(random, process, issued, lastOk),
  judge(history, _cluster, nodes, context): Judgement {
    const verdict = judgeZk(history);
    if (verdict.verdict !== 'valid') return verdict;
    // Every server applies the same log: the one furthest along holds every expiry so far.
    let furthest: ZkServer | undefined;
    for (const node of nodes.values()) {
      if (!(node instanceof ZkServer) || node.machine.expiryLog === undefined) continue;
      if (furthest === undefined || node.machine.position > furthest.machine.position) {
        furthest = node;
      }
    }
    if (furthest === undefined) return verdict;
    const early = earlyExpiryProblem(
      history,
      furthest.machine.expiryLog ?? [],
      furthest.tickMs,
      context,
    );
    return early === undefined ? verdict : { verdict: 'invalid', message: early };
  },
  checkMessage: zkMessageProblem,
  checkInvariants(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
    let zab: string | undefined;
    for (const [id, node] of nodes) {
      if (!(node instanceof ZkServer)) continue;
      zab ??= node.zab.recorder?.violation;
      const tree = node.treeProblemIfChanged();
      if (tree !== undefined) return `${id}: ${tree}`;
    }
    return zab;
  },
};
