/**
 * The peer-message schema of a 2PC system, under either workload: the protocol's own schema, once
 * the fields list-append-node.ts adds, where present (a prepare's `mops`, a vote's `reads`, inside
 * Paxos Commit's values too), are checked and taken off.
 */
import type { NodeId } from '../../core/node.js';
import { readMops, readReads, TxnMessageError, type MopKind } from './txn-messages.js';

type Check = (msg: unknown, cluster: readonly NodeId[]) => string | undefined;

/**
 * `base`, for messages that may carry the transactional fields — or, given the micro-op `kinds`
 * of the one workload the nodes run, must: a list-append node's prepare without its micro-ops,
 * or with rw-register's, is no message of its protocol.
 */
export function txnMessageProblem(base: Check, kinds?: readonly MopKind[]): Check {
  return (msg, cluster) => {
    if (typeof msg !== 'object' || msg === null) return base(msg, cluster);
    try {
      return base(strip(msg as Readonly<Record<string, unknown>>, kinds), cluster);
    } catch (e) {
      if (e instanceof TxnMessageError) return e.message;
      throw e;
    }
  };
}

function strip(
  msg: Readonly<Record<string, unknown>>,
  kinds: readonly MopKind[] | undefined,
): unknown {
  switch (msg['type']) {
    case 'prepare': {
      // The transfer workload's prepares carry none.
      if (kinds === undefined && !('mops' in msg)) return msg;
      readMops(msg, kinds);
      const { mops: _mops, ...rest } = msg;
      return rest;
    }
    case 'vote':
      return stripVote(msg);
    case 'pc-2a':
    case 'pc-2b':
      return Array.isArray(msg['values'])
        ? { ...msg, values: msg['values'].map((v: unknown) => stripIn(v, 'vote')) }
        : msg;
    case 'pc-1b':
      return Array.isArray(msg['reports'])
        ? { ...msg, reports: msg['reports'].map((r: unknown) => stripIn(r, 'vote')) }
        : msg;
    default:
      return msg;
  }
}

/** A vote without its `reads` (checked first); anything else as it is. */
function stripVote(vote: unknown): unknown {
  if (typeof vote !== 'object' || vote === null) return vote;
  readReads(vote);
  const { reads: _reads, ...rest } = vote as Readonly<Record<string, unknown>>;
  return rest;
}

function stripIn(holder: unknown, field: string): unknown {
  if (typeof holder !== 'object' || holder === null) return holder;
  const h = holder as Readonly<Record<string, unknown>>;
  return { ...h, [field]: stripVote(h[field]) };
}
