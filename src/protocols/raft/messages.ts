/**
 * What Raft servers store in their logs and say to each other (dissertation ch. 3, 4, 5, 6).
 * Everything is plain data, so the simulator can copy it and the real runtime can encode it.
 */
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';

/** The servers that vote (and form quorums) and the learners that only receive the log. */
export interface Membership {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** A client command as it travels through the log: who sent it, its sequence number, the op. */
export interface Command {
  readonly client: string;
  readonly seq: number;
  readonly op: Json;
}

/**
 * One log entry. `noop` is the entry a new leader appends to commit its predecessors' entries
 * (§3.6.2, §6.4); `config` carries a membership that takes effect as soon as it is appended
 * (§4.1); `command` goes to the state machine.
 */
export type Entry =
  | { readonly term: number; readonly kind: 'noop' }
  | { readonly term: number; readonly kind: 'command'; readonly command: Command }
  | { readonly term: number; readonly kind: 'config'; readonly config: Membership };

/**
 * A snapshot of the state machine through `index`, with the membership in effect there. The
 * state is a sequence of parts (at least one), each a bounded value, so a large state is never
 * one value or one string (see snapshot.ts).
 */
export interface Snapshot {
  readonly index: number;
  readonly term: number;
  readonly config: Membership;
  readonly parts: readonly Json[];
}

export type RaftMsg =
  /** Pre-vote (§9.6): "would you vote for me in `term`?" — changes nobody's state. */
  | {
      readonly type: 'pre-vote';
      readonly term: number;
      readonly lastIndex: number;
      readonly lastTerm: number;
    }
  | { readonly type: 'pre-vote-resp'; readonly term: number; readonly granted: boolean }
  | {
      readonly type: 'vote';
      readonly term: number;
      readonly lastIndex: number;
      readonly lastTerm: number;
      /** Set for a leadership transfer: voters must not refuse for having a live leader. */
      readonly transfer: boolean;
    }
  | { readonly type: 'vote-resp'; readonly term: number; readonly granted: boolean }
  | {
      readonly type: 'append';
      readonly term: number;
      readonly prevIndex: number;
      readonly prevTerm: number;
      readonly entries: readonly Entry[];
      readonly commit: number;
      /** The leader's read round when it sent this (echoed back, see read-index.ts). */
      readonly round: number;
    }
  | {
      readonly type: 'append-resp';
      readonly term: number;
      readonly success: boolean;
      /** On success: the follower's log matches the leader's through here. */
      readonly match: number;
      /** On rejection: the prevIndex that was rejected, and where the leader should retry. */
      readonly rejected: number;
      readonly hintIndex: number;
      /** The term of the follower's conflicting entry at `rejected` (0 if it has none). */
      readonly hintTerm: number;
      readonly round: number;
    }
  /** Heartbeat: no log position, so it can never be rejected for a gap (etcd's design). */
  | {
      readonly type: 'heartbeat';
      readonly term: number;
      /** min(leader's commit, the follower's known match): safe to commit on the follower. */
      readonly commit: number;
      readonly round: number;
    }
  | { readonly type: 'heartbeat-resp'; readonly term: number; readonly round: number }
  | {
      readonly type: 'snapshot';
      readonly term: number;
      readonly index: number;
      readonly snapTerm: number;
      readonly config: Membership;
      /** Character offset of `chunk` in the JSON text of part `part`. */
      readonly offset: number;
      readonly chunk: string;
      /** This chunk ends its part (the last part's: the snapshot). */
      readonly done: boolean;
      readonly round: number;
      /** The part `chunk` belongs to, and how many there are: both absent for one part. */
      readonly part?: number;
      readonly parts?: number;
    }
  | {
      readonly type: 'snapshot-resp';
      readonly term: number;
      readonly index: number;
      /** Characters of part `part` received so far (the next offset wanted). */
      readonly received: number;
      /** The part the follower is receiving (absent: 0). */
      readonly part?: number;
      /** True once the snapshot is installed and durable. */
      readonly installed: boolean;
      readonly round: number;
    }
  /** Leadership transfer (§3.10): "start an election now". */
  | { readonly type: 'timeout-now'; readonly term: number }
  /**
   * Follower reads (§6.4, etcd's MsgReadIndex): a follower asks its leader of `term` for a read
   * index on behalf of the reads it holds. `ctx` names the request (a random nonce per
   * incarnation of the follower, then a counter), so a late or duplicated answer is not taken
   * for a later request's.
   */
  | { readonly type: 'read-index'; readonly term: number; readonly ctx: string }
  /**
   * The leader's answer: with `ok`, `index` is its commit index at a moment after the request
   * arrived, and its leadership was confirmed after that moment. Not `ok`: it could not (it is
   * not the leader of `term`, or it lost its quorum); the follower fails the reads.
   */
  | {
      readonly type: 'read-index-resp';
      readonly term: number;
      readonly ctx: string;
      readonly index: number;
      readonly ok: boolean;
    };
