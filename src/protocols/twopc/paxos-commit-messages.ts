/**
 * The messages of Paxos Commit (paxos-commit.ts): Gray and Lamport's phase 1a/1b/2a/2b, one Paxos
 * instance per resource manager (participant) of a transaction. An instance is named by its RM.
 * Messages about several instances of one transaction travel together (the paper bundles them
 * the same way), so each carries a list.
 */
import type { NodeId } from '../../core/node.js';

/**
 * What an instance decides: the RM's vote. `prepared` false is the paper's Aborted. An RM
 * that prepares also reports the balances it locked, which is what an audit reads, so the
 * leader can answer the client from the chosen values alone.
 */
export interface RmVote {
  readonly prepared: boolean;
  readonly balances: Readonly<Record<string, number>>;
}

/** The value a leader proposes for an instance in which no acceptor reports a vote. */
export const ABORTED: RmVote = { prepared: false, balances: {} };

export interface InstanceValue {
  readonly rm: NodeId;
  readonly vote: RmVote;
}

/** What an acceptor reports in phase 1b: its last accepted ballot and value (−1, null: none). */
export interface InstanceReport {
  readonly rm: NodeId;
  readonly bal: number;
  readonly vote: RmVote | null;
}

export type PaxosCommitMsg =
  | {
      /** Phase 2a. Ballot 0: an RM's own vote, sent by the RM itself; higher: a leader's. */
      readonly type: 'pc-2a';
      readonly txn: string;
      readonly ballot: number;
      /** Every RM of the transaction, so an acceptor knows when its ballot-0 bundle is whole. */
      readonly rms: readonly NodeId[];
      readonly values: readonly InstanceValue[];
    }
  | {
      /** Phase 2b: the acceptor accepted these values in this ballot. */
      readonly type: 'pc-2b';
      readonly txn: string;
      readonly ballot: number;
      readonly values: readonly InstanceValue[];
    }
  | {
      /** Phase 1a for the listed instances (ballot > 0). */
      readonly type: 'pc-1a';
      readonly txn: string;
      readonly ballot: number;
      readonly rms: readonly NodeId[];
      readonly instances: readonly NodeId[];
    }
  | {
      /** Phase 1b: the acceptor promised the ballot for the listed instances. */
      readonly type: 'pc-1b';
      readonly txn: string;
      readonly ballot: number;
      readonly reports: readonly InstanceReport[];
    }
  | {
      /** The acceptor had promised a higher ballot (`promised`) in one of the instances. */
      readonly type: 'pc-nack';
      readonly txn: string;
      readonly ballot: number;
      readonly promised: number;
    };
