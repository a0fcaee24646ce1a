/**
 * What a PBFT replica keeps on its disk, and the checks it reads them back through: a record of
 * the wrong shape (another version's, or a torn write the disk let through) stops the replica
 * with an error naming the key, rather than letting a wrong view, sequence number or certificate
 * into the protocol. Signatures inside the records are not trusted either: every message read
 * back goes through the same verification as one from the network before it counts.
 *
 *   ckpt   the stable checkpoint with its proof
 *   view   the view, whether it is active, the last active view and the floor
 *   seq    the primary's highest assigned number in its view
 *   nv     the NEW-VIEW of the current view
 *   pp/N   the pre-prepare accepted for N in the current view
 *   pc/N   the prepared certificate of the highest view for N
 */
import type { Json } from '../../core/json.js';
import type { DurableStore } from '../../core/storage.js';
import type { SignedMsg } from './crypto.js';
import { isCount, isSignedMsg } from './messages.js';

/** A stable checkpoint: the state after executing through `n`, and Q signed CHECKPOINTs. */
export interface Checkpoint {
  readonly n: number;
  readonly snap: string;
  readonly proof: readonly SignedMsg[];
}

/** A prepared certificate: the pre-prepare and Q − 1 matching prepares from distinct backups. */
export interface PreparedCert {
  readonly v: number;
  readonly pp: SignedMsg;
  readonly prepares: readonly SignedMsg[];
}

/** A checkpoint proven stable by a NEW-VIEW, whose state the replica may not hold yet. */
export interface Floor {
  readonly n: number;
  readonly proof: readonly SignedMsg[];
}

export interface StoredView {
  readonly v: number;
  readonly active: boolean;
  /** The last view this replica was active in (it prepared nothing in any later one). */
  readonly lastActive: number;
  readonly floor: Floor;
}

/** The primary's highest assigned sequence number `n`, in view `v`. */
export interface StoredSeq {
  readonly v: number;
  readonly n: number;
}

export class PbftRecordError extends Error {
  readonly code = 'bad-record';
  constructor(key: string) {
    super(`pbft: record ${key} is not what this version wrote`);
    this.name = 'PbftRecordError';
  }
}

type JsonObject = { readonly [k: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isMsgList(v: Json | undefined): v is Json[] {
  return Array.isArray(v) && v.every(isSignedMsg);
}

/** The record at `key` if `ok` says it has its shape; absent stays undefined. */
function read<T>(
  storage: DurableStore,
  key: string,
  ok: (v: JsonObject) => boolean,
): T | undefined {
  const v = storage.get(key);
  if (v === undefined) return undefined;
  if (!isObject(v) || !ok(v)) throw new PbftRecordError(key);
  return v as unknown as T;
}

function isProof(v: JsonObject): boolean {
  return isCount(v['n']) && isMsgList(v['proof']);
}

export function readCheckpoint(storage: DurableStore): Checkpoint | undefined {
  return read(storage, 'ckpt', (v) => isProof(v) && typeof v['snap'] === 'string');
}

export function readView(storage: DurableStore): StoredView | undefined {
  return read(
    storage,
    'view',
    (v) =>
      isCount(v['v']) &&
      typeof v['active'] === 'boolean' &&
      isCount(v['lastActive']) &&
      isObject(v['floor']) &&
      isProof(v['floor']),
  );
}

export function readSeq(storage: DurableStore): StoredSeq | undefined {
  return read(storage, 'seq', (v) => isCount(v['v']) && isCount(v['n']));
}

/** A signed message kept whole (`nv`, `pp/N`). */
export function readSignedMsg(storage: DurableStore, key: string): SignedMsg | undefined {
  return read(storage, key, isSignedMsg);
}

/** Every `pp/N` record, in the storage's key order. */
export function readPrePrepares(storage: DurableStore): SignedMsg[] {
  const out: SignedMsg[] = [];
  for (const key of storage.keys('pp/')) {
    const msg = readSignedMsg(storage, key);
    if (msg !== undefined) out.push(msg);
  }
  return out;
}

/** Every `pc/N` record above `low`, by N. */
export function readPreparedCerts(storage: DurableStore, low: number): Map<number, PreparedCert> {
  const out = new Map<number, PreparedCert>();
  for (const key of storage.keys('pc/')) {
    const n = Number(key.slice(3));
    if (!isCount(n)) throw new PbftRecordError(key);
    if (n <= low) continue;
    const cert = read<PreparedCert>(
      storage,
      key,
      (v) => isCount(v['v']) && isSignedMsg(v['pp']) && isMsgList(v['prepares']),
    );
    if (cert !== undefined) out.set(n, cert);
  }
  return out;
}

/** Records are plain data: these are the shapes `put` takes. */
export function checkpointRecord(ck: Checkpoint): Json {
  return ck as unknown as Json;
}

export function viewRecord(view: StoredView): Json {
  return view as unknown as Json;
}

export function certRecord(cert: PreparedCert): Json {
  return cert as unknown as Json;
}

export function msgRecord(msg: SignedMsg): Json {
  return msg as unknown as Json;
}
