/** What a Raft server replicates: the service contract its log is applied to. */
import type { Json } from '../../core/json.js';
import type { Command } from './messages.js';
import type { SnapshotSource } from './snapshot.js';

/** The replicated service: what commands do, how reads are answered, and client sessions. */
export interface StateMachine extends SnapshotSource {
  /** Well-formed operations only; anything else is turned away before it reaches the log. */
  valid(op: Json): boolean;
  /** Reads are answered from the applied state (after ReadIndex), never logged. */
  isRead(op: Json): boolean;
  /**
   * A read only the leader may answer, because its answer depends on state only the leader
   * keeps (etcd's lessor clocks): never served at a follower. Absent means none.
   */
  readNeedsLeader?(op: Json): boolean;
  /**
   * Applies a committed command. Must be deterministic, and must deduplicate by client and
   * seq (§6.3), so a command that reaches the log twice takes effect once.
   */
  apply(command: Command): Json;
  read(op: Json): Json;
  /** The result of this client's request `seq` if it has already been applied, else undefined. */
  recall(client: string, seq: number): { readonly result: Json } | undefined;
  /** The applied state, sessions included, as plain data (§5.1). */
  snapshot(): Json;
  /**
   * Why `data` is not a snapshot this machine can restore, or undefined when it is. A follower
   * asks before restoring one a leader sent, so a malformed snapshot from a buggy or hostile peer
   * is refused rather than stopping the node. Absent: every snapshot is taken as it is.
   */
  snapshotProblem?(data: Json): string | undefined;
  restore(data: Json): void;
  summary(): Record<string, Json>;
}
