/**
 * A system: a protocol packaged to be run — how to build its nodes, which workload drives it,
 * which model its histories are checked against, and which deliberately broken variants
 * (mutants) it ships. The simulator, the CLI and the lab all work from this description.
 */
import type { HistoryOp } from './history.js';
import type { Json } from './json.js';
import type { LabViews } from './lab-views.js';
import type { NodeFactory, NodeId, ProtocolNode } from './node.js';
import type { Random } from './random.js';

/**
 * `custom`: the clients issue whatever the system's own `nextOp` returns. `none`: no clients at
 * all — the nodes act on their own (miners mine) for a virtual duration (`durationMs`).
 */
export type WorkloadKind = 'kv' | 'echo' | 'custom' | 'none';

/** A system-specific checker's answer about one history. */
export interface Judgement {
  readonly verdict: 'valid' | 'invalid' | 'unknown';
  /** What was violated (for `invalid`) or what was checked. */
  readonly message: string;
  /** Measurements behind the verdict, as plain data (printed with --json). */
  readonly details?: Json;
}

/** What a judge may know about the run beyond its nodes and history. */
export interface JudgeContext {
  /**
   * Virtual-time windows [from, to] in which some fault cut, lost, reordered or slowed messages
   * or held a node down or paused (`to` is Infinity when never healed): when the network was
   * outside a bounded-delay assumption.
   */
  readonly faultWindows: readonly (readonly [number, number])[];
  /** Whether some node's clock was offset: times the nodes recorded may then not be true time. */
  readonly clockFaults: boolean;
}

export interface SystemOptions {
  /** Name of a deliberately broken variant to build instead of the real thing. */
  readonly mutant?: string;
  /** Values for the system's own parameters (see SystemDefinition.params), by name. */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * The cluster the nodes will form, when it is known before any node is built. A system whose
   * parameters depend on it (how many traitors, which voters, how many acceptors) checks them
   * against it in createNode, so a mismatch is a usage error and not a failed run.
   */
  readonly cluster?: readonly NodeId[];
  /**
   * Record what the cluster's invariants need (default true). A real process turns it off: its
   * recorder would see only its own node, and would grow for as long as the process runs.
   */
  readonly invariants?: boolean;
}

/**
 * How a system changes its own membership, in its own operation vocabulary, for the
 * simulator's admin client (src/sim/membership-workload.ts): each builder returns the
 * operation a client sends to ask for that change of `node`.
 */
export interface MembershipOps {
  remove(node: NodeId): Json;
  addLearner(node: NodeId): Json;
  promote(node: NodeId): Json;
  /**
   * Storage entries a node whose data was wiped starts from to rejoin as a new member (what
   * `truthkit node --initial-state join` writes into an empty store).
   */
  readonly joinState: Readonly<Record<string, Json>>;
}

/**
 * How a Byzantine-fault-tolerant system makes some of its replicas faulty through its own
 * parameters, so `--swarm` can run some seeds with faulty replicas: never more than the system
 * promises to tolerate, since a safety violation beyond that bound is no bug.
 */
export interface ByzantineFaults {
  /** What a faulty replica may do (the values of the system's strategy parameter). */
  readonly strategies: readonly string[];
  /** The most faulty replicas a cluster of `nodes` is built to tolerate. */
  tolerated(nodes: number): number;
  /** The `--param` values that make `count` replicas faulty, following `strategy`. */
  params(count: number, strategy: string): Readonly<Record<string, string>>;
}

export interface SystemDefinition {
  readonly name: string;
  readonly description: string;
  readonly workload: WorkloadKind;
  /** The checker model its histories must satisfy, or undefined when it promises none. */
  readonly model?: string;
  /**
   * For a transactional `model` (`list-append`, `rw-register`: src/check/txn): the consistency
   * model its histories must satisfy (default `serializable`).
   */
  readonly consistencyModel?: string;
  readonly mutants: readonly { readonly name: string; readonly description: string }[];
  readonly defaultNodes: number;
  /** Parameters the system accepts (`truthkit sim S --param name=value`). */
  readonly params?: readonly { readonly name: string; readonly description: string }[];
  /** For `workload: 'none'`: virtual milliseconds a run lasts unless told otherwise. */
  readonly durationMs?: number;
  /** Smallest cluster the system can run on. */
  readonly minNodes: number;
  /**
   * Its nodes take etcd's v3 operations (src/systems/etcd/etcd-ops.ts), so a real process can
   * serve etcd's gRPC API for it (`truthkit node --etcd`).
   */
  readonly etcdApi?: boolean;
  /**
   * Its nodes take ZooKeeper's wire writes (src/systems/zookeeper/zk-wire-ops.ts), so a real
   * process can serve ZooKeeper's client port for it (`truthkit node --zk`).
   */
  readonly zookeeperApi?: boolean;
  /**
   * Its nodes are KafkaNodes (src/systems/kafka), so a real process can serve Kafka's wire
   * protocol for it (`truthkit node --kafka`).
   */
  readonly kafkaApi?: boolean;
  /** What the lab shows for it (src/core/lab-views.ts); without it, the lab's defaults. */
  readonly labViews?: LabViews;
  /**
   * Why it cannot run in a browser, when it cannot: it needs something only a Node process
   * composes in (ethereum's EVM runs in a worker thread behind Atomics.wait, which a page's
   * main thread may not do). The lab leaves it out of its menu and says why.
   */
  readonly nodeOnly?: string;
  /** It takes membership changes as client operations; `--swarm` then draws some for a run. */
  readonly membership?: MembershipOps;
  /**
   * Values of its own `params` that `--swarm` may draw for a seed, from `random` only (the
   * seed's own stream; src/sim/swarm-params.ts): settings that reach in a short run what the
   * defaults reach only at scale. A `--param` the user gives wins over a drawn one.
   */
  swarmParams?(random: Random): Readonly<Record<string, string>>;
  /**
   * How far from true time its clocks are promised to stay, in ms, as `params` configure it
   * (TrueTime's ε; half the HLC's max offset, so two clocks differ by at most the offset). The
   * simulator's clock faults then stay inside it and do not drift; only `skew-beyond-bound`
   * breaks it. Absent: clocks may be anywhere.
   */
  clockBoundMs?(params: Readonly<Record<string, string>>): number;
  /** It tolerates Byzantine replicas; `--swarm` then draws some for a run. */
  readonly byzantine?: ByzantineFaults;
  createNode(options: SystemOptions): NodeFactory;
  /**
   * The system as `params` shape it, when they change what it runs (its workload, model or
   * mutants) and not only how its nodes are built; undefined when they change none of that. A
   * simulated run applies it before anything else (src/sim/run.ts).
   */
  configure?(params: Readonly<Record<string, string>>): SystemDefinition | undefined;
  /**
   * Why a message from a peer is not one of this system's messages (`field: problem`), or
   * undefined when it is. The real runtime drops a message that fails, logs it and closes the
   * connection, so a buggy or hostile peer's malformed message never reaches a node. Systems
   * without it get only the transport's check (an object with a string `type`). `cluster` is
   * every member's id, as the nodes were built with it, so a schema can check that a node id in
   * a message names a member and bound a list by the cluster's size.
   */
  checkMessage?(msg: unknown, cluster: readonly NodeId[]): string | undefined;
  /**
   * Safety invariants across all live nodes, checked after every simulated step. Returns a
   * description of the violation, or undefined when all hold.
   */
  checkInvariants?(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined;
  /**
   * For `workload: 'custom'`: the next operation client `process` issues, its `issued`-th
   * (from 0), drawn only from `random` (the client's own stream). The op is plain data with an
   * `f` and, optionally, a `key` and a `value`, which the history records. `lastOk` is the
   * client's latest `ok` result, for an op that must carry what the client has seen (ZooKeeper's
   * last zxid seen, which a server behind it refuses).
   */
  nextOp?(random: Random, process: number, issued: number, lastOk?: Json): Json;
  /**
   * A system-specific checker of the whole history (agreement, atomicity…), run after the
   * simulation alongside (or instead of) the linearizability `model`. `nodes` are the live
   * nodes as the run left them, for properties of their final state (chain safety…).
   */
  /**
   * Virtual ms the nodes keep running after the last operation, every fault healed and no client
   * left, before the run is done and judged (default 0): for a system whose promise is that its
   * replicas converge once the faults are over (strong eventual consistency), the time it gets
   * to do so, so its judge can check the replicas as they settled.
   */
  settleMs?(params: Readonly<Record<string, string>>): number;
  judge?(
    history: readonly HistoryOp[],
    cluster: readonly NodeId[],
    nodes: ReadonlyMap<NodeId, ProtocolNode>,
    context?: JudgeContext,
  ): Judgement;
}
