/**
 * What a client may ask the transactional database's gateway, checked with a schema when it
 * arrives (clients are not trusted), and the typed failures it may hear back:
 *
 *   {f:'txn', value: mops}                  one-shot: run, restarting as needed, and commit
 *   {f:'txn-begin'}                         open an interactive transaction → its handle
 *   {f:'txn-step', txn, value: mops}        run micro-ops in it → their results
 *   {f:'txn-commit', txn}                   commit it
 *   {f:'txn-rollback', txn}                 roll it back
 *
 * A failure carries a `code` beside the usual `error` text, so a client acts on the code and
 * never on the words: `retry` (with a `reason`) is CockroachDB's 40001 — the transaction could
 * not go on as it was, nothing of it happened, and the client starts again from `txn-begin`.
 */
import * as v from 'valibot';
import type { Json } from '../../core/json.js';
import { checkSchema } from '../../core/schema-issue.js';

export type Mop = readonly [f: 'r' | 'append' | 'w', key: string, value: Json];

export const MAX_MOPS = 64;
export const MAX_KEY = 256;

const key = v.pipe(v.string(), v.maxLength(MAX_KEY));
const mop = v.pipe(
  v.strictTuple([
    v.picklist(['r', 'w', 'append']),
    key,
    v.union([v.null(), v.pipe(v.number(), v.finite()), v.string()]),
  ]),
  v.check(
    ([f, , value]) => (f === 'r') === (value === null),
    'a read takes null, a write or append a number or a string',
  ),
);
const mops = v.pipe(v.array(mop), v.minLength(1), v.maxLength(MAX_MOPS));
const handle = v.pipe(v.string(), v.minLength(1), v.maxLength(128));

const clientOp = v.variant('f', [
  v.strictObject({ f: v.literal('txn'), value: mops }),
  v.strictObject({ f: v.literal('txn-begin') }),
  v.strictObject({ f: v.literal('txn-step'), txn: handle, value: mops }),
  v.strictObject({ f: v.literal('txn-commit'), txn: handle }),
  v.strictObject({ f: v.literal('txn-rollback'), txn: handle }),
]);

export type TxnClientOp =
  | { readonly f: 'txn'; readonly value: readonly Mop[] }
  | { readonly f: 'txn-begin' }
  | { readonly f: 'txn-step'; readonly txn: string; readonly value: readonly Mop[] }
  | { readonly f: 'txn-commit'; readonly txn: string }
  | { readonly f: 'txn-rollback'; readonly txn: string };

/** The op, or why it is not one (`field: problem`, one line). */
export function parseTxnClientOp(
  op: unknown,
): { readonly op: TxnClientOp } | { readonly problem: string } {
  const r = checkSchema(clientOp, op, 'op');
  if ('problem' in r) return r;
  return { op: r.value as TxnClientOp };
}

/**
 * Why a transaction could not go on without its client starting over: an uncertain value
 * (its timestamp had to move above a value it might have missed), a read that could not be
 * refreshed to a pushed write timestamp, its record aborted by another transaction's push, or
 * its own deadline passed.
 */
export type RetryReason = 'uncertainty' | 'refresh' | 'pushed' | 'deadline';

export type TxnErrorCode =
  /** Start over: nothing of the transaction happened. */
  | 'retry'
  /** The handle names no open transaction here (never opened, ended, expired, or another node's). */
  | 'no-such-txn'
  /** A step or commit of this transaction is still running. */
  | 'busy'
  /** Too many open transactions on this node. */
  | 'too-many'
  /** The request is not a transaction op. */
  | 'malformed'
  /** The node cannot take transactions yet. */
  | 'unavailable'
  /** It failed for another reason; `definite` says whether it certainly did not happen. */
  | 'failed';

/** A failed reply as the client port carries it: ClientReply's fields and the typed code. */
export interface TxnFailure {
  readonly ok: false;
  readonly error: string;
  readonly definite: boolean;
  readonly code: TxnErrorCode;
  readonly reason?: RetryReason;
}

export function txnFailure(
  code: TxnErrorCode,
  error: string,
  definite: boolean,
  reason?: RetryReason,
): TxnFailure {
  return { ok: false, error, definite, code, ...(reason !== undefined ? { reason } : {}) };
}

const CODES: ReadonlySet<string> = new Set<TxnErrorCode>([
  'retry',
  'no-such-txn',
  'busy',
  'too-many',
  'malformed',
  'unavailable',
  'failed',
]);
const REASONS: ReadonlySet<string> = new Set<RetryReason>([
  'uncertainty',
  'refresh',
  'pushed',
  'deadline',
]);

/** The typed code of a failed reply that came over the wire, if it carries a known one. */
export function failureCodeOf(reply: unknown): {
  readonly code: TxnErrorCode;
  readonly reason: RetryReason | null;
} | null {
  if (typeof reply !== 'object' || reply === null) return null;
  const r = reply as { code?: unknown; reason?: unknown };
  if (typeof r.code !== 'string' || !CODES.has(r.code)) return null;
  const reason = typeof r.reason === 'string' && REASONS.has(r.reason) ? r.reason : null;
  return { code: r.code as TxnErrorCode, reason: reason as RetryReason | null };
}
