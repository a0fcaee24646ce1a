/**
 * `kv-raft`: the key-value store replicated by Raft. Writes (put, append, cas, delete) go
 * through the log; reads (get, and `range` by key prefix) are answered by the leader with
 * ReadIndex, or with a lease when asked for (`--param reads=lease`), or by a follower once it
 * has applied through a read index the leader gave it (`--param follower-reads=on|off`, on by
 * default; read-index.ts has the argument). Client sessions give
 * exactly-once writes (§6.3): each client's latest sequence number and its result are part of
 * the replicated state — applied in log order, kept in snapshots — so a command that reaches
 * the log twice (a retry after a leader change, a duplicated message) takes effect once, on
 * every replica, across restarts and snapshot installs. One session per client is enough
 * because a client has at most one operation in flight.
 */
import { RAFT_MEMBERSHIP_OPS } from './raft-membership-ops.js';
import { raftMessageProblem } from '../../protocols/raft/message-schema.js';
import { kvSnapshotProblem } from './kv-snapshot-schema.js';
import { applyKv, isKvOp, type KvOp } from '../../core/kv.js';
import type { Json } from '../../core/json.js';
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import { InvariantRecorder } from '../../protocols/raft/invariants.js';
import type { Command, RaftMsg } from '../../protocols/raft/messages.js';
import { mutantsFor, RAFT_MUTANTS } from '../../protocols/raft/mutants.js';
import {
  RaftNode,
  type RaftOptions,
  type ReadMode,
  type StateMachine,
} from '../../protocols/raft/raft-node.js';
import { raftLabViews } from './raft-lab-views.js';

/** A read of every key starting with `prefix`, as `[key, value]` pairs in key order. */
export interface RangeOp {
  readonly f: 'range';
  readonly prefix: string;
}

export type KvRaftOp = KvOp | RangeOp;

function isRangeOp(op: Json): op is RangeOp & Json {
  return (
    typeof op === 'object' &&
    op !== null &&
    !Array.isArray(op) &&
    (op as Record<string, Json>).f === 'range' &&
    typeof (op as Record<string, Json>).prefix === 'string'
  );
}

interface Session {
  readonly seq: number;
  readonly result: Json;
}

interface KvSnapshot {
  readonly data: readonly (readonly [string, string])[];
  readonly sessions: readonly (readonly [string, number, Json])[];
}

export class KvMachine implements StateMachine {
  private data = new Map<string, string>();
  private sessions = new Map<string, Session>();
  private ops = 0;

  valid(op: Json): boolean {
    return isKvOp(op) || isRangeOp(op);
  }

  isRead(op: Json): boolean {
    const f = (op as { f: string }).f;
    return f === 'get' || f === 'range';
  }

  apply(command: Command): Json {
    const s = this.sessions.get(command.client);
    // Already applied (a duplicate in the log): answer from the session, change nothing.
    if (s !== undefined && command.seq <= s.seq) return command.seq === s.seq ? s.result : null;
    this.ops++;
    const result = applyKv(this.data, command.op as unknown as KvOp);
    this.sessions.set(command.client, { seq: command.seq, result });
    return result;
  }

  read(op: Json): Json {
    const o = op as unknown as KvRaftOp;
    if (o.f === 'range') {
      return [...this.data.entries()]
        .filter(([k]) => k.startsWith(o.prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, v]);
    }
    return this.data.get(o.key) ?? null;
  }

  recall(client: string, seq: number): { readonly result: Json } | undefined {
    const s = this.sessions.get(client);
    return s !== undefined && s.seq === seq ? { result: s.result } : undefined;
  }

  snapshot(): Json {
    const snap: KvSnapshot = {
      data: [...this.data.entries()],
      sessions: [...this.sessions.entries()].map(([c, s]) => [c, s.seq, s.result] as const),
    };
    return snap as unknown as Json;
  }

  snapshotProblem(data: Json): string | undefined {
    return kvSnapshotProblem(data);
  }

  restore(data: Json): void {
    const snap = data as unknown as KvSnapshot;
    this.data = new Map(snap.data.map(([k, v]) => [k, v]));
    this.sessions = new Map(snap.sessions.map(([c, seq, result]) => [c, { seq, result }]));
  }

  summary(): Record<string, Json> {
    return { keys: this.data.size, appliedOps: this.ops, sessions: this.sessions.size };
  }
}

const PARAMS = [
  { name: 'voters', description: 'initial voters, comma-separated (default: every node)' },
  {
    name: 'join',
    description:
      "'on': this node joins a running cluster, starting empty as no member until the leader " +
      'adds it (truthkit node --initial-state join sets it)',
  },
  { name: 'reads', description: "'read-index' (default) or 'lease' (needs bounded clock drift)" },
  {
    name: 'follower-reads',
    description: "'on' (default): followers serve reads after a read index from the leader; 'off'",
  },
  { name: 'drift-bound', description: 'clock rate error lease reads assume (default 0.05)' },
  { name: 'snapshot-every', description: 'entries applied between snapshots (default 64)' },
  { name: 'chunk-size', description: 'InstallSnapshot chunk size in characters (default 1024)' },
] as const;

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--param ${name} wants a positive number`);
  return n;
}

/**
 * Raft's parameters, checked; `voters` also against `cluster` when it is known (a voter that is
 * no node of the cluster could never vote, and a cluster with none could never elect).
 */
export function raftOptionsFrom(
  params: Readonly<Record<string, string>>,
  cluster?: readonly NodeId[],
): RaftOptions {
  let options: RaftOptions = {};
  for (const [name, v] of Object.entries(params)) {
    switch (name) {
      case 'voters': {
        const voters = v.split(',').map((x) => x.trim());
        if (voters.some((x) => x === '') || new Set(voters).size !== voters.length) {
          throw new Error(`--param voters=${v}: node ids, comma-separated, each once`);
        }
        const unknown = cluster === undefined ? [] : voters.filter((x) => !cluster.includes(x));
        if (unknown.length > 0) {
          throw new Error(
            `--param voters: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not ` +
              `in the cluster (${(cluster ?? []).join(', ')})`,
          );
        }
        options = { ...options, voters };
        break;
      }
      case 'join':
        if (v !== 'on' && v !== 'off') throw new Error("--param join wants 'on' or 'off'");
        options = { ...options, join: v === 'on' };
        break;
      case 'reads':
        if (v !== 'read-index' && v !== 'lease') {
          throw new Error("--param reads wants 'read-index' or 'lease'");
        }
        options = { ...options, readMode: v as ReadMode };
        break;
      case 'follower-reads':
        if (v !== 'on' && v !== 'off')
          throw new Error("--param follower-reads wants 'on' or 'off'");
        options = { ...options, followerReads: v === 'on' };
        break;
      case 'drift-bound':
        options = { ...options, driftBound: positive(name, v) };
        break;
      case 'snapshot-every':
        options = { ...options, snapshotEvery: Math.floor(positive(name, v)) };
        break;
      case 'chunk-size':
        options = { ...options, chunkSize: Math.floor(positive(name, v)) };
        break;
      default:
        throw new Error(`kv-raft has no parameter '${name}'`);
    }
  }
  return options;
}

/**
 * Raft's mutants but `compact-before-snapshot-durable`. That mutant removes the rule "compact the
 * log past a snapshot written beside it only once the snapshot is durable" (RaftLog.compactAside),
 * and kv-raft never writes one beside the log: its state machine's snapshot is one part (a small
 * map of keys and sessions, no `snapshotParts`), kept in the log's own record, which `compact`
 * writes and syncs with the compaction. A mutant of a rule the system never runs has the correct
 * system's runs, so listing it would promise a catch that cannot happen; etcd-raft, whose store
 * is cut into parts, carries it.
 */
const KV_RAFT_MUTANTS = RAFT_MUTANTS.filter((m) => m.name !== 'compact-before-snapshot-durable');

export const kvRaftSystem: SystemDefinition = {
  name: 'kv-raft',
  description:
    'a linearizable KV on Raft: pre-vote, check-quorum, pipelined replication, ReadIndex or ' +
    'lease reads, sessions, snapshots, membership change and leadership transfer',
  workload: 'kv',
  model: 'kv',
  labViews: raftLabViews,
  mutants: KV_RAFT_MUTANTS,
  defaultNodes: 5,
  minNodes: 1,
  params: PARAMS,
  membership: RAFT_MEMBERSHIP_OPS,
  createNode(options) {
    // One recorder per cluster: createNode is called once per simulated run.
    const raft: RaftOptions = {
      ...raftOptionsFrom(options.params ?? {}, options.cluster),
      mutants: mutantsFor(options.mutant),
      ...(options.invariants !== false ? { recorder: new InvariantRecorder() } : {}),
    };
    return (env) => new RaftNode(env as NodeEnv<RaftMsg>, new KvMachine(), raft);
  },
  checkMessage: raftMessageProblem,
  checkInvariants(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
    for (const node of nodes.values()) {
      if (node instanceof RaftNode) return node.recorder?.violation;
    }
    return undefined;
  },
};
