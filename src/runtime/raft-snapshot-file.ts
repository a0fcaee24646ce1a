/**
 * A value in parts (a Raft snapshot of a large store) kept in a file of its own beside the
 * write-ahead log, as etcd keeps its snapshots in `.snap` files: the log gets one small record
 * naming the file (wal.ts), so the log's group-commit rounds — every acknowledgement, heartbeat
 * answers included — never wait behind seconds of snapshot writes, and a log rewrite copies that
 * small record rather than the snapshot.
 *
 * The file is written as `NAME.tmp` a part at a time (each part's JSON encoded between event-loop
 * turns, the writes on libuv's pool, a datasync every FLUSH_BYTES so dirty pages never pile up
 * into one long flush that would slow the log's own fsyncs), fsynced, renamed to NAME, and the
 * directory fsynced; only then is it referred to. Recovery checks every part's checksum, the
 * count, the size and the whole file's checksum against the record, and refuses a file that
 * fails any of them (SnapshotFileProblem; wal.ts turns it into a WalCorruptionError).
 *
 * File layout: an 8-byte magic `TKSNAP1\n`, then one record per part,
 *   [u32 LE payload length][u32 LE CRC-32 of (length bytes ++ payload)][payload: the part's JSON],
 * the framing of the log's records.
 */
import { closeSync, openSync, readdirSync, rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import type { Json } from '../core/json.js';
import { crc32 } from './crc32.js';
import { readAt } from './read-at.js';

export const SNAP_MAGIC = Buffer.from('TKSNAP1\n', 'latin1');
const HEADER = 8;
const SUFFIX = '.snap';
const TEMP_SUFFIX = '.snap.tmp';
/** Bytes written between two datasyncs of a snapshot file. */
const FLUSH_BYTES = 64 * 1024 * 1024;
/** Records up to this many bytes in all are joined into one write. */
const JOIN_BYTES = 4 * 1024 * 1024;

/** What the log's record says of the file it names: enough to check the file on recovery. */
export interface SnapshotFileRef {
  readonly file: string;
  readonly parts: number;
  /** The file's size in bytes. */
  readonly bytes: number;
  /** CRC-32 of the whole file. */
  readonly crc: number;
}

/** The file name of the `seq`th snapshot file of a directory. */
export function snapshotFileName(seq: number): string {
  return `snap-${String(seq).padStart(16, '0')}${SUFFIX}`;
}

/** The sequence number of a snapshot file's name, or undefined when it is none. */
export function snapshotFileSeq(name: string): number | undefined {
  const m = /^snap-(\d{16})\.snap$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** Why a snapshot file cannot be what its record says (never match on `reason`: use `code`). */
export class SnapshotFileProblem extends Error {
  constructor(
    readonly path: string,
    readonly offset: number,
    readonly reason: string,
    readonly code: 'missing-snapshot' | 'bad-snapshot',
  ) {
    super(`snapshot file ${path}: ${reason}`);
    this.name = 'SnapshotFileProblem';
  }
}

/** One part's record (length, CRC, JSON), as a Buffer of its own. */
function partRecord(part: Json, maxBytes: number, index: number): Buffer {
  const json = JSON.stringify(part);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) {
    throw new RangeError(`part ${index} is ${bytes} bytes, over the record limit of ${maxBytes}`);
  }
  const rec = Buffer.allocUnsafe(HEADER + bytes);
  rec.write(json, HEADER, 'utf8');
  rec.writeUInt32LE(bytes, 0);
  rec.writeUInt32LE(crc32(rec, HEADER, rec.length, crc32(rec, 0, 4)), 4);
  return rec;
}

/**
 * Writes `parts` to `dir/name` durably (temp file, datasyncs, fsync, rename, directory fsync)
 * and says what the log's record must hold. Each part is encoded on this thread, one per
 * event-loop turn at most (the awaits between them let the node's messages and the log's rounds
 * in); `stopped()` true between parts abandons the write, leaving a temp file that the next
 * open removes.
 */
export async function writeSnapshotFile(
  dir: string,
  name: string,
  parts: readonly Json[],
  maxRecordBytes: number,
  stopped: () => boolean,
): Promise<SnapshotFileRef | undefined> {
  const tmp = join(dir, name.replace(/\.snap$/, TEMP_SUFFIX));
  const fh = await fsp.open(tmp, 'w', 0o600);
  let position = 0;
  let crc = 0;
  let sinceFlush = 0;
  try {
    let batch: Buffer[] = [SNAP_MAGIC];
    let batchBytes = SNAP_MAGIC.length;
    const flush = async (): Promise<void> => {
      const data = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch);
      batch = [];
      batchBytes = 0;
      crc = crc32(data, 0, data.length, crc);
      for (let off = 0; off < data.length;) {
        const { bytesWritten } = await fh.write(data, off, data.length - off, position);
        if (bytesWritten <= 0) throw new Error(`write made no progress at offset ${position}`);
        off += bytesWritten;
        position += bytesWritten;
      }
      sinceFlush += data.length;
      if (sinceFlush >= FLUSH_BYTES) {
        sinceFlush = 0;
        await fh.datasync();
      }
    };
    for (let i = 0; i < parts.length; i++) {
      if (stopped()) return undefined;
      const rec = partRecord(parts[i] as Json, maxRecordBytes, i);
      batch.push(rec);
      batchBytes += rec.length;
      if (batchBytes >= JOIN_BYTES) await flush();
      // A turn of the event loop between parts even when the writes were joined.
      else await new Promise<void>((r) => setImmediate(r));
    }
    if (batch.length > 0) await flush();
    if (stopped()) return undefined;
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, join(dir, name));
  const d = await fsp.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  return { file: name, parts: parts.length, bytes: position, crc };
}

/**
 * The parts of the snapshot file `ref` names in `dir`, each checked, or a SnapshotFileProblem:
 * `missing-snapshot` when the file is not there, `bad-snapshot` when it is not what the record
 * says (a part fails its checksum or is no JSON, a part is missing or extra, the size or the
 * file's checksum differs).
 */
export function readSnapshotFile(
  dir: string,
  ref: SnapshotFileRef,
  maxRecordBytes: number,
): Json[] {
  const path = join(dir, ref.file);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SnapshotFileProblem(
        path,
        0,
        'the log refers to it, and it is gone',
        'missing-snapshot',
      );
    }
    throw e;
  }
  const bad = (offset: number, reason: string): SnapshotFileProblem =>
    new SnapshotFileProblem(path, offset, reason, 'bad-snapshot');
  try {
    const magic = readAt(fd, 0, SNAP_MAGIC.length);
    if (!magic.equals(SNAP_MAGIC)) throw bad(0, 'not a truthkit snapshot file (bad magic)');
    let crc = crc32(magic, 0, magic.length);
    let off = SNAP_MAGIC.length;
    const parts: Json[] = [];
    for (;;) {
      const head = readAt(fd, off, HEADER);
      if (head.length === 0) break;
      if (head.length < HEADER) throw bad(off, `record header cut short (${head.length} bytes)`);
      const len = head.readUInt32LE(0);
      if (len === 0 || len > maxRecordBytes) throw bad(off, `impossible record length ${len}`);
      const payload = readAt(fd, off + HEADER, len);
      if (payload.length < len) throw bad(off, `record of ${len} bytes runs past the end`);
      const want = head.readUInt32LE(4);
      if (crc32(payload, 0, len, crc32(head, 0, 4)) !== want) {
        throw bad(off, `part ${parts.length} fails its checksum`);
      }
      try {
        parts.push(JSON.parse(payload.toString('utf8')) as Json);
      } catch {
        throw bad(off, `part ${parts.length} is no JSON`);
      }
      crc = crc32(payload, 0, len, crc32(head, 0, HEADER, crc));
      off += HEADER + len;
    }
    if (parts.length !== ref.parts) {
      throw bad(off, `it holds ${parts.length} parts, and the log's record says ${ref.parts}`);
    }
    if (off !== ref.bytes)
      throw bad(off, `it is ${off} bytes, and the log's record says ${ref.bytes}`);
    if (crc !== ref.crc) throw bad(0, "the file's checksum is not the one the log recorded");
    return parts;
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes from `dir` every temp snapshot file (a write a crash cut short) and every snapshot
 * file the log does not refer to (written, then a crash before its record was durable, or
 * replaced by a newer one whose deletion a crash cut short). Returns the names removed, and the
 * highest sequence number seen (new files are numbered past it).
 */
export function sweepSnapshotFiles(
  dir: string,
  referenced: ReadonlySet<string>,
): { removed: string[]; maxSeq: number } {
  const removed: string[] = [];
  let maxSeq = 0;
  for (const name of readdirSync(dir)) {
    const seq = snapshotFileSeq(name.endsWith(TEMP_SUFFIX) ? name.slice(0, -4) : name);
    if (seq === undefined) continue;
    maxSeq = Math.max(maxSeq, seq);
    if (name.endsWith(TEMP_SUFFIX) || !referenced.has(name)) {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return { removed, maxSeq };
}
