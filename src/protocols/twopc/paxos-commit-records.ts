/**
 * What Paxos Commit reads back from storage and timers, checked as it is read: a record of the
 * wrong shape (another version's, or a torn write the disk let through) stops the node with a
 * message naming the key rather than letting a wrong ballot or value into Paxos.
 */
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import type { RmVote } from './paxos-commit-messages.js';

/** An acceptor's state in one instance: promised ballot, last accepted ballot and value. */
export interface InstanceState {
  readonly mbal: number;
  readonly bal: number;
  readonly vote: RmVote | null;
}

/** An acceptor's state for one transaction (record `pc/<txn>`, replaced whole, never mutated). */
export interface AcceptorTxn {
  readonly rms: readonly NodeId[];
  readonly inst: Readonly<Record<NodeId, InstanceState>>;
}

export class PaxosCommitRecordError extends Error {
  readonly code = 'bad-record';
}

type JsonObject = { readonly [k: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNodeList(v: Json | undefined): v is readonly string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isVote(v: Json | undefined): boolean {
  return (
    isObject(v) &&
    typeof v['prepared'] === 'boolean' &&
    isObject(v['balances']) &&
    Object.values(v['balances']).every((b) => typeof b === 'number')
  );
}

function bad(what: string): never {
  throw new PaxosCommitRecordError(`paxos-commit: ${what} is not what this version wrote`);
}

export function readAcceptorTxn(key: string, v: Json | undefined): AcceptorTxn {
  if (!isObject(v) || !isNodeList(v['rms']) || !isObject(v['inst'])) return bad(`record ${key}`);
  for (const s of Object.values(v['inst'])) {
    if (
      !isObject(s) ||
      typeof s['mbal'] !== 'number' ||
      typeof s['bal'] !== 'number' ||
      !(s['vote'] === null || isVote(s['vote']))
    ) {
      return bad(`record ${key}`);
    }
  }
  return v as unknown as AcceptorTxn;
}

export function readNodeList(key: string, v: Json | undefined): readonly NodeId[] {
  return isNodeList(v) ? v : bad(`record ${key}`);
}

export function readRound(v: Json | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : bad('record pc-round');
}

export function readTxnTimer(name: string, data: Json | undefined): string {
  return typeof data === 'string' ? data : bad(`timer ${name}'s data`);
}

export function readPhaseTimer(data: Json | undefined): { txn: string; ballot: number } {
  if (!isObject(data) || typeof data['txn'] !== 'string' || typeof data['ballot'] !== 'number') {
    return bad("timer pc-phase-timeout's data");
  }
  return { txn: data['txn'], ballot: data['ballot'] };
}
