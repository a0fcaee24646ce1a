/**
 * A file-backed DurableStore: every StoreOp is appended to a write-ahead log as one checksummed
 * record, and `sync` makes them durable with fsync before calling back. Concurrent syncs are
 * batched into one write + fdatasync (group commit; the write goes synchronously to the page
 * cache, so a round costs one thread-pool round trip). Recovery replays the records into a
 * StoreState, truncates a torn tail, and refuses to start on corruption before the tail, naming
 * the file and offset. When the log has grown well past the state it holds, it is rewritten as
 * the state's ops into a temp file that replaces it atomically (fsync, rename, directory fsync).
 * The rewrite is one group-commit round like any other: its bytes are assembled on the node's
 * thread (each key's current record is kept encoded, so a large snapshot is not encoded again),
 * and the file work runs on libuv's pool while syncs asked for meanwhile wait for the next
 * round, which goes to the new file.
 *
 * File layout: an 8-byte magic `TKWAL01\n`, then records of
 *   [u32 LE payload length][u32 LE CRC-32 of (length bytes ++ payload)][payload: StoreOp JSON].
 * A `put-parts` op (a value in bounded parts: a large Raft snapshot) is a record per part and an
 * end record (wal-parts.ts), so no record, buffer or string is ever the whole value; recovery
 * reads the file a window at a time for the same reason (a log past 2 GiB is no one Buffer).
 * One saved with `putPartsAside` is a snapshot file beside the log (raft-snapshot-file.ts),
 * written off the rounds, and one small `parts-file` record naming it, written once the file is
 * durable; recovery reads and checks the file the last such record of each key names.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { deepFreeze, type Json } from '../core/json.js';
import { OpLogStore, StoreState, type StoreOp } from '../core/storage.js';
import { crc32 } from './crc32.js';
import { readAt } from './read-at.js';
import { jsonPieces } from './json-pieces.js';
import { DurableMark, MARK_FILE, MARK_INTERVAL_MS, readMark } from './wal-mark.js';
import {
  asPartRecord,
  asPartsFileRecord,
  HEAD_CHARS,
  PartsAssembler,
  partPayload,
  partsEndPayload,
  PartsProblem,
  type PartRecord,
  type PartsFileRecord,
} from './wal-parts.js';
import {
  readSnapshotFile,
  snapshotFileName,
  SnapshotFileProblem,
  sweepSnapshotFiles,
  writeSnapshotFile,
} from './raft-snapshot-file.js';

export const WAL_FILE = 'wal.log';
/** Holds the pid of the process using the directory; a second process is refused. */
export const LOCK_FILE = 'LOCK';
const TEMP_FILE = 'wal.log.tmp';
export const MAGIC = Buffer.from('TKWAL01\n', 'latin1');
/** A record's header: u32 length, u32 CRC. */
export const HEADER = 8;
/**
 * No single record may be larger than this: recovery reads a longer length field as damage, so
 * the writer refuses to write one (RecordTooLargeError) rather than leave a log it cannot read.
 */
export const MAX_RECORD = 256 * 1024 * 1024;
/**
 * At most this many log entries, and about this many bytes of them, per `append` record when the
 * log is rewritten: entries may be as large as a request (1.5 MiB for etcd), so a count alone
 * could make a record past MAX_RECORD.
 */
const ENTRIES_PER_RECORD = 512;
/** Records up to this many bytes in all are joined into one write; a larger one goes alone. */
const WRITE_JOIN_BYTES = 4 * 1024 * 1024;
const APPEND_RECORD_BYTES = 16 * 1024 * 1024;

/** What is wrong with a damaged log, for callers that act on it (never match the message). */
export type WalDamage =
  | 'bad-magic'
  /** A record's length field is 0 or past MAX_RECORD, with intact records after it. */
  | 'bad-length'
  /** A record is whole (its length fits the file) but its bytes fail the checksum. */
  | 'checksum'
  /** A record passes its checksum but holds no StoreOp, or one that cannot apply. */
  | 'not-an-op'
  /** A record is cut short with intact records after it. */
  | 'cut-short'
  /** The log ends before bytes its durable mark says were durable: it was cut or replaced. */
  | 'shorter-than-durable'
  /** The log is gone, but its durable mark says it held records. */
  | 'missing'
  /** The durable mark beside the log is damaged. */
  | 'bad-mark'
  /** The records of a value in parts are out of order, or one is missing (wal-parts.ts). */
  | 'missing-part'
  /** The log refers to a snapshot file (a `parts-file` record) that is not there. */
  | 'missing-snapshot'
  /** A snapshot file the log refers to is not what the record says (raft-snapshot-file.ts). */
  | 'bad-snapshot';

export class WalCorruptionError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
    readonly code: WalDamage,
  ) {
    super(`write-ahead log ${file} is corrupt at offset ${offset}: ${reason}`);
    this.name = 'WalCorruptionError';
  }
}

/** Another live process holds the log's directory: two writers would corrupt it. */
export class WalLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
    lockFile: string,
  ) {
    super(`${dir} is in use by process ${pid} (remove ${lockFile} if it is not)`);
    this.name = 'WalLockedError';
  }
}

/** A record too large for the log to hold: written, it could never be read back. */
export class RecordTooLargeError extends Error {
  constructor(what: string, bytes: number, limit: number) {
    super(
      `${what} would be a record of ${bytes} bytes, over the write-ahead log's limit of ` +
        `${limit}; nothing more is written, so the log stays readable as it is`,
    );
    this.name = 'RecordTooLargeError';
  }
}

export interface WalOptions {
  /** Rewrite the log once it exceeds this size and more than half of it is garbage. */
  readonly compactBytes?: number;
  /** Called for recovery and compaction events. */
  readonly log?: (message: string, fields: Record<string, Json>) => void;
  /** Called when a write or fsync fails: the store can no longer promise durability. */
  readonly onFatal?: (error: Error) => void;
  /** The largest record written (default and most MAX_RECORD; tests lower it). */
  readonly maxRecordBytes?: number;
}

export interface RecoveryReport {
  /** The log existed before this open (so the node restarts rather than starts fresh). */
  readonly existed: boolean;
  readonly records: number;
  /** Bytes of a torn tail that were cut off (0 when the log ended cleanly). */
  readonly truncatedBytes: number;
  readonly truncatedAt?: number;
}

/**
 * A record as it is on disk: every StoreOp but put-parts, which is part records or a record
 * naming a snapshot file (wal-parts.ts).
 */
export type DiskOp = Exclude<StoreOp, { kind: 'put-parts' }> | PartRecord | PartsFileRecord;

export function encodeRecord(op: DiskOp, maxBytes = MAX_RECORD): Buffer {
  const what = op.kind === 'put' ? `a put of '${op.key}'` : `a ${op.kind} op`;
  return recordOf(JSON.stringify(op), what, maxBytes);
}

/** A record holding `json`; RecordTooLargeError when its payload would pass `maxBytes`. */
function recordOf(json: string, what: string, maxBytes: number): Buffer {
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) throw new RecordTooLargeError(what, bytes, maxBytes);
  // Encoded straight into the record: Buffer.from plus a copy cost ~8 ms more for a 4 MB
  // snapshot, on the node's loop.
  const rec = Buffer.allocUnsafe(HEADER + bytes);
  rec.write(json, HEADER, 'utf8');
  return sealRecord(rec);
}

/** Fills in a record's header (length, CRC); its payload is already in place after it. */
function sealRecord(rec: Buffer): Buffer {
  rec.writeUInt32LE(rec.length - HEADER, 0);
  rec.writeUInt32LE(crc32(rec, HEADER, rec.length, crc32(rec, 0, 4)), 4);
  return rec;
}

/** The record at `off`: its end offset, or why it is not a whole, intact record. */
export function readRecord(
  buf: Buffer,
  off: number,
): { end: number } | { bad: string; code: WalDamage; whole: boolean } {
  if (buf.length - off < HEADER) {
    return {
      bad: `record header cut short (${buf.length - off} bytes)`,
      code: 'cut-short',
      whole: false,
    };
  }
  const len = buf.readUInt32LE(off);
  if (len === 0 || len > MAX_RECORD) {
    return { bad: `impossible record length ${len}`, code: 'bad-length', whole: false };
  }
  if (off + HEADER + len > buf.length) {
    return {
      bad: `record of ${len} bytes runs past the end of the file`,
      code: 'cut-short',
      whole: false,
    };
  }
  const want = buf.readUInt32LE(off + 4);
  const got = crc32(buf, off + HEADER, off + HEADER + len, crc32(buf, off, off + 4));
  if (got !== want) {
    return { bad: `checksum mismatch (record of ${len} bytes)`, code: 'checksum', whole: true };
  }
  return { end: off + HEADER + len };
}

/** The unit a disk writes atomically; a write torn by a crash loses whole sectors. */
const SECTOR = 512;

/**
 * True when the last record, whole by its length but failing its checksum, was torn by a crash
 * rather than damaged after it was written. A crash mid-write leaves sectors that never reached
 * the disk, which read back as zeros (the file was extended, the data not written); bytes that
 * were written and later changed leave no such sector. This is etcd's rule for its WAL's last
 * entry.
 */
function tornByCrash(buf: Buffer, off: number): boolean {
  const from = off + HEADER;
  const end = buf.length;
  for (let s = Math.floor(from / SECTOR) * SECTOR; s < end; s += SECTOR) {
    const a = Math.max(s, from);
    const b = Math.min(s + SECTOR, end);
    // A whole sector of the payload, or the file's last piece from a sector boundary on.
    if (a === s && (b === s + SECTOR || b === end) && allZero(buf, a, b)) return true;
  }
  // Everything after the header unwritten.
  return allZero(buf, from, end);
}

function allZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/** True when an intact record starts anywhere after `from`: damage there is not a torn tail. */
function intactRecordAfter(buf: Buffer, from: number): boolean {
  for (let p = from; p + HEADER < buf.length; p++) {
    const len = buf.readUInt32LE(p);
    if (len === 0 || len > MAX_RECORD || p + HEADER + len > buf.length) continue;
    if ('end' in readRecord(buf, p)) return true;
  }
  return false;
}

export function parseOp(payload: Buffer): DiskOp | undefined {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  switch (o.kind) {
    case 'put':
      return typeof o.key === 'string' && 'value' in o ? (o as unknown as DiskOp) : undefined;
    case 'delete':
      return typeof o.key === 'string' ? (o as unknown as DiskOp) : undefined;
    case 'append':
      return Array.isArray(o.entries) ? (o as unknown as DiskOp) : undefined;
    case 'truncate-after':
    case 'compact-to':
      return Number.isSafeInteger(o.index) ? (o as unknown as DiskOp) : undefined;
    case 'part':
    case 'parts-end':
      return asPartRecord(o);
    case 'parts-file':
      return asPartsFileRecord(o);
    default:
      return undefined;
  }
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `dir/WAL_FILE` atomically with `bytes`: temp file, fsync, rename, directory fsync. */
function replaceAtomically(dir: string, bytes: Buffer): void {
  const tmp = join(dir, TEMP_FILE);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, WAL_FILE));
  fsyncDir(dir);
}

/**
 * Claims the directory for this process. A lock left by a process that is gone (a crash) is
 * taken over; one held by a live process is refused, since two writers would corrupt the log.
 */
export function takeLock(file: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new WalLockedError(dirname(file), pid, file);
    }
    rmSync(file, { force: true });
  }
  throw new Error(`cannot lock ${file}`);
}

export function releaseLock(file: string): void {
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The bytes of the log's records that still matter: the latest put of each key and the append
 * records of entries not compacted or truncated away (an entry counts its share of its
 * record). A rewrite keeps about this much, so it is worth doing only when the file is well
 * past it; a log that is all live (a Raft log between snapshots) would be rewritten for nothing.
 */
export class LiveSize {
  private readonly puts = new Map<string, number>();
  private putBytes = 0;
  /** Each entry's share of its record, aligned with the state's log. */
  private entries: number[] = [];
  private entryBytes = 0;

  get bytes(): number {
    return MAGIC.length + this.putBytes + this.entryBytes;
  }

  /**
   * Accounts for `op`, whose record is `recordBytes` long (0 for a put still being encoded:
   * `setPut` follows), before it is applied to `state`.
   */
  account(op: StoreOp, recordBytes: number, state: StoreState): void {
    switch (op.kind) {
      case 'put':
      case 'put-parts':
        this.dropPut(op.key);
        if (recordBytes > 0) this.setPut(op.key, recordBytes);
        return;
      case 'delete':
        this.dropPut(op.key);
        return;
      case 'append': {
        const share = recordBytes / Math.max(1, op.entries.length);
        for (let i = 0; i < op.entries.length; i++) this.entries.push(share);
        this.entryBytes += recordBytes;
        return;
      }
      case 'truncate-after': {
        const keep = Math.max(0, op.index - state.first + 1);
        for (let i = keep; i < this.entries.length; i++)
          this.entryBytes -= this.entries[i] as number;
        if (keep < this.entries.length) this.entries.length = keep;
        return;
      }
      case 'compact-to': {
        if (op.index < state.first) return;
        const drop = Math.min(op.index, state.last) - state.first + 1;
        for (let i = 0; i < drop; i++) this.entryBytes -= this.entries[i] as number;
        this.entries = this.entries.slice(drop);
        return;
      }
    }
  }

  /** The record of `key`'s latest put is `bytes` long. */
  setPut(key: string, bytes: number): void {
    this.dropPut(key);
    this.puts.set(key, bytes);
    this.putBytes += bytes;
  }

  private dropPut(key: string): void {
    const old = this.puts.get(key);
    if (old === undefined) return;
    this.putBytes -= old;
    this.puts.delete(key);
  }
}

/** Bytes recovery reads at a time (more when one record is longer). */
const WINDOW = 64 * 1024 * 1024;

/** Reads and replays a log file (`windowBytes` at a time); exported for tools and tests. */
export function recoverWal(
  file: string,
  windowBytes = WINDOW,
): {
  state: StoreState;
  live: LiveSize;
  records: number;
  validBytes: number;
  truncatedBytes: number;
  /** The parts-file record behind each key whose value is in a snapshot file. */
  files: Map<string, PartsFileRecord>;
} {
  const fd = openSync(file, 'r');
  let r: Omit<ReturnType<typeof recoverWal>, 'files'> & { refs: Map<string, PartsFileRecord> };
  try {
    r = replay(fd, fstatSync(fd).size, file, windowBytes);
  } finally {
    closeSync(fd);
  }
  const { refs, ...rest } = r;
  resolveFiles(dirname(file), rest.state, refs);
  return { ...rest, files: refs };
}

/**
 * Reads the snapshot files the log's last parts-file record of each key names into `state`.
 * Only the last counts: an older one's file was deleted once a newer value was durable. Each is
 * read once replay is done (a key's last record is its last op, so applying it last is applying
 * it in order), and checked; a file that is gone or wrong is a refusal to start, as a damaged
 * record in the log would be: the log's entries it stood for were compacted away.
 */
function resolveFiles(dir: string, state: StoreState, refs: ReadonlyMap<string, PartsFileRecord>) {
  for (const [key, ref] of refs) {
    let parts: Json[];
    try {
      parts = readSnapshotFile(dir, ref, MAX_RECORD);
    } catch (e) {
      if (!(e instanceof SnapshotFileProblem)) throw e;
      throw new WalCorruptionError(e.path, e.offset, e.reason, e.code);
    }
    if (ref.head !== undefined && JSON.stringify(parts[0]) !== JSON.stringify(ref.head)) {
      throw new WalCorruptionError(
        join(dir, ref.file),
        0,
        "its first part is not the head the log's record repeats",
        'bad-snapshot',
      );
    }
    state.apply({ kind: 'put-parts', key, parts: Object.freeze(parts.map((p) => deepFreeze(p))) });
  }
}

function replay(
  fd: number,
  size: number,
  file: string,
  window: number,
): Omit<ReturnType<typeof recoverWal>, 'files'> & { refs: Map<string, PartsFileRecord> } {
  // The file is read a window at a time, each starting on a sector boundary (tornByCrash
  // judges sectors by their offsets in the window). Every judgement about damage is made with
  // the window reaching the end of the file, as if the whole file had been read.
  let base = 0;
  let buf = readAt(fd, 0, Math.min(size, window));
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new WalCorruptionError(
      file,
      0,
      'not a truthkit write-ahead log (bad magic)',
      'bad-magic',
    );
  }
  const slide = (off: number, length: number): void => {
    base = off - (off % SECTOR);
    buf = readAt(fd, base, Math.min(size - base, length + (off - base)));
  };
  const state = new StoreState();
  const live = new LiveSize();
  const parts = new PartsAssembler();
  /** Keys whose latest value is in a snapshot file: read once replay is done (resolveFiles). */
  const refs = new Map<string, PartsFileRecord>();
  let off = MAGIC.length;
  let records = 0;
  while (off < size) {
    if (base + buf.length < size) {
      const at = off - base;
      const len = buf.length - at >= HEADER ? buf.readUInt32LE(at) : 0;
      const need = HEADER + (len > 0 && len <= MAX_RECORD ? len : 0);
      if (at + need > buf.length) slide(off, Math.max(window, need));
    }
    let r = readRecord(buf, off - base);
    if ('bad' in r && base + buf.length < size) {
      slide(off, size - off);
      r = readRecord(buf, off - base);
    }
    if ('bad' in r) {
      const at = off - base;
      // Damage with an intact record after it is not a torn tail: records are appended in
      // order, so a crash can only tear the last one.
      if (intactRecordAfter(buf, at + 1)) throw new WalCorruptionError(file, off, r.bad, r.code);
      // The last record is whole but wrong: an acknowledged write may be in it, so cutting it
      // would lose that write silently. Only a crash's tear (zeroed sectors) is cut.
      if (r.whole && !allZero(buf, at, buf.length) && !tornByCrash(buf, at)) {
        throw new WalCorruptionError(file, off, `${r.bad} in the last record`, r.code);
      }
      // A value in parts whose end record was torn away is cut whole: its key keeps its old value.
      const valid = parts.pending ? parts.start : off;
      return { state, live, records, validBytes: valid, truncatedBytes: size - valid, refs };
    }
    const end = base + r.end;
    const op = parseOp(buf.subarray(off - base + HEADER, r.end));
    if (op === undefined) {
      throw new WalCorruptionError(
        file,
        off,
        'record passes its checksum but is no StoreOp',
        'not-an-op',
      );
    }
    let apply: StoreOp | undefined;
    let bytes = end - off;
    if (op.kind === 'part' || op.kind === 'parts-end') {
      const got = parts.take(op, off, end - off);
      if (got instanceof PartsProblem) {
        throw new WalCorruptionError(file, off, got.reason, 'missing-part');
      }
      apply = got;
      bytes = parts.bytes;
    } else if (parts.pending) {
      throw new WalCorruptionError(
        file,
        off,
        `a ${op.kind} op where part records of a value continue or end`,
        'missing-part',
      );
    } else if (op.kind === 'parts-file') {
      // The key's value until a later op replaces it; its file is read at the end.
      refs.set(op.key, op);
      live.account({ kind: 'put-parts', key: op.key, parts: [] }, bytes, state);
      state.apply({ kind: 'delete', key: op.key });
    } else apply = op;
    if (apply !== undefined) {
      if (apply.kind === 'put' || apply.kind === 'put-parts' || apply.kind === 'delete') {
        refs.delete(apply.key);
      }
      try {
        live.account(apply, bytes, state);
        state.apply(apply.kind === 'put-parts' ? apply : deepFreeze(apply));
      } catch (e) {
        throw new WalCorruptionError(file, off, (e as Error).message, 'not-an-op');
      }
    }
    records++;
    off = end;
  }
  // Part records with no end record: a put-parts torn off at a record boundary.
  const valid = parts.pending ? parts.start : off;
  return { state, live, records, validBytes: valid, truncatedBytes: size - valid, refs };
}

const now = (): number => performance.now();

/** Longest a put's encoding may hold the node's loop at a time before it yields. */
const ENCODE_SLICE_MS = 2;

/** Records of one op being encoded a slice at a time; `step` says when they are complete. */
interface Pending {
  readonly key: string;
  /** Runs for about ENCODE_SLICE_MS; true once every record is encoded. */
  step(now: () => number): boolean;
  /** The encoded records (once complete). */
  readonly records: readonly Buffer[];
  readonly bytes: number;
}

/**
 * A put record being encoded a slice at a time (a large value: a Raft snapshot). `step` runs
 * for about ENCODE_SLICE_MS and says whether the record is complete.
 */
class PendingRecord implements Pending {
  record: Buffer | undefined;
  private readonly pieces: Generator<string, void, undefined>;
  private readonly chunks: Buffer[] = [];
  private text: string[] = [];
  private textLength = 0;
  private encodedBytes = 0;

  constructor(
    readonly key: string,
    value: Json,
    private readonly maxBytes: number,
  ) {
    this.pieces = jsonPieces(value);
    this.add(`{"kind":"put","key":${JSON.stringify(key)},"value":`);
  }

  step(now: () => number): boolean {
    if (this.record !== undefined) return true;
    const until = now() + ENCODE_SLICE_MS;
    for (;;) {
      const next = this.pieces.next();
      if (next.done === true) break;
      this.add(next.value);
      if (now() >= until) return false;
    }
    this.add('}');
    this.flushText();
    this.record = sealRecord(Buffer.concat([Buffer.allocUnsafe(HEADER), ...this.chunks]));
    return true;
  }

  get bytes(): number {
    return this.record?.length ?? 0;
  }

  get records(): readonly Buffer[] {
    return this.record === undefined ? [] : [this.record];
  }

  private add(piece: string): void {
    this.text.push(piece);
    this.textLength += piece.length;
    if (this.textLength >= 1 << 16) this.flushText();
  }

  /** Throws RecordTooLargeError as soon as the record passes its limit. */
  private flushText(): void {
    if (this.text.length === 0) return;
    const chunk = Buffer.from(this.text.join(''), 'utf8');
    this.encodedBytes += chunk.length;
    if (this.encodedBytes > this.maxBytes) {
      throw new RecordTooLargeError(`a put of '${this.key}'`, this.encodedBytes, this.maxBytes);
    }
    this.chunks.push(chunk);
    this.text = [];
    this.textLength = 0;
  }
}

/**
 * The records of a put-parts (wal-parts.ts), encoded a part at a time, as many parts per step
 * as fit in ENCODE_SLICE_MS: one part's JSON text is the largest string made.
 */
class PendingParts implements Pending {
  readonly records: Buffer[] = [];
  bytes = 0;
  private next = 0;

  constructor(
    readonly key: string,
    private readonly parts: readonly Json[],
    private readonly maxBytes: number,
  ) {}

  step(now: () => number): boolean {
    const until = now() + ENCODE_SLICE_MS;
    while (this.next < this.parts.length) {
      const i = this.next++;
      const what = `part ${i} of '${this.key}'`;
      this.push(recordOf(partPayload(this.key, i, this.parts[i] as Json), what, this.maxBytes));
      if (this.next === this.parts.length) break;
      if (now() >= until) return false;
    }
    if (this.records.length === this.parts.length) {
      const end = partsEndPayload(this.key, this.parts.length);
      this.push(recordOf(end, `the end of '${this.key}'`, this.maxBytes));
    }
    return true;
  }

  private push(record: Buffer): void {
    this.records.push(record);
    this.bytes += record.length;
  }
}

export class WalStore extends OpLogStore {
  readonly file: string;
  private readonly lockFile: string;
  readonly recovery: RecoveryReport;
  /** fsyncs issued (group commit makes this far smaller than the syncs asked for). */
  fsyncs = 0;
  /** Times the log was rewritten. */
  compactions = 0;

  private fd: number;
  private size: number;
  /** What a rewrite would keep (the log is rewritten once it is more than twice that). */
  private live: LiveSize;
  private readonly compactBytes: number;
  private readonly maxRecord: number;
  private unwritten: (Buffer | Pending)[] = [];
  /** Put records still being encoded, oldest first; a round waits until there are none. */
  private readonly encoding: Pending[] = [];
  private encodeScheduled = false;
  /**
   * The encoded record of each key's current value, as written: a rewrite reuses it rather than
   * encoding the value again (a Raft snapshot of a large store costs tens of ms to encode).
   */
  private readonly putRecords = new Map<string, readonly Buffer[]>();
  private issued = 0;
  private durable = 0;
  /** Bytes of the log covered by the last fdatasync that returned. */
  private durableBytes: number;
  private readonly mark: DurableMark;
  private lastMarkAt = -Infinity;
  private markTimer: NodeJS.Timeout | undefined;
  /** Callbacks for the next round; each round writes and fsyncs everything issued before it. */
  private waiting: (() => void)[] = [];
  private flushing = false;
  private kickScheduled = false;
  private rewriteInFlight = false;
  /** A rewrite asked for whatever the log's size (defragment()). */
  private rewriteAsked = false;
  private closed = false;
  private failed: Error | undefined;
  private readonly onIdle: (() => void)[] = [];
  /** The snapshot file behind each key whose current value is one (raft-snapshot-file.ts). */
  private readonly files = new Map<string, string>();
  /**
   * The parts-file record a finished snapshot file waits to have written for it: encode()
   * writes it for the put-parts op of exactly these parts (by identity).
   */
  private readonly saved = new Map<string, { parts: readonly Json[]; record: PartsFileRecord }>();
  /** Files to delete once the op that replaced them (the `issued`th write) is durable. */
  private stale: { readonly after: number; readonly file: string }[] = [];
  /** The number of the last snapshot file named in this directory. */
  private fileSeq: number;
  /** Snapshot files being written, one after the other (saves complete in the order asked). */
  private fileQueue: Promise<void> = Promise.resolve();
  /** Snapshot files written (for status and tests). */
  snapshotFiles = 0;

  private constructor(
    readonly dir: string,
    private readonly options: WalOptions,
  ) {
    super();
    this.file = join(dir, WAL_FILE);
    this.compactBytes = options.compactBytes ?? 8 * 1024 * 1024;
    this.maxRecord = Math.min(options.maxRecordBytes ?? MAX_RECORD, MAX_RECORD);
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      fsyncDir(dirname(resolve(dir))); // the new directory's own entry must survive a crash
    }
    this.lockFile = join(dir, LOCK_FILE);
    takeLock(this.lockFile);
    const existed = existsSync(this.file);
    const markFile = join(dir, MARK_FILE);
    let r: ReturnType<typeof recoverWal>;
    try {
      const mark = readMark(markFile);
      if (mark !== undefined && 'bad' in mark) {
        throw new WalCorruptionError(markFile, 0, mark.bad, 'bad-mark');
      }
      if (!existed && mark !== undefined && mark.bytes > MAGIC.length) {
        throw new WalCorruptionError(
          this.file,
          0,
          `the log is missing, but ${mark.bytes} bytes of it were durable (${MARK_FILE})`,
          'missing',
        );
      }
      if (!existed) replaceAtomically(dir, MAGIC);
      r = recoverWal(this.file);
      // Checked before a torn tail is cut: a log shorter than its mark is left as it is.
      if (mark !== undefined && r.validBytes < mark.bytes) {
        throw new WalCorruptionError(
          this.file,
          r.validBytes,
          `the log ends at ${r.validBytes} bytes, but ${mark.bytes} were durable before ` +
            `(${MARK_FILE}): it was cut or replaced`,
          'shorter-than-durable',
        );
      }
    } catch (e) {
      releaseLock(this.lockFile);
      throw e;
    }
    this.state = r.state;
    this.live = r.live;
    // Temp files of writes a crash cut short, and files no record refers to (a crash before
    // the record was durable, or before a replaced file was deleted), are removed now.
    const swept = sweepSnapshotFiles(dir, new Set([...r.files.values()].map((f) => f.file)));
    if (swept.removed.length > 0) {
      options.log?.('wal: removed snapshot files the log does not refer to', {
        dir,
        files: swept.removed,
      });
    }
    this.fileSeq = swept.maxSeq;
    for (const [key, ref] of r.files) {
      this.files.set(key, ref.file);
      this.putRecords.set(key, [encodeRecord(ref, this.maxRecord)]);
    }
    this.fd = openSync(this.file, 'r+');
    if (r.truncatedBytes > 0) {
      ftruncateSync(this.fd, r.validBytes);
      fsyncSync(this.fd);
      options.log?.('wal: cut off a torn tail', {
        file: this.file,
        offset: r.validBytes,
        bytes: r.truncatedBytes,
      });
    }
    this.size = r.validBytes;
    this.durableBytes = r.validBytes;
    const newMark = !existsSync(markFile);
    this.mark = new DurableMark(markFile, r.validBytes, (e) => this.fail(e));
    if (newMark) fsyncDir(dir);
    this.recovery = {
      existed,
      records: r.records,
      truncatedBytes: r.truncatedBytes,
      ...(r.truncatedBytes > 0 ? { truncatedAt: r.validBytes } : {}),
    };
  }

  /** Opens (creating or recovering) the log in `dir`. Throws WalCorruptionError on damage. */
  static open(dir: string, options: WalOptions = {}): WalStore {
    return new WalStore(dir, options);
  }

  get unsyncedWrites(): number {
    return this.issued - this.durable;
  }

  /** Large puts still being encoded a slice at a time (rounds wait for them). */
  get encodingPuts(): number {
    return this.encoding.length;
  }

  /** A rewrite of the log is on disk now (its round has not finished). */
  get rewriting(): boolean {
    return this.rewriteInFlight;
  }

  /** Bytes in the log file (written so far). */
  get bytes(): number {
    return this.size;
  }

  protected keep(op: StoreOp): void {
    if (this.closed) throw new Error('write to a closed write-ahead log');
    if (this.failed !== undefined) return; // nothing more is written (see fail)
    this.issued++;
    if (op.kind === 'put' || op.kind === 'put-parts' || op.kind === 'delete') {
      // A file the key's value was in is deleted once this op replacing it is durable.
      const old = this.files.get(op.key);
      if (old !== undefined) {
        this.files.delete(op.key);
        this.stale.push({ after: this.issued, file: old });
      }
    }
    try {
      this.encode(op);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private encode(op: StoreOp): void {
    const saved = op.kind === 'put-parts' ? this.saved.get(op.key) : undefined;
    if (op.kind === 'put-parts' && saved !== undefined && saved.parts === op.parts) {
      // Parts already in their own file (saveAside): the log gets only the record naming it.
      this.saved.delete(op.key);
      const record = encodeRecord(saved.record, this.maxRecord);
      this.files.set(op.key, saved.record.file);
      this.putRecords.set(op.key, [record]);
      this.live.account(op, record.length, this.state);
      this.unwritten.push(record);
      return;
    }
    if (op.kind === 'put' || op.kind === 'put-parts') {
      // A put may be large (a Raft snapshot of a big store is megabytes of JSON): it is encoded
      // a slice at a time, the first slice now. A small one is done at once; a large one is
      // finished over the next turns, and rounds wait for it (records stay in issue order).
      const pending =
        op.kind === 'put'
          ? new PendingRecord(op.key, op.value, this.maxRecord)
          : new PendingParts(op.key, op.parts, this.maxRecord);
      this.putRecords.delete(op.key);
      if (this.encoding.length === 0 && pending.step(now)) {
        this.unwritten.push(...pending.records);
        this.putRecords.set(op.key, pending.records);
        this.live.account(op, pending.bytes, this.state);
        return;
      }
      this.live.account(op, 0, this.state); // its size is known once it is encoded
      this.unwritten.push(pending);
      this.encoding.push(pending);
      this.scheduleEncode();
      return;
    }
    if (op.kind === 'delete') this.putRecords.delete(op.key);
    const record = encodeRecord(op, this.maxRecord);
    this.live.account(op, record.length, this.state);
    this.unwritten.push(record);
  }

  private scheduleEncode(): void {
    if (this.encodeScheduled) return;
    this.encodeScheduled = true;
    setImmediate(() => {
      this.encodeScheduled = false;
      const p = this.encoding[0];
      if (p === undefined || this.closed || this.failed !== undefined) return;
      let complete: boolean;
      try {
        complete = p.step(now);
      } catch (e) {
        return this.fail(e as Error);
      }
      if (complete) {
        this.encoding.shift();
        // The latest put of its key, unless a newer one is already queued.
        const current = this.state.records.has(p.key) || this.state.parted.has(p.key);
        // Nor when a record naming a snapshot file replaced it meanwhile (files).
        if (!this.encoding.some((q) => q.key === p.key) && current && !this.files.has(p.key)) {
          this.putRecords.set(p.key, p.records);
          this.live.setPut(p.key, p.bytes);
        }
      }
      if (this.encoding.length > 0) this.scheduleEncode();
      else if (this.flushing || this.kickScheduled)
        return; // that round's end kicks again
      else if (this.waiting.length > 0) this.kick();
      else for (const f of this.onIdle.splice(0)) f();
    });
  }

  /**
   * Writes `parts` to a snapshot file of their own (raft-snapshot-file.ts), off the log's
   * rounds, then `saved` issues the put-parts op, which encode() turns into one small record
   * naming the file. Files are written one at a time, in the order asked for.
   */
  protected override saveAside(key: string, parts: readonly Json[], saved: () => void): void {
    if (this.closed) throw new Error('write to a closed write-ahead log');
    if (this.failed !== undefined) return;
    const name = snapshotFileName(++this.fileSeq);
    const stopped = (): boolean => this.closed || this.failed !== undefined;
    this.fileQueue = this.fileQueue.then(async () => {
      if (stopped()) return;
      let ref;
      try {
        ref = await writeSnapshotFile(this.dir, name, parts, this.maxRecord, stopped);
      } catch (e) {
        if (!stopped()) this.fail(e as Error);
        return;
      }
      if (ref === undefined || stopped()) return;
      this.snapshotFiles++;
      const headText = JSON.stringify(parts[0]);
      const record: PartsFileRecord = {
        kind: 'parts-file',
        key,
        ...ref,
        ...(headText.length <= HEAD_CHARS ? { head: parts[0] as Json } : {}),
      };
      this.saved.set(key, { parts, record });
      saved();
    });
  }

  /** Calls `onDurable` once every write issued so far has been written and fsynced. */
  sync(onDurable: () => void): void {
    if (this.closed) return;
    this.waiting.push(onDurable);
    // Start the round after this turn of the event loop, so that every sync asked for by the
    // messages and requests handled in it shares one write and one fsync.
    if (!this.kickScheduled && !this.flushing) {
      this.kickScheduled = true;
      setImmediate(() => {
        this.kickScheduled = false;
        this.kick();
      });
    }
  }

  /**
   * Rewrites the log as the ops that rebuild the current state at the next round, however
   * small its garbage (etcd's Defragment); `onDone` once the new log is in place and durable.
   */
  defragment(onDone: () => void): void {
    this.rewriteAsked = true;
    this.sync(onDone);
  }

  /** Waits for the round in flight and any waiting syncs, then closes the file. */
  close(done?: () => void): void {
    const finish = (): void => {
      if (!this.closed) {
        this.closed = true;
        clearTimeout(this.markTimer);
        try {
          // A clean stop leaves the mark exact, so any later cut at all is seen.
          if (this.failed === undefined && this.mark.written < this.durableBytes) {
            this.mark.setNow(this.durableBytes);
          }
          this.mark.close();
        } catch {
          // the mark is a check, not data: a failure to move it loses nothing
        }
        try {
          closeSync(this.fd);
        } catch {
          // a descriptor that failed may be unusable even for closing; nothing more to lose
        }
        releaseLock(this.lockFile);
      }
      done?.();
    };
    const busy =
      this.flushing || this.kickScheduled || this.waiting.length > 0 || this.encoding.length > 0;
    if (busy && this.failed === undefined) this.onIdle.push(finish);
    else finish();
  }

  private kick(): void {
    if (this.flushing || this.waiting.length === 0 || this.failed !== undefined) return;
    // A put still being encoded holds the round back (scheduleEncode kicks when it is done).
    if (this.encoding.length > 0) return;
    const callbacks = this.waiting;
    this.waiting = [];
    const covered = this.issued;
    const records = this.unwritten;
    this.unwritten = [];
    this.flushing = true;
    if (this.rewriteAsked || (this.size > this.compactBytes && this.size > 2 * this.live.bytes)) {
      this.rewriteAsked = false;
      // The new log holds the state as of now, which includes every record issued so far.
      this.rewriteInFlight = true;
      this.rewrite(() => {
        this.rewriteInFlight = false;
        this.roundDone(covered, callbacks);
      });
      return;
    }
    const buffers = records.flatMap((r) => (Buffer.isBuffer(r) ? [r] : r.records));
    // One thread-pool round trip per round, not two (each costs a hop to libuv's pool and a
    // wake-up of this loop): the bytes go to the page cache with a synchronous write on this
    // thread — a memory copy, microseconds for a round's few KiB; it blocks only when the
    // kernel throttles dirty pages, when the fdatasync would wait all the more — and only the
    // fdatasync, which waits for the disk, runs on the pool. Nothing is acknowledged before it
    // returns (roundDone).
    try {
      this.writeAll(buffers);
    } catch (e) {
      return this.fail(e as Error);
    }
    this.fsyncs++;
    const written = this.size;
    fdatasync(this.fd, (err) => {
      if (err) return this.fail(err);
      this.durableBytes = written;
      this.roundDone(covered, callbacks);
    });
  }

  /**
   * Appends `buffers` at the end of the log, looping over short writes. Small records are joined
   * into one write; a large one (a snapshot's parts) goes as it is. Throws on failure.
   */
  private writeAll(buffers: readonly Buffer[]): void {
    let small: Buffer[] = [];
    let smallBytes = 0;
    const flush = (): void => {
      if (small.length > 0)
        this.writeOne(small.length === 1 ? (small[0] as Buffer) : Buffer.concat(small));
      small = [];
      smallBytes = 0;
    };
    for (const b of buffers) {
      if (smallBytes + b.length > WRITE_JOIN_BYTES) flush();
      if (b.length > WRITE_JOIN_BYTES) this.writeOne(b);
      else {
        small.push(b);
        smallBytes += b.length;
      }
    }
    flush();
  }

  private writeOne(data: Buffer): void {
    for (let off = 0; off < data.length;) {
      const n = writeSync(this.fd, data, off, data.length - off, this.size);
      // A regular file takes at least one byte or reports an error; never spin on zero.
      if (n <= 0) throw new Error(`write made no progress at offset ${this.size}`);
      this.size += n;
      off += n;
    }
  }

  private roundDone(covered: number, callbacks: (() => void)[]): void {
    this.durable = Math.max(this.durable, covered);
    this.flushing = false;
    // Only now, after fsync returned, may anything depending on these writes be acknowledged.
    for (const cb of callbacks) cb();
    this.deleteStale();
    this.followMark();
    if (this.waiting.length > 0) this.kick();
    else for (const f of this.onIdle.splice(0)) f();
  }

  /**
   * Deletes the snapshot files whose replacement is durable. Not synced: a crash that brings a
   * deleted file back leaves a file no record refers to, which the next open removes.
   */
  private deleteStale(): void {
    if (this.stale.length === 0 || this.failed !== undefined) return;
    const keep: typeof this.stale = [];
    for (const s of this.stale) {
      if (s.after > this.durable) {
        keep.push(s);
        continue;
      }
      try {
        rmSync(join(this.dir, s.file), { force: true });
      } catch (e) {
        this.options.log?.('wal: could not delete a replaced snapshot file', {
          file: s.file,
          error: (e as Error).message,
        });
      }
    }
    this.stale = keep;
  }

  /**
   * Moves the durable mark up to what the log has made durable, at most every MARK_INTERVAL_MS
   * (a timer catches up after a burst). Never during a rewrite, which sets the mark itself.
   */
  private followMark(): void {
    if (this.closed || this.failed !== undefined || this.rewriteInFlight) return;
    if (this.mark.written >= this.durableBytes || this.markTimer !== undefined) return;
    const wait = this.lastMarkAt + MARK_INTERVAL_MS - now();
    if (wait > 0) {
      this.markTimer = setTimeout(() => {
        this.markTimer = undefined;
        this.followMark();
      }, wait);
      this.markTimer.unref();
      return;
    }
    this.lastMarkAt = now();
    try {
      this.mark.setLater(this.durableBytes);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private fail(err: Error): void {
    this.failed = err;
    clearTimeout(this.markTimer);
    this.rewriteInFlight = false;
    this.flushing = false;
    // Nothing waiting will ever be durable: its callbacks are dropped, never called.
    this.waiting = [];
    for (const f of this.onIdle.splice(0)) f();
    const e = new Error(`write-ahead log ${this.file}: ${err.message}`);
    if (this.options.onFatal !== undefined) this.options.onFatal(e);
    else throw e;
  }

  /**
   * The log's new contents: the ops that rebuild the current state, as the records to write in
   * order (never joined: a snapshot's parts may add up to more than one Buffer can hold).
   */
  private stateBytes(): Buffer[] {
    const parts: Buffer[] = [MAGIC];
    for (const [key, value] of this.state.records) {
      const kept = this.putRecords.get(key);
      if (kept !== undefined) parts.push(...kept);
      else parts.push(encodeRecord({ kind: 'put', key, value }, this.maxRecord));
    }
    for (const [key, values] of this.state.parted) {
      let kept = this.putRecords.get(key);
      if (kept === undefined) {
        // Read back on recovery, so not encoded yet: encoded now, once, and kept.
        const p = new PendingParts(key, values, this.maxRecord);
        while (!p.step(() => -Infinity));
        kept = p.records;
        this.putRecords.set(key, kept);
      }
      parts.push(...kept);
    }
    if (this.state.first > 1) {
      parts.push(encodeRecord({ kind: 'compact-to', index: this.state.first - 1 }));
    }
    // Entries go ENTRIES_PER_RECORD or about APPEND_RECORD_BYTES to a record, whichever is
    // reached first; each is encoded once, and a record is the texts joined.
    let group: string[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (group.length === 0) return;
      const json = `{"kind":"append","entries":[${group.join(',')}]}`;
      parts.push(recordOf(json, `an append of ${group.length} entries`, this.maxRecord));
      group = [];
      bytes = 0;
    };
    for (const entry of this.state.log) {
      const text = JSON.stringify(entry);
      if (group.length >= ENTRIES_PER_RECORD || bytes + text.length > APPEND_RECORD_BYTES) flush();
      group.push(text);
      bytes += text.length;
    }
    flush();
    return parts;
  }

  /**
   * Rewrites the log as the ops that rebuild the current state: temp file written and fsynced,
   * renamed over the log, directory fsynced (a crash at any point leaves the old log or the
   * new one, each complete). Only assembling the bytes happens on this thread; `done` is
   * called once the new log is in place, durable, and open for appends.
   */
  private rewrite(done: () => void): void {
    let records: Buffer[];
    try {
      records = this.stateBytes();
    } catch (e) {
      return this.fail(e as Error);
    }
    const before = this.size;
    const after = records.reduce((n, b) => n + b.length, 0);
    this.replaceWith(records).then(
      () => {
        this.size = after;
        this.durableBytes = after;
        this.compactions++;
        this.options.log?.('wal: rewrote the log', {
          file: this.file,
          before,
          after,
        });
        done();
      },
      (e: unknown) => this.fail(e as Error),
    );
  }

  /** Puts `records` in place of the log (see `rewrite`); appends then go to the new file. */
  private async replaceWith(records: readonly Buffer[]): Promise<void> {
    const tmp = join(this.dir, TEMP_FILE);
    const file = await fsp.open(tmp, 'w', 0o600);
    try {
      let position = 0;
      for (let i = 0; i < records.length;) {
        // Small records joined into writes of about WRITE_JOIN_BYTES; a large one on its own.
        let j = i + 1;
        let n = (records[i] as Buffer).length;
        while (j < records.length && n + (records[j] as Buffer).length <= WRITE_JOIN_BYTES) {
          n += (records[j] as Buffer).length;
          j++;
        }
        const data = j === i + 1 ? (records[i] as Buffer) : Buffer.concat(records.slice(i, j));
        for (let off = 0; off < data.length;) {
          const { bytesWritten } = await file.write(data, off, data.length - off, position);
          if (bytesWritten <= 0) throw new Error(`write made no progress at offset ${position}`);
          off += bytesWritten;
          position += bytesWritten;
        }
        i = j;
      }
      await file.sync();
    } finally {
      await file.close();
    }
    // The mark must not outlive the file it measured: lowered to "a log of no records" (and
    // durable) before the rename, raised to the new log's size after it (followMark).
    this.mark.setNow(MAGIC.length);
    // Rename and reopen in one step: no round runs meanwhile (this one is still in flight).
    renameSync(tmp, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'r+');
    // The rename is durable only once the directory is.
    const dir = await fsp.open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
