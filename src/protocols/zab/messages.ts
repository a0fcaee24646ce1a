/**
 * Zab's messages, named as ZooKeeper names its packets. Every message after election carries the
 * epoch it belongs to, and a server ignores one from any other epoch than the one it is in.
 */
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import type { Zxid } from './zxid.js';

/** A client's write as the log holds it; `client` and `seq` make a retry take effect once. */
export interface Txn {
  readonly client: string;
  readonly seq: number;
  readonly op: Json;
}

/** One proposal of the history: its zxid and transaction. */
export interface Entry {
  readonly z: Zxid;
  readonly txn: Txn;
}

/** A fast-leader-election vote: the server it names and that server's (currentEpoch, lastZxid). */
export interface Vote {
  readonly leader: NodeId;
  readonly epoch: number;
  readonly zxid: Zxid;
}

export type ServerState = 'looking' | 'following' | 'leading';

/** How the leader brings a follower in line before NEWLEADER takes effect. */
export type SyncMode = 'diff' | 'trunc' | 'snap';

export type ZabMsg =
  /** Fast leader election: the sender's round, state and current vote. */
  | {
      readonly type: 'notification';
      readonly round: number;
      readonly state: ServerState;
      readonly vote: Vote;
    }
  /** Discovery: a follower tells the leader the last epoch it accepted. */
  | { readonly type: 'followerinfo'; readonly acceptedEpoch: number }
  /** Discovery: the leader proposes the new epoch. */
  | { readonly type: 'leaderinfo'; readonly epoch: number }
  /** Discovery: the follower accepted `epoch`; here is how far its history goes. */
  | {
      readonly type: 'ackepoch';
      readonly epoch: number;
      readonly currentEpoch: number;
      readonly lastZxid: Zxid;
    }
  /**
   * Synchronization in one message (the network may reorder, so the sync and NEWLEADER travel
   * together): `snap` replaces the follower's history with `entries`; `trunc` cuts it back to
   * `base` and appends `entries`; `diff` appends `entries` after `base`, its last zxid. The plan
   * was made for a follower whose last zxid was `followerLast`; one that has moved on since (a
   * duplicated or late NEWLEADER) ignores it.
   */
  | {
      readonly type: 'newleader';
      readonly epoch: number;
      readonly mode: SyncMode;
      readonly base: Zxid;
      readonly followerLast: Zxid;
      readonly entries: readonly Entry[];
    }
  /** The follower holds the leader's history durably and has taken `epoch` as current. */
  | { readonly type: 'ack-newleader'; readonly epoch: number; readonly zxid: Zxid }
  /** A quorum acked NEWLEADER: the history through `commit` is committed; serve clients. */
  | { readonly type: 'uptodate'; readonly epoch: number; readonly commit: Zxid }
  /** Broadcast: `txn` at `zxid`, right after `prev` in the leader's history. */
  | {
      readonly type: 'proposal';
      readonly epoch: number;
      readonly zxid: Zxid;
      readonly prev: Zxid;
      readonly txn: Txn;
    }
  /** The follower durably holds the leader's history through `zxid` (cumulative). */
  | { readonly type: 'ack'; readonly epoch: number; readonly zxid: Zxid }
  /** Everything through `zxid` is committed. */
  | { readonly type: 'commit'; readonly epoch: number; readonly zxid: Zxid }
  /** The leader's heartbeat, carrying its commit point. */
  | { readonly type: 'ping'; readonly epoch: number; readonly commit: Zxid }
  /** A client's write forwarded by the follower the client talks to. */
  | {
      readonly type: 'request';
      readonly epoch: number;
      readonly client: string;
      readonly seq: number;
      readonly op: Json;
    };
