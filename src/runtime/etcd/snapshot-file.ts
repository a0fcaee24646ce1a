/**
 * The file `etcdctl snapshot save` writes from a truthkit member (Maintenance.Snapshot), and
 * `--from-snapshot` reads back. etcd's file is its bbolt database with a sha256 appended; this
 * one is truthkit's own store state, self-checking the same way:
 *
 *   MAGIC                      `truthkit-etcd-snapshot 1\n`
 *   meta                       one line of JSON: revision, compact revision, keys, the
 *                              member and time it was taken, and `stateBytes`
 *   state                      `stateBytes` bytes of JSON (store-state.ts)
 *   padding                    zero bytes, up to a multiple of 512 bytes
 *   sha256                     32 bytes over everything before
 *
 * The padding is for etcdctl: before it renames the file it downloaded into place, `etcdctl
 * snapshot save` (3.4) checks that its length is a multiple of 512 (bbolt's page) plus 32 (a
 * sha256), and refuses anything else with `sha256 checksum not found`. The digest at the end is
 * then where etcd's own snapshot has its one, over the same span.
 * so a file cut short, with a byte changed, or that is not one of these at all (an etcd
 * snapshot) is refused with one line saying which, before anything is restored from it.
 */
import { createHash } from 'node:crypto';
import type { Json } from '../../core/json.js';

export const SNAPSHOT_MAGIC = Buffer.from('truthkit-etcd-snapshot 1\n', 'latin1');
const DIGEST_BYTES = 32;
/** The length of a snapshot less its digest is a multiple of this (see the top). */
const ALIGN = 512;

function paddingAfter(bytes: number): number {
  return (ALIGN - (bytes % ALIGN)) % ALIGN;
}
/** The meta line is small; anything longer is not one of ours. */
const MAX_META_BYTES = 64 * 1024;

/** What a snapshot file says of itself (its meta line). */
export interface SnapshotMeta {
  readonly revision: number;
  readonly compactRevision: number;
  readonly keys: number;
  /** The member it was taken from, and when (ISO time). */
  readonly member: string;
  readonly taken: string;
  readonly stateBytes: number;
}

export type SnapshotFileProblem = 'not-a-snapshot' | 'truncated' | 'checksum' | 'malformed';

/** A snapshot file refused; `code` says why, the message says it in one line. */
export class SnapshotFileError extends Error {
  constructor(
    readonly code: SnapshotFileProblem,
    message: string,
  ) {
    super(message);
    this.name = 'SnapshotFileError';
  }
}

/** The encoded file: the bytes in order, and their total length. */
export interface EncodedSnapshot {
  readonly parts: readonly Buffer[];
  readonly bytes: number;
}

/**
 * The JSON text of `value` in pieces: the elements of its arrays one at a time (to
 * MAX_SPLIT_DEPTH), so that no piece is much larger than one key's version. json-pieces.ts
 * cuts arrays into 256 elements, which for 16 KiB values is 4 MB of text that V8 takes about
 * 200 ms to encode in one go.
 */
function* pieces(value: unknown, depth = 0): Generator<string, void, undefined> {
  if (depth < MAX_SPLIT_DEPTH && Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      const e: unknown = value[i];
      if (e === undefined || typeof e === 'function')
        yield 'null'; // as JSON.stringify
      else yield* pieces(e, depth + 1);
    }
    yield ']';
    return;
  }
  // Objects are opened only near the top (the state, the store), not each key's version.
  if (depth < 2 && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    yield '{';
    let first = true;
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function') continue;
      yield `${first ? '' : ','}${JSON.stringify(k)}:`;
      first = false;
      yield* pieces(v, depth + 1);
    }
    yield '}';
    return;
  }
  yield JSON.stringify(value);
}

/** Arrays are split into elements down to this depth (state → store → events → revision). */
const MAX_SPLIT_DEPTH = 4;
/** Bytes encoded (and hashed) between two pauses. */
const BATCH_CHARS = 256 * 1024;

/**
 * Encodes a snapshot file. The state's JSON is made in pieces and `pause` is awaited between
 * batches of them, and again while hashing, so a store of many megabytes does not hold the
 * event loop for the whole encoding.
 */
export async function encodeSnapshot(
  state: Json,
  meta: Omit<SnapshotMeta, 'stateBytes'>,
  pause: () => Promise<void> = () => new Promise((r) => setImmediate(r)),
): Promise<EncodedSnapshot> {
  const body: Buffer[] = [];
  let stateBytes = 0;
  let pending: string[] = [];
  let pendingChars = 0;
  const flush = (): void => {
    const b = Buffer.from(pending.join(''), 'utf8');
    body.push(b);
    stateBytes += b.length;
    pending = [];
    pendingChars = 0;
  };
  for (const piece of pieces(state)) {
    pending.push(piece);
    pendingChars += piece.length;
    if (pendingChars >= BATCH_CHARS) {
      flush();
      await pause();
    }
  }
  flush();
  const head = Buffer.from(JSON.stringify({ ...meta, stateBytes }) + '\n', 'utf8');
  const padding = Buffer.alloc(paddingAfter(SNAPSHOT_MAGIC.length + head.length + stateBytes));
  const hash = createHash('sha256').update(SNAPSHOT_MAGIC).update(head);
  for (const b of body) {
    hash.update(b);
    await pause();
  }
  hash.update(padding);
  const parts = [SNAPSHOT_MAGIC, head, ...body, padding, hash.digest()];
  return { parts, bytes: parts.reduce((n, b) => n + b.length, 0) };
}

function isMeta(x: unknown): x is SnapshotMeta {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const m = x as Record<string, unknown>;
  const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  return (
    count(m.revision) &&
    count(m.compactRevision) &&
    count(m.keys) &&
    count(m.stateBytes) &&
    typeof m.member === 'string' &&
    typeof m.taken === 'string'
  );
}

/** Reads a snapshot file's bytes: its meta and its state, or a SnapshotFileError. */
export function decodeSnapshot(
  buf: Buffer,
  name = 'snapshot',
): { meta: SnapshotMeta; state: Json } {
  if (!buf.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    if (SNAPSHOT_MAGIC.subarray(0, buf.length).equals(buf)) {
      throw new SnapshotFileError('truncated', `${name}: truncated (${buf.length} bytes)`);
    }
    throw new SnapshotFileError(
      'not-a-snapshot',
      `${name}: not a truthkit etcd snapshot (an etcd bbolt snapshot cannot be restored here)`,
    );
  }
  const end = buf.indexOf(0x0a, SNAPSHOT_MAGIC.length);
  if (end < 0 || end - SNAPSHOT_MAGIC.length > MAX_META_BYTES) {
    if (end < 0 && buf.length - SNAPSHOT_MAGIC.length <= MAX_META_BYTES) {
      throw new SnapshotFileError('truncated', `${name}: truncated (${buf.length} bytes)`);
    }
    throw new SnapshotFileError('malformed', `${name}: no meta line`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(buf.subarray(SNAPSHOT_MAGIC.length, end).toString('utf8'));
  } catch {
    meta = undefined;
  }
  if (!isMeta(meta)) throw new SnapshotFileError('malformed', `${name}: malformed meta line`);
  const stateAt = end + 1;
  const stateEnd = stateAt + meta.stateBytes;
  const digestAt = stateEnd + paddingAfter(stateEnd);
  const expected = digestAt + DIGEST_BYTES;
  if (buf.length < expected) {
    throw new SnapshotFileError(
      'truncated',
      `${name}: truncated (${buf.length} bytes, ${expected} expected)`,
    );
  }
  if (buf.length > expected) {
    throw new SnapshotFileError(
      'malformed',
      `${name}: ${buf.length - expected} bytes past the end of the snapshot`,
    );
  }
  const want = buf.subarray(digestAt);
  const got = createHash('sha256').update(buf.subarray(0, digestAt)).digest();
  if (!got.equals(want)) {
    throw new SnapshotFileError('checksum', `${name}: sha256 mismatch (the file is corrupt)`);
  }
  if (buf.subarray(stateEnd, digestAt).some((b) => b !== 0)) {
    throw new SnapshotFileError('malformed', `${name}: padding that is not zeros`);
  }
  let state: Json;
  try {
    state = JSON.parse(buf.subarray(stateAt, stateEnd).toString('utf8')) as Json;
  } catch {
    throw new SnapshotFileError('malformed', `${name}: the state is not JSON`);
  }
  return { meta, state };
}
