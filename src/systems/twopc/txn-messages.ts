/**
 * What the transactional workloads add to the 2PC messages (list-append-node.ts): a prepare carries
 * the micro-ops of the participant it goes to, a vote the participant's reads. The fields ride
 * on the protocol's own messages, which ignore them, and are checked where they are read: a
 * message that lacks them, or holds them malformed, is a bug, not a fault to tolerate.
 */
import type { Json } from '../../core/json.js';

/** A micro-op's function: list-append's `append`, rw-register's `w`, and either's read. */
export type MopKind = 'r' | 'append' | 'w';
/** A micro-op placed at the participant owning its key: its index in the transaction first. */
export type PlacedMop = readonly [index: number, f: MopKind, key: string, value: number];
/**
 * A participant's reads: for each read micro-op's index, the list it read (a register's read is
 * the list of its last write, or empty).
 */
export type Reads = readonly (readonly [index: number, list: readonly number[]])[];

export class TxnMessageError extends Error {
  readonly code = 'bad-txn-field';
}

function bad(what: string): never {
  throw new TxnMessageError(`list-append: ${what}`);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

const ALL_KINDS: readonly MopKind[] = ['r', 'append', 'w'];

/**
 * A prepare's `mops` field (`[]` for a participant with no key in the transaction), its micro-ops
 * of the `kinds` given (a workload's own).
 */
export function readMops(msg: object, kinds: readonly MopKind[] = ALL_KINDS): readonly PlacedMop[] {
  const mops = (msg as { readonly mops?: unknown }).mops;
  if (!Array.isArray(mops)) return bad('a prepare without its micro-ops');
  for (const m of mops as unknown[]) {
    if (
      !Array.isArray(m) ||
      m.length !== 4 ||
      !isInt(m[0]) ||
      !kinds.includes(m[1] as MopKind) ||
      typeof m[2] !== 'string' ||
      !isInt(m[3])
    ) {
      return bad(`a malformed micro-op ${JSON.stringify(m)} in a prepare`);
    }
  }
  return mops as readonly PlacedMop[];
}

/** A vote's `reads` field, or undefined when it carries none (an Aborted Paxos Commit value). */
export function readReads(vote: object): Reads | undefined {
  const reads = (vote as { readonly reads?: unknown }).reads;
  if (reads === undefined) return undefined;
  if (!Array.isArray(reads)) return bad('a vote whose reads are not a list');
  for (const r of reads as unknown[]) {
    if (!Array.isArray(r) || r.length !== 2 || !isInt(r[0]) || !Array.isArray(r[1])) {
      return bad(`a malformed read ${JSON.stringify(r)} in a vote`);
    }
    if (!(r[1] as unknown[]).every(isInt)) return bad(`a read of non-values ${JSON.stringify(r)}`);
  }
  return reads as Reads;
}

/** A committed list as stored (`list/<key>`): each element with the transaction that appended it. */
export type StoredList = readonly (readonly [txn: string, value: number])[];

export function readStoredList(key: string, v: Json | undefined): StoredList {
  if (
    !Array.isArray(v) ||
    !v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && isInt(e[1]))
  ) {
    return bad(`record ${key} is not what this version wrote`);
  }
  return v as unknown as StoredList;
}

export function readStoredMops(key: string, v: Json | undefined): readonly PlacedMop[] {
  return readMops({ mops: v ?? bad(`record ${key} is missing`) });
}
