/**
 * A segment's sparse offset index, as Kafka's OffsetIndex: 8-byte entries (offset relative to the
 * segment's base offset int32, file position int32, big-endian), one for the batch that carries
 * the log past every `index.interval.bytes` appended. An entry names a batch by its last offset
 * and points at the batch's first byte, so `lookup(target)` (the last entry whose offset ≤
 * target) gives a batch boundary at or before the batch holding target, and a reader scans
 * forward from there.
 *
 * The entries live in memory in the file's own layout (one buffer, 8 bytes an entry: 0.2 % of
 * the log at the default interval), and each is also appended to the `.index` file at once, so
 * the file is whatever the process wrote (fsync'd with the segment, segment.ts). Kafka
 * preallocates and mmaps the file; a plain append needs neither.
 *
 * A file read back is checked (`check`): whole entries, offsets and positions strictly rising and
 * inside the segment. One that fails is rebuilt from the log by the segment, never trusted.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { readAt } from '../read-at.js';

export const INDEX_ENTRY_BYTES = 8;
const INT32_MAX = 0x7fffffff;

/** Why an index read back from disk cannot be used as it is. */
export type IndexProblem = 'missing' | 'partial-entry' | 'order' | 'out-of-bounds' | 'stale';

export class OffsetIndex {
  /** The entries in the file's own layout; `count` of them are in use. */
  private buf: Buffer = Buffer.alloc(0);
  private count = 0;
  /** Entries appended since the file was last fsync'd. */
  dirty = false;

  private constructor(
    readonly path: string,
    readonly baseOffset: number,
    readonly fd: number,
    readonly maxEntries: number,
  ) {}

  /**
   * Opens (creating when missing) the index of the segment at `baseOffset` and reads its
   * entries. `existed` is false when there was no file.
   */
  static open(
    path: string,
    baseOffset: number,
    maxEntries: number,
  ): { index: OffsetIndex; existed: boolean; partialEntry: boolean } {
    let fd: number;
    let existed = true;
    try {
      fd = openSync(path, 'r+');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      fd = openSync(path, 'w+', 0o644);
      existed = false;
    }
    const index = new OffsetIndex(path, baseOffset, fd, maxEntries);
    const size = fstatSync(fd).size;
    const whole = Math.floor(size / INDEX_ENTRY_BYTES) * INDEX_ENTRY_BYTES;
    if (whole > 0) {
      index.buf = readAt(fd, 0, whole);
      index.count = Math.floor(index.buf.length / INDEX_ENTRY_BYTES);
    }
    return { index, existed, partialEntry: size % INDEX_ENTRY_BYTES !== 0 };
  }

  get entries(): number {
    return this.count;
  }

  isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  private rel(i: number): number {
    return this.buf.readInt32BE(i * INDEX_ENTRY_BYTES);
  }

  private pos(i: number): number {
    return this.buf.readInt32BE(i * INDEX_ENTRY_BYTES + 4);
  }

  /** The entry `i` as absolute offset and position. */
  entry(i: number): { offset: number; position: number } {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`no index entry ${i} in ${this.path}`);
    }
    return { offset: this.baseOffset + this.rel(i), position: this.pos(i) };
  }

  last(): { offset: number; position: number } | undefined {
    return this.count === 0 ? undefined : this.entry(this.count - 1);
  }

  /**
   * What is wrong with the entries for a log of `logBytes` bytes, or undefined: offsets and
   * positions must rise strictly, every position must lie inside the log, every offset at or
   * after the base. (Whether an entry points at the batch it names is checked by the reader that
   * follows it: segment.ts.)
   */
  check(logBytes: number): IndexProblem | undefined {
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this.count; i++) {
      const r = this.rel(i);
      const p = this.pos(i);
      if (r < 0 || p < 0 || p >= logBytes) return 'out-of-bounds';
      if (r <= prevRel || p <= prevPos) return 'order';
      prevRel = r;
      prevPos = p;
    }
    return undefined;
  }

  /** Adds an entry: batch with last offset `offset` starts at `position`. */
  append(offset: number, position: number): void {
    const r = offset - this.baseOffset;
    if (r < 0 || r > INT32_MAX || position < 0 || position > INT32_MAX) {
      throw new RangeError(
        `index entry (${offset}, ${position}) does not fit segment ${this.baseOffset}`,
      );
    }
    const last = this.count - 1;
    if (last >= 0 && (r <= this.rel(last) || position <= this.pos(last))) {
      throw new RangeError(
        `index entry (${offset}, ${position}) does not follow the last one in ${this.path}`,
      );
    }
    if (this.isFull()) {
      throw new RangeError(`index ${this.path} is full (${this.maxEntries} entries)`);
    }
    const at = this.count * INDEX_ENTRY_BYTES;
    if (at + INDEX_ENTRY_BYTES > this.buf.length) {
      const grown = Buffer.alloc(Math.max(64 * INDEX_ENTRY_BYTES, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.buf.writeInt32BE(r, at);
    this.buf.writeInt32BE(position, at + 4);
    writeSync(this.fd, this.buf, at, INDEX_ENTRY_BYTES, at);
    this.count++;
    this.dirty = true;
  }

  /** The last entry whose offset ≤ `offset`, or undefined (then a reader starts at byte 0). */
  lookupEntry(offset: number): { offset: number; position: number } | undefined {
    const target = offset - this.baseOffset;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : this.entry(found);
  }

  /** The position of the last entry whose offset ≤ `offset` (0, the segment's start, if none). */
  lookup(offset: number): number {
    return this.lookupEntry(offset)?.position ?? 0;
  }

  /** Drops every entry at or past byte `position` of the log (the log was cut there). */
  truncateToPosition(position: number): void {
    let n = this.count;
    while (n > 0 && this.pos(n - 1) >= position) n--;
    this.keep(n);
  }

  /** Drops every entry (the index is to be rebuilt). */
  clear(): void {
    this.keep(0);
  }

  private keep(n: number): void {
    if (n === this.count && fstatSync(this.fd).size === n * INDEX_ENTRY_BYTES) return;
    this.count = n;
    ftruncateSync(this.fd, n * INDEX_ENTRY_BYTES);
    this.dirty = true;
  }

  close(): void {
    closeSync(this.fd);
  }
}
