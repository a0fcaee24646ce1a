/**
 * The durable mark: a small file beside the write-ahead log that says how many bytes of the log
 * were durable at some recent moment. A log is only ever appended to (a rewrite aside, which
 * moves the mark itself), so a log found shorter than its mark was cut or replaced after the
 * fact — a lost file, a bad copy, a truncation — and recovering it as if nothing happened would
 * bring back an older term and vote and forget acknowledged entries. The mark turns that into a
 * refusal to start.
 *
 * The mark is written only after the log's fdatasync covering those bytes returned, so a crash
 * can never leave a mark past the log's durable end; it is synced off the acknowledgement path
 * and at most every MARK_INTERVAL_MS under load, so it costs no latency and few fsyncs, at the
 * price of not seeing a cut of only the last few milliseconds of writes.
 *
 * File layout (20 bytes): magic `TKMARK1\n`, u64 LE durable bytes, u32 LE CRC-32 of the 16
 * bytes before it.
 */
import {
  closeSync,
  constants,
  fdatasync,
  fdatasyncSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { crc32 } from './crc32.js';

export const MARK_FILE = 'wal.mark';
const MAGIC = Buffer.from('TKMARK1\n', 'latin1');
const SIZE = 20;
/** How often, at most, the mark follows the log under a steady load. */
export const MARK_INTERVAL_MS = 50;

export function encodeMark(bytes: number): Buffer {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bad mark ${bytes}`);
  const b = Buffer.alloc(SIZE);
  MAGIC.copy(b, 0);
  b.writeBigUInt64LE(BigInt(bytes), 8);
  b.writeUInt32LE(crc32(b, 0, 16), 16);
  return b;
}

/** The mark's bytes, `undefined` when there is no mark, or why the file is not one. */
export function readMark(file: string): { bytes: number } | { bad: string } | undefined {
  let b: Buffer;
  try {
    b = readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  // Created but never written (a crash right after the first open): no mark yet.
  if (b.length === 0) return undefined;
  if (b.length !== SIZE || !b.subarray(0, 8).equals(MAGIC)) {
    return { bad: `not a durable mark (${b.length} bytes)` };
  }
  if (b.readUInt32LE(16) !== crc32(b, 0, 16)) return { bad: 'durable mark fails its checksum' };
  const v = b.readBigUInt64LE(8);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return { bad: `impossible durable mark ${v}` };
  return { bytes: Number(v) };
}

/** The open mark file of a live log: set it (cheap, in the page cache), then make it durable. */
export class DurableMark {
  private readonly fd: number;
  /** The value last written to the file (durable once a sync after it returns). */
  written: number;
  private syncing = false;
  private resync = false;
  private closing = false;

  constructor(
    file: string,
    initial: number,
    private readonly onError: (e: Error) => void,
  ) {
    // Never truncated: a crash between a truncation and the write would leave no mark at all.
    this.fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
    this.written = -1;
    this.setNow(initial);
  }

  /** Writes and fsyncs `bytes` before returning (open, rewrite, close: never per write). */
  setNow(bytes: number): void {
    this.write(bytes);
    fdatasyncSync(this.fd);
  }

  /** Writes `bytes` now and makes it durable in the background (coalescing overlapping calls). */
  setLater(bytes: number): void {
    this.write(bytes);
    if (this.syncing) {
      this.resync = true;
      return;
    }
    this.syncing = true;
    fdatasync(this.fd, (err) => {
      this.syncing = false;
      // Closed meanwhile: close() made the mark durable itself and left the descriptor to us.
      if (this.closing) return closeSync(this.fd);
      if (err) return this.onError(err);
      if (this.resync) {
        this.resync = false;
        this.setLater(this.written);
      }
    });
  }

  /** Closes the file; a background sync in flight keeps the descriptor until it returns. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (!this.syncing) closeSync(this.fd);
  }

  private write(bytes: number): void {
    const b = encodeMark(bytes);
    // Positioned at 0, and on this thread: writes reach the page cache in the order made, so a
    // later sync can only make a newer value durable.
    if (writeSync(this.fd, b, 0, b.length, 0) !== b.length) throw new Error('short mark write');
    this.written = bytes;
  }
}
