/**
 * One segment of a partition's log, as Kafka's LogSegment: `<base offset, 20 digits>.log` holds
 * whole v2 record batches back to back, exactly as produced (base offset and leader epoch stamped
 * by the leader), and `<base>.index` its sparse offset index (offset-index.ts).
 *
 * File I/O is synchronous (writes and reads hit the page cache and take microseconds, and the
 * segment's in-memory state — size, next offset — then always matches its file) except fsync,
 * which is the one call that waits on the disk: `datasync` runs it on libuv's pool. A segment
 * counts its pending fsyncs and defers closing its descriptors until they finish, so a segment
 * deleted or truncated away mid-flush never has a descriptor number reused under a pending call.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { BATCH_HEADER_BYTES, BatchError, LOG_OVERHEAD, readBatchHeader } from './batch-header.js';
import { OffsetIndex, type IndexProblem } from './offset-index.js';
import { readAt } from '../read-at.js';
import { SegmentLogError, type RecoveryProblemCode } from './segment-error.js';

/** Bytes read at a time when looking for a batch: an index interval's worth and a header. */
const FIND_WINDOW = 8 * 1024;
/** Bytes read at a time when walking every header of a segment. */
const HEADERS_WINDOW = 64 * 1024;
/** Bytes read at a time when reading every batch in full (recovery). */
const SCAN_WINDOW = 1024 * 1024;

export function segmentFileName(baseOffset: number, suffix: '.log' | '.index'): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** The base offset a segment file's name carries, or undefined for any other name. */
export function segmentBaseOf(name: string, suffix: '.log' | '.index'): number | undefined {
  const m = /^(\d{20})(\.log|\.index)$/.exec(name);
  if (m === null || m[2] !== suffix) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The fields of a batch's header a reader walks by (no CRC check: reads trust the file). */
export interface BatchPosition {
  readonly position: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly size: number;
  readonly maxTimestamp: number;
}

export interface RecoveryProblem {
  readonly code: RecoveryProblemCode;
  /** Where in the segment file the bad batch starts. */
  readonly position: number;
  /** The offset the bad batch should have begun at. */
  readonly offset: number;
  readonly reason: string;
}

/** A sliding window over a file, so walking small batches costs one read per `chunk` bytes. */
class Window {
  private buf: Buffer = Buffer.alloc(0);
  private at = 0;

  constructor(
    private readonly fd: number,
    private readonly end: number,
    private readonly chunk: number,
  ) {}

  /** Bytes [pos, pos + n) of the file, fewer where it ends. */
  bytes(pos: number, n: number): Buffer {
    if (pos >= this.at && pos + n <= this.at + this.buf.length) {
      return this.buf.subarray(pos - this.at, pos - this.at + n);
    }
    this.buf = readAt(this.fd, pos, Math.max(0, Math.min(Math.max(n, this.chunk), this.end - pos)));
    this.at = pos;
    return this.buf.subarray(0, Math.min(n, this.buf.length));
  }
}

/** The walking fields of the batch header in `h` at file position `position`, unchecked. */
function positionOf(h: Buffer, position: number): BatchPosition {
  const baseOffset = Number(h.readBigInt64BE(0));
  return {
    position,
    baseOffset,
    lastOffset: baseOffset + h.readInt32BE(23),
    size: h.readInt32BE(8) + LOG_OVERHEAD,
    maxTimestamp: Number(h.readBigInt64BE(35)),
  };
}

export interface SegmentConfig {
  readonly indexIntervalBytes: number;
  readonly indexMaxEntries: number;
  /** The mutant `index-trusted`: index entries used unchecked, on open and on lookup. */
  readonly trustIndex?: boolean;
}

export class Segment {
  readonly logPath: string;
  /** Bytes in the .log file. */
  size = 0;
  /** The offset after the segment's last batch (its base offset while empty). */
  nextOffset: number;
  /** Batches appended since the .log file was last fsync'd. */
  dirty = false;
  private bytesSinceIndexEntry = 0;
  /** Largest batch max timestamp, when known (found by a walk when it is not). */
  private largestTs: number | undefined;
  /** The first batch's max timestamp, which segment.ms counts from (Kafka's rolling timestamp). */
  private firstTs: number | undefined;
  private pending = 0;
  private whenIdle: (() => void) | undefined;
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    readonly fd: number,
    readonly index: OffsetIndex,
    private readonly config: SegmentConfig,
  ) {
    this.logPath = join(dir, segmentFileName(baseOffset, '.log'));
    this.nextOffset = baseOffset;
  }

  /** A new, empty segment; the caller fsyncs the directory before counting on it. */
  static create(dir: string, baseOffset: number, config: SegmentConfig): Segment {
    const fd = openSync(join(dir, segmentFileName(baseOffset, '.log')), 'wx+', 0o644);
    const indexPath = join(dir, segmentFileName(baseOffset, '.index'));
    rmSync(indexPath, { force: true });
    const { index } = OffsetIndex.open(indexPath, baseOffset, config.indexMaxEntries);
    const s = new Segment(dir, baseOffset, fd, index, config);
    s.largestTs = -1;
    return s;
  }

  /**
   * An existing segment, its index read and checked (`indexProblem`: it must be rebuilt). Its
   * `nextOffset` is not known until it is recovered or its successor's base offset is given.
   */
  static open(
    dir: string,
    baseOffset: number,
    config: SegmentConfig,
  ): { segment: Segment; indexProblem: IndexProblem | undefined } {
    const fd = openSync(join(dir, segmentFileName(baseOffset, '.log')), 'r+');
    const opened = OffsetIndex.open(
      join(dir, segmentFileName(baseOffset, '.index')),
      baseOffset,
      config.indexMaxEntries,
    );
    const s = new Segment(dir, baseOffset, fd, opened.index, config);
    s.size = fstatSync(fd).size;
    let indexProblem: IndexProblem | undefined = config.trustIndex
      ? undefined
      : !opened.existed
        ? 'missing'
        : opened.partialEntry
          ? 'partial-entry'
          : opened.index.check(s.size);
    if (indexProblem === undefined && config.trustIndex !== true) {
      // The last entry must name the batch it points at; a stale or foreign index rarely does.
      const last = opened.index.last();
      if (last !== undefined) {
        const h = s.headerAt(last.position);
        if (h === undefined || h.lastOffset !== last.offset) indexProblem = 'stale';
      }
    }
    s.bytesSinceIndexEntry = s.size - (opened.index.last()?.position ?? 0);
    return { segment: s, indexProblem };
  }

  /** The batch header at `position`, or undefined when there is no plausible one there. */
  headerAt(position: number): BatchPosition | undefined {
    if (position + BATCH_HEADER_BYTES > this.size) return undefined;
    const h = readAt(this.fd, position, BATCH_HEADER_BYTES);
    if (h.length < BATCH_HEADER_BYTES || h.readInt8(16) !== 2) return undefined;
    const b = positionOf(h, position);
    const plausible =
      b.size >= BATCH_HEADER_BYTES &&
      position + b.size <= this.size &&
      b.baseOffset >= this.baseOffset &&
      b.lastOffset >= b.baseOffset;
    return plausible ? b : undefined;
  }

  /** Appends one whole batch, already checked by the log; indexes it every index interval. */
  append(bytes: Uint8Array, lastOffset: number, maxTimestamp: number): void {
    const position = this.size;
    if (this.bytesSinceIndexEntry > this.config.indexIntervalBytes) {
      this.index.append(lastOffset, position);
      this.bytesSinceIndexEntry = 0;
    }
    let off = 0;
    while (off < bytes.length)
      off += writeSync(this.fd, bytes, off, bytes.length - off, position + off);
    this.size += bytes.length;
    this.bytesSinceIndexEntry += bytes.length;
    this.nextOffset = lastOffset + 1;
    if (position === 0) this.firstTs = maxTimestamp;
    if (this.largestTs !== undefined) this.largestTs = Math.max(this.largestTs, maxTimestamp);
    this.dirty = true;
  }

  isEmpty(): boolean {
    return this.size === 0;
  }

  /** The timestamp segment.ms counts from: the first batch's max timestamp. */
  rollTimestamp(): number | undefined {
    if (this.size === 0) return undefined;
    this.firstTs ??= this.headerAt(0)?.maxTimestamp;
    return this.firstTs;
  }

  /** The largest batch timestamp (a walk of the headers the first time, for a loaded segment). */
  largestTimestamp(): number {
    if (this.largestTs === undefined) {
      let ts = -1;
      this.walk(
        0,
        (b) => {
          ts = Math.max(ts, b.maxTimestamp);
          return true;
        },
        HEADERS_WINDOW,
      );
      this.largestTs = ts;
    }
    return this.largestTs;
  }

  /** When the .log file was last written. */
  modifiedMs(): number {
    return fstatSync(this.fd).mtimeMs;
  }

  /**
   * Calls `visit` for each batch from `position` (a batch boundary) on, until it returns false
   * or the segment ends. Throws SegmentLogError 'corrupt-segment' where the batches do not
   * follow each other.
   */
  walk(position: number, visit: (b: BatchPosition) => boolean, chunk = FIND_WINDOW): void {
    const w = new Window(this.fd, this.size, chunk);
    let pos = position;
    let expected: number | undefined;
    while (pos < this.size) {
      const b = this.following(w.bytes(pos, BATCH_HEADER_BYTES), pos, expected);
      if (!visit(b)) return;
      expected = b.lastOffset + 1;
      pos += b.size;
    }
  }

  /**
   * The batch whose header `h` is, at file position `pos`, checked to be one that can follow the
   * batch before it (`expected`: its next offset) inside this segment; SegmentLogError
   * 'corrupt-segment' otherwise. Reads check no CRC: the file was checked on open.
   */
  private following(h: Buffer, pos: number, expected: number | undefined): BatchPosition {
    const b =
      h.length >= BATCH_HEADER_BYTES && h.readInt8(16) === 2 ? positionOf(h, pos) : undefined;
    if (
      b === undefined ||
      b.size < BATCH_HEADER_BYTES ||
      pos + b.size > this.size ||
      b.lastOffset < b.baseOffset ||
      (expected !== undefined && b.baseOffset !== expected)
    ) {
      throw new SegmentLogError(
        'corrupt-segment',
        `segment ${this.logPath}: no batch following the last one at byte ${pos}`,
      );
    }
    return b;
  }

  /**
   * The first batch holding an offset ≥ `offset`, found from the index; undefined past the end.
   * An index entry that does not name the batch it points at means the index was damaged after
   * open: it is rebuilt and the search repeated.
   */
  find(offset: number): BatchPosition | undefined {
    for (let attempt = 0; ; attempt++) {
      let found: BatchPosition | undefined;
      let stale = false;
      const entry = this.index.lookupEntry(offset);
      const start = entry?.position ?? 0;
      try {
        this.walk(start, (b) => {
          const checked = this.config.trustIndex !== true;
          if (
            checked &&
            entry !== undefined &&
            b.position === start &&
            b.lastOffset !== entry.offset
          ) {
            stale = true;
            return false;
          }
          if (b.lastOffset >= offset) {
            found = b;
            return false;
          }
          return true;
        });
      } catch (e) {
        const checked = this.config.trustIndex !== true;
        if (!(e instanceof SegmentLogError) || entry === undefined || attempt > 0 || !checked)
          throw e;
        stale = true;
      }
      if (!stale) return found;
      if (attempt > 0) {
        throw new SegmentLogError(
          'corrupt-segment',
          `segment ${this.logPath}: its batches and its rebuilt index disagree`,
        );
      }
      this.rebuildIndex();
    }
  }

  /** Rebuilds the index from the batches (a walk of the headers, no CRC: the file was checked on open). */
  rebuildIndex(): void {
    this.index.clear();
    this.bytesSinceIndexEntry = 0;
    this.walk(
      0,
      (b) => {
        this.noteBatchInIndex(b);
        return true;
      },
      HEADERS_WINDOW,
    );
  }

  private noteBatchInIndex(b: BatchPosition): void {
    if (this.bytesSinceIndexEntry > this.config.indexIntervalBytes) {
      this.index.append(b.lastOffset, b.position);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += b.size;
  }

  /**
   * Whole batches from the one holding `offset`, none holding an offset ≥ `maxOffset`, while
   * they fit in `maxBytes` — but the first is taken even when larger if `takeOne` (a fetch always
   * returns at least one batch, as Kafka's, or a consumer behind a large batch would stall).
   */
  read(
    offset: number,
    maxBytes: number,
    maxOffset: number,
    takeOne: boolean,
  ): { bytes: Buffer; nextOffset: number } | undefined {
    const first = this.find(offset);
    if (first === undefined || first.lastOffset >= maxOffset) return undefined;
    if (first.size > maxBytes && !takeOne) return undefined;
    // One read of everything that may be returned; the batch boundaries are then found in memory.
    const span = Math.min(Math.max(maxBytes, first.size), this.size - first.position);
    const buf = readAt(this.fd, first.position, span);
    let taken = 0;
    let next = first.baseOffset;
    while (taken + BATCH_HEADER_BYTES <= buf.length) {
      const b = this.following(buf.subarray(taken), first.position + taken, next);
      if (b.lastOffset >= maxOffset || taken + b.size > buf.length) break;
      taken += b.size;
      next = b.lastOffset + 1;
    }
    return { bytes: buf.subarray(0, taken), nextOffset: next };
  }

  /**
   * Where truncating to `offset` cuts the file: where the batch holding `offset` begins (Kafka
   * truncates at batch boundaries, so that batch's records below `offset` go too), and the next
   * offset then. Undefined when no batch holds an offset ≥ `offset`. `keepStraddling` is the
   * mutant that keeps the batch holding `offset`.
   */
  truncationPoint(
    offset: number,
    keepStraddling = false,
  ): { position: number; offset: number } | undefined {
    const b = this.find(offset);
    if (b === undefined) return undefined;
    if (keepStraddling && b.baseOffset < offset) {
      return { position: b.position + b.size, offset: b.lastOffset + 1 };
    }
    return { position: b.position, offset: b.baseOffset };
  }

  /**
   * Recovery: walks the batches from `position` (a boundary, where offset `offset` begins),
   * checking each in full (CRC unless `verifyCrc` is false) and that each begins where the last
   * ended, indexing them. Returns the first bad batch, or undefined when the file ends cleanly.
   */
  recover(position: number, offset: number, verifyCrc: boolean): RecoveryProblem | undefined {
    this.index.truncateToPosition(position);
    this.bytesSinceIndexEntry = position - (this.index.last()?.position ?? 0);
    this.largestTs = position === 0 ? -1 : undefined;
    if (position === 0) this.firstTs = undefined;
    const w = new Window(this.fd, this.size, SCAN_WINDOW);
    let pos = position;
    let expected = offset;
    while (pos < this.size) {
      const problem = (code: RecoveryProblemCode, reason: string): RecoveryProblem => ({
        code,
        position: pos,
        offset: expected,
        reason,
      });
      const h = w.bytes(pos, LOG_OVERHEAD);
      if (h.length < LOG_OVERHEAD)
        return problem(
          'short',
          `${this.size - pos} bytes left, a batch starts with ${LOG_OVERHEAD}`,
        );
      const size = h.readInt32BE(8) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_BYTES || pos + size > this.size) {
        return problem(
          'length',
          `a batch of ${size} bytes at byte ${pos} does not fit the ${this.size - pos} left`,
        );
      }
      let header;
      try {
        header = readBatchHeader(w.bytes(pos, size), 0, verifyCrc);
      } catch (e) {
        if (e instanceof BatchError) return problem(e.code, e.message);
        throw e;
      }
      if (Number(header.baseOffset) !== expected) {
        return problem(
          'offset',
          `batch at byte ${pos} begins at offset ${header.baseOffset}, expected ${expected}`,
        );
      }
      const b: BatchPosition = {
        position: pos,
        baseOffset: expected,
        lastOffset: expected + header.lastOffsetDelta,
        size,
        maxTimestamp: Number(header.maxTimestamp),
      };
      this.noteBatchInIndex(b);
      if (pos === 0) this.firstTs = b.maxTimestamp;
      if (this.largestTs !== undefined) this.largestTs = Math.max(this.largestTs, b.maxTimestamp);
      expected = b.lastOffset + 1;
      pos += size;
    }
    this.nextOffset = expected;
    return undefined;
  }

  /** Cuts the file at byte `position`, where offset `offset` would begin (a batch boundary). */
  cut(position: number, offset: number): void {
    ftruncateSync(this.fd, position);
    this.index.truncateToPosition(position);
    this.size = position;
    this.nextOffset = offset;
    this.bytesSinceIndexEntry = position - (this.index.last()?.position ?? 0);
    this.largestTs = position === 0 ? -1 : undefined;
    if (position === 0) this.firstTs = undefined;
    this.dirty = true;
  }

  /** fsync of the log and (when it changed) the index, on the calling thread: truncations and recovery. */
  syncNow(): void {
    fdatasyncSync(this.fd);
    if (this.index.dirty) fdatasyncSync(this.index.fd);
    this.dirty = false;
    this.index.dirty = false;
  }

  /** fsync of the log and (when it changed) the index, on libuv's pool. */
  async datasync(): Promise<void> {
    const fds = [this.fd];
    if (this.index.dirty) fds.push(this.index.fd);
    this.dirty = false;
    this.index.dirty = false;
    await Promise.all(fds.map((fd) => this.track((done) => fdatasync(fd, done))));
  }

  private track(op: (done: (err: Error | null) => void) => void): Promise<void> {
    if (this.closed)
      return Promise.reject(new SegmentLogError('closed', `segment ${this.logPath} is closed`));
    this.pending++;
    return new Promise((resolve, reject) => {
      op((err) => {
        this.pending--;
        if (this.pending === 0) this.whenIdle?.();
        if (err === null) resolve();
        else reject(err);
      });
    });
  }

  /** Closes both files once no fsync is pending on them. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const shut = (): void => {
      closeSync(this.fd);
      this.index.close();
    };
    if (this.pending === 0) {
      shut();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.whenIdle = () => {
        shut();
        resolve();
      };
    });
  }

  /** Removes both files (the caller fsyncs the directory) and closes them. */
  delete(): Promise<void> {
    rmSync(this.logPath, { force: true });
    rmSync(this.index.path, { force: true });
    return this.close();
  }
}
