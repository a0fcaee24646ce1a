/**
 * A partition's log on disk, as Kafka's Log (UnifiedLog): a directory of segments named by base
 * offset (segment.ts), a recovery point, a log start offset and the leader-epoch history
 * (leader-epoch-file.ts).
 *
 * - `append(batch)`: one whole v2 batch as produced, its base offset stamped by the caller to the
 *   log end offset; its CRC-32C is checked. A new segment is rolled when the active one would
 *   pass `segmentBytes`, when the batch's timestamp is `segmentMs` past the segment's first
 *   batch's, when the index is full, or when an offset would not fit the index's 32 bits.
 * - `read(offset, maxBytes)`: whole batches from the one holding `offset` (the first one even if
 *   larger than maxBytes); `offset-out-of-range` below the log start or past the log end.
 * - `truncateTo(offset)`: a follower's truncation, at the boundary of the batch holding `offset`
 *   (that whole batch goes; the log end offset may end up below `offset`). Made durable before
 *   it returns: a truncated tail that came back after a crash would be a diverged history.
 * - `flush()`: fsync of every segment written since the last, on libuv's pool, concurrent calls
 *   joined into one round; `syncedOffset` is the offset below which everything is fsync'd. With
 *   `flushMessages` N, a flush starts by itself once N records were appended since the last; with
 *   `flushMs`, every that many ms (Kafka's flush.messages / flush.ms; by default neither, as in
 *   Kafka, which leaves durability to replication and the page cache).
 * - the recovery point (`recovery-point` file): an offset below which everything was fsync'd,
 *   written after a flush that completed a segment, on truncation, and on close. On open, the
 *   segments from the one holding it are recovered: every batch read and checked (CRC, offsets
 *   following each other); the file is cut at the first torn or corrupt batch after the
 *   recovery point and later segments are deleted (reported in `recovery`), but a bad batch
 *   below it is a SegmentLogError 'corrupt-below-recovery-point' — acknowledged data is never
 *   dropped silently. An index that is missing, damaged or stale is rebuilt from its segment.
 * - retention (`deleteOldSegments`, rules in retention.ts) and `advanceLogStart` (DeleteRecords)
 *   move the log start offset up, kept in `log-start-offset`.
 *
 * Synchronous file calls except fsync (segment.ts says why); the checkpoint files are written
 * synchronously and atomically (segment-checkpoint.ts). Offsets are JS numbers (safe integers):
 * 2^53 offsets are out of any log's reach, and the broker's arithmetic stays plain.
 */
import {
  close as closeFd,
  fsync,
  mkdirSync,
  open as openFd,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { BatchError, readBatchHeader } from './batch-header.js';
import { LEADER_EPOCH_FILE, LeaderEpochFile, type LeaderEpochMutant } from './leader-epoch-file.js';
import { planRetention, type RetentionMutant, type RetentionPlan } from './retention.js';
import {
  Segment,
  segmentBaseOf,
  segmentFileName,
  type RecoveryProblem,
  type SegmentConfig,
} from './segment.js';
import {
  fsyncDirectory,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
} from './segment-checkpoint.js';
import { SegmentLogError } from './segment-error.js';
import type { IndexProblem } from './offset-index.js';

export const RECOVERY_POINT_FILE = 'recovery-point';
export const LOG_START_FILE = 'log-start-offset';
const INT32_MAX = 0x7fffffff;

/** Each removes one rule of the log; test/runtime/kafka/segment-log*.test.ts catch each. */
export const SEGMENT_LOG_MUTANTS = [
  /** An appended batch's CRC is not checked. */
  'append-skips-crc',
  /** An appended batch's base offset need not be the log end offset. */
  'append-skips-offset-check',
  /** Recovery does not check CRCs after the recovery point. */
  'recovery-skips-crc',
  /** A bad batch below the recovery point is cut off like a torn tail, not refused. */
  'recovery-cuts-below-recovery-point',
  /** A log that ends cleanly before its recovery point is accepted. */
  'recovery-accepts-short-log',
  /** Index entries are used without being checked (on open and on each lookup). */
  'index-trusted',
  /** Truncation inside a batch keeps that batch. */
  'truncate-keeps-straddling',
  /** A fetch returns nothing when the first batch is larger than maxBytes. */
  'read-no-oversized-first',
  /** `syncedOffset` moves when a flush starts rather than when its fsyncs finish. */
  'synced-before-fsync',
] as const;
export type SegmentLogMutant = (typeof SEGMENT_LOG_MUTANTS)[number];

export interface SegmentLogOptions {
  /** Roll past this many bytes (Kafka's segment.bytes; default 1 GiB, at most 2 GiB − 1). */
  readonly segmentBytes?: number;
  /** Roll when a batch's timestamp is this far past the segment's first (segment.ms; default 7 days). */
  readonly segmentMs?: number;
  /** An index entry every this many bytes appended (index.interval.bytes; default 4096). */
  readonly indexIntervalBytes?: number;
  /** Roll when a segment's index has this many entries (segment.index.bytes / 8; default 10 MiB / 8). */
  readonly indexMaxEntries?: number;
  /** Start a flush once this many records were appended since the last (flush.messages). */
  readonly flushMessages?: number;
  /** Flush every this many ms (flush.ms). */
  readonly flushMs?: number;
  /** Delete segments older than this (retention.ms; -1: never; default 7 days). */
  readonly retentionMs?: number;
  /** Delete oldest segments while the log is larger than this (retention.bytes; default -1: never). */
  readonly retentionBytes?: number;
  /** Recovery, truncation and retention events. */
  readonly log?: (message: string, fields: Record<string, string | number>) => void;
  /** A background flush failed: the log refuses everything after it (Kafka takes the log dir offline). */
  readonly onFatal?: (error: Error) => void;
  readonly mutant?: SegmentLogMutant;
  readonly retentionMutant?: RetentionMutant;
  readonly leaderEpochMutant?: LeaderEpochMutant;
}

interface Config {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly indexIntervalBytes: number;
  readonly indexMaxEntries: number;
  readonly flushMessages: number | undefined;
  readonly flushMs: number | undefined;
  readonly retentionMs: number;
  readonly retentionBytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function config(o: SegmentLogOptions): Config {
  const int = (
    name: string,
    v: number | undefined,
    dflt: number | undefined,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number | undefined => {
    if (v === undefined) return dflt;
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      throw new SegmentLogError(
        'bad-option',
        `${name} must be an integer from ${min} to ${max}, not ${v}`,
      );
    }
    return v;
  };
  const required = (v: number | undefined): number => {
    if (v === undefined) throw new RangeError('a default is missing');
    return v;
  };
  return {
    segmentBytes: required(int('segmentBytes', o.segmentBytes, 1 << 30, 1024, INT32_MAX)),
    segmentMs: required(int('segmentMs', o.segmentMs, 7 * DAY_MS, 1)),
    indexIntervalBytes: required(
      int('indexIntervalBytes', o.indexIntervalBytes, 4096, 0, INT32_MAX),
    ),
    indexMaxEntries: required(
      int('indexMaxEntries', o.indexMaxEntries, (10 << 20) / 8, 1, INT32_MAX),
    ),
    flushMessages: int('flushMessages', o.flushMessages, undefined, 1),
    flushMs: int('flushMs', o.flushMs, undefined, 1, INT32_MAX),
    retentionMs: required(int('retentionMs', o.retentionMs, 7 * DAY_MS, -1)),
    retentionBytes: required(int('retentionBytes', o.retentionBytes, -1, -1)),
  };
}

/** What opening the log found and did. */
export interface RecoveryReport {
  /** The log had segments before (a restart, not a new partition). */
  readonly existed: boolean;
  readonly recoveryPoint: number;
  /** The first torn or corrupt batch after the recovery point, where the log was cut. */
  readonly problem?: RecoveryProblem & { readonly segment: number };
  /** Bytes cut off (the bad batch and everything after it, later segments included). */
  readonly truncatedBytes: number;
  /** Segments whose index was rebuilt, with why. */
  readonly rebuiltIndexes: readonly { readonly segment: number; readonly why: IndexProblem }[];
}

export interface AppendInfo {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly recordCount: number;
  readonly maxTimestamp: number;
}

export interface ReadResult {
  /** Whole batches, back to back (empty at the log end or the given upper bound). */
  readonly bytes: Buffer;
  /** The offset after the last batch returned (`offset` when none). */
  readonly nextOffset: number;
}

/** One flush round: the log end it covers, lowered by any truncation while its fsyncs run. */
interface Round {
  covers: number;
}

export class SegmentLog {
  private segments: Segment[] = [];
  private leo = 0;
  private logStart = 0;
  private synced = 0;
  private checkpointedRecoveryPoint = 0;
  private unflushedRecords = 0;
  private dirDirty = false;
  private round: Promise<number> | undefined;
  private queued: Promise<number> | undefined;
  private readonly rounds = new Set<Round>();
  private readonly closing: Promise<void>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private closed = false;
  readonly epochs: LeaderEpochFile;
  recovery!: RecoveryReport;

  private constructor(
    readonly dir: string,
    private readonly config: Config,
    private readonly options: SegmentLogOptions,
  ) {
    this.epochs = LeaderEpochFile.open(join(dir, LEADER_EPOCH_FILE), options.leaderEpochMutant);
  }

  /**
   * Opens (creating when missing) the partition directory `dir` and recovers it. Throws
   * SegmentLogError for acknowledged data that is damaged or missing, CheckpointFileError for a
   * damaged checkpoint file.
   */
  static open(dir: string, options: SegmentLogOptions = {}): SegmentLog {
    const cfg = config(options);
    mkdirSync(dir, { recursive: true });
    const log = new SegmentLog(dir, cfg, options);
    try {
      log.load();
    } catch (e) {
      // No pending fsync yet: each close is immediate, so no descriptor outlives a refused open.
      for (const s of log.segments) void s.close();
      throw e;
    }
    if (cfg.flushMs !== undefined) {
      log.timer = setInterval(() => log.backgroundFlush(), cfg.flushMs);
      log.timer.unref();
    }
    return log;
  }

  get logEndOffset(): number {
    return this.leo;
  }

  get logStartOffset(): number {
    return this.logStart;
  }

  /** Everything below this offset is fsync'd. */
  get syncedOffset(): number {
    return this.synced;
  }

  /** The recovery point last written to disk. */
  get recoveryPoint(): number {
    return this.checkpointedRecoveryPoint;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBases(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Bytes in all segments. */
  sizeInBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  private get active(): Segment {
    const s = this.segments.at(-1);
    if (s === undefined) throw new RangeError(`partition ${this.dir} has no segment`);
    return s;
  }

  private cfgSegment(): SegmentConfig {
    return {
      indexIntervalBytes: this.config.indexIntervalBytes,
      indexMaxEntries: this.config.indexMaxEntries,
      trustIndex: this.options.mutant === 'index-trusted',
    };
  }

  private note(message: string, fields: Record<string, string | number>): void {
    this.options.log?.(message, { dir: this.dir, ...fields });
  }

  private usable(): void {
    if (this.closed) throw new SegmentLogError('closed', `partition log ${this.dir} is closed`);
    if (this.failure !== undefined) {
      throw new SegmentLogError(
        'storage-failed',
        `partition log ${this.dir} failed: ${this.failure.message}`,
      );
    }
  }

  // ---- open and recovery ----

  private load(): void {
    const names = readdirSync(this.dir);
    const bases = names
      .map((n) => segmentBaseOf(n, '.log'))
      .filter((b): b is number => b !== undefined)
      .sort((a, b) => a - b);
    const logs = new Set(bases);
    for (const n of names) {
      const b = segmentBaseOf(n, '.index');
      // An index without its log: left by a crash in the middle of deleting a segment.
      if (b !== undefined && !logs.has(b)) rmSync(join(this.dir, n), { force: true });
    }
    const recoveryPoint = readOffsetCheckpoint(join(this.dir, RECOVERY_POINT_FILE)) ?? 0;
    const startCheckpoint = readOffsetCheckpoint(join(this.dir, LOG_START_FILE));
    this.checkpointedRecoveryPoint = recoveryPoint;
    const existed = bases.length > 0;
    let truncatedBytes = 0;
    let problem: RecoveryReport['problem'];
    const rebuiltIndexes: { segment: number; why: IndexProblem }[] = [];

    // Segments wholly below the log start offset: a retention pass that crashed after moving it.
    while (
      bases.length > 1 &&
      startCheckpoint !== undefined &&
      (bases[1] as number) <= startCheckpoint
    ) {
      const b = bases.shift() as number;
      this.note('kafka segment: deleting a segment below the log start offset', { segment: b });
      deleteSegmentFiles(this.dir, b);
      this.dirDirty = true;
    }

    if (bases.length === 0) {
      const base = startCheckpoint ?? 0;
      this.segments = [Segment.create(this.dir, base, this.cfgSegment())];
      this.leo = base;
      this.logStart = base;
      fsyncDirectory(this.dir);
      this.dirDirty = false;
      this.synced = base;
      this.writeRecoveryPoint(base);
      this.epochs.truncateFromEnd(base);
      this.recovery = { existed, recoveryPoint, truncatedBytes: 0, rebuiltIndexes };
      return;
    }

    const verifyCrc = this.options.mutant !== 'recovery-skips-crc';
    const recovered: Segment[] = [];
    let cut = false;
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i] as number;
      const nextBase = bases[i + 1];
      if (cut) {
        const size = deleteSegmentFiles(this.dir, base);
        truncatedBytes += size;
        this.dirDirty = true;
        continue;
      }
      const { segment, indexProblem } = Segment.open(this.dir, base, this.cfgSegment());
      this.segments.push(segment);
      if (nextBase !== undefined && nextBase <= recoveryPoint) {
        // Wholly below the recovery point: fsync'd, so trusted as it is; only a bad index is redone.
        segment.nextOffset = nextBase;
        if (indexProblem !== undefined) {
          rebuiltIndexes.push({ segment: base, why: indexProblem });
          const p = segment.recover(0, base, true);
          if (p !== undefined || segment.nextOffset !== nextBase) {
            const why =
              p?.reason ??
              `its batches end at offset ${segment.nextOffset}, the next segment begins at ${nextBase}`;
            throw new SegmentLogError(
              'corrupt-below-recovery-point',
              `partition ${this.dir}: segment ${base} is damaged below the recovery point ${recoveryPoint}: ${why}`,
              p?.code ?? 'offset',
            );
          }
          segment.syncNow();
        }
        continue;
      }
      // From the segment holding the recovery point on, every batch is read and checked. A sound
      // index lets the segment holding it start at the last indexed batch at or below it.
      let from = { position: 0, offset: base };
      if (indexProblem !== undefined) rebuiltIndexes.push({ segment: base, why: indexProblem });
      else if (recoveryPoint > base) {
        const entry = segment.index.lookupEntry(recoveryPoint);
        const h = entry === undefined ? undefined : segment.headerAt(entry.position);
        if (entry !== undefined && h !== undefined && h.lastOffset === entry.offset) {
          from = { position: entry.position, offset: h.baseOffset };
        }
      }
      const p = segment.recover(from.position, from.offset, verifyCrc);
      recovered.push(segment);
      let bad: RecoveryProblem | undefined = p;
      if (bad === undefined && nextBase !== undefined && segment.nextOffset !== nextBase) {
        bad = {
          code: 'offset',
          position: segment.size,
          offset: segment.nextOffset,
          reason: `segment ${base} ends at offset ${segment.nextOffset}, the next begins at ${nextBase}`,
        };
      }
      if (bad === undefined) continue;
      if (
        bad.offset < recoveryPoint &&
        this.options.mutant !== 'recovery-cuts-below-recovery-point'
      ) {
        throw new SegmentLogError(
          'corrupt-below-recovery-point',
          `partition ${this.dir}: segment ${base} is damaged at byte ${bad.position} (offset ${bad.offset}), ` +
            `below the recovery point ${recoveryPoint}: ${bad.reason}`,
          bad.code,
        );
      }
      this.note('kafka segment: cutting the log at a torn or corrupt batch', {
        segment: base,
        position: bad.position,
        offset: bad.offset,
        code: bad.code,
        reason: bad.reason,
      });
      problem = { ...bad, segment: base };
      truncatedBytes += segment.size - bad.position;
      segment.cut(bad.position, bad.offset);
      cut = true;
    }
    this.leo = this.active.nextOffset;
    if (this.leo < recoveryPoint && this.options.mutant !== 'recovery-accepts-short-log') {
      throw new SegmentLogError(
        'shorter-than-recovery-point',
        `partition ${this.dir}: the log ends at offset ${this.leo}, before its recovery point ${recoveryPoint}`,
      );
    }
    this.logStart = Math.max((this.segments[0] as Segment).baseOffset, startCheckpoint ?? 0);
    for (const s of recovered) s.syncNow();
    if (this.dirDirty) fsyncDirectory(this.dir);
    this.dirDirty = false;
    this.synced = this.leo;
    this.recovery = {
      existed,
      recoveryPoint,
      truncatedBytes,
      rebuiltIndexes,
      ...(problem !== undefined ? { problem } : {}),
    };
    if (this.logStart > this.leo) {
      // The log start was moved past data a crash then lost: nothing the log holds is kept.
      this.startAt(this.logStart);
    } else {
      this.epochs.truncateFromEnd(this.leo);
      this.epochs.truncateFromStart(this.logStart);
      if (this.leo !== recoveryPoint) this.writeRecoveryPoint(this.leo);
    }
  }

  private writeRecoveryPoint(offset: number): void {
    writeOffsetCheckpoint(join(this.dir, RECOVERY_POINT_FILE), offset);
    this.checkpointedRecoveryPoint = offset;
  }

  // ---- append ----

  /** Appends one whole batch whose base offset is the log end offset; see the module comment. */
  append(batch: Uint8Array): AppendInfo {
    this.usable();
    let h;
    try {
      h = readBatchHeader(batch, 0, this.options.mutant !== 'append-skips-crc');
    } catch (e) {
      if (e instanceof BatchError)
        throw new SegmentLogError('corrupt-batch', `appended batch: ${e.message}`, e.code);
      throw e;
    }
    if (h.sizeInBytes !== batch.length) {
      throw new SegmentLogError(
        'corrupt-batch',
        `appended bytes hold a batch of ${h.sizeInBytes} bytes and ${batch.length - h.sizeInBytes} more`,
        'length',
      );
    }
    const baseOffset = Number(h.baseOffset);
    if (baseOffset !== this.leo && this.options.mutant !== 'append-skips-offset-check') {
      throw new SegmentLogError(
        'bad-append-offset',
        `batch base offset ${baseOffset} is not the log end offset ${this.leo}`,
      );
    }
    if (batch.length > this.config.segmentBytes) {
      throw new SegmentLogError(
        'batch-too-large',
        `a batch of ${batch.length} bytes is larger than a segment (${this.config.segmentBytes})`,
      );
    }
    const lastOffset = baseOffset + h.lastOffsetDelta;
    const maxTimestamp = Number(h.maxTimestamp);
    this.io('append', () => {
      if (this.shouldRoll(batch.length, lastOffset, maxTimestamp)) this.roll();
      this.active.append(batch, lastOffset, maxTimestamp);
      this.leo = lastOffset + 1;
      const latest = this.epochs.latest();
      if (
        h.partitionLeaderEpoch >= 0 &&
        (latest === undefined || h.partitionLeaderEpoch > latest.epoch)
      ) {
        this.epochs.assign(h.partitionLeaderEpoch, baseOffset);
      }
    });
    this.unflushedRecords += h.recordCount;
    if (
      this.config.flushMessages !== undefined &&
      this.unflushedRecords >= this.config.flushMessages
    ) {
      this.backgroundFlush();
    }
    return { baseOffset, lastOffset, recordCount: h.recordCount, maxTimestamp };
  }

  private shouldRoll(bytes: number, lastOffset: number, maxTimestamp: number): boolean {
    const a = this.active;
    if (a.isEmpty()) return false;
    const firstTs = a.rollTimestamp();
    return (
      a.size + bytes > this.config.segmentBytes ||
      a.index.isFull() ||
      lastOffset - a.baseOffset > INT32_MAX ||
      (firstTs !== undefined && maxTimestamp - firstTs > this.config.segmentMs)
    );
  }

  private roll(): void {
    const s = Segment.create(this.dir, this.leo, this.cfgSegment());
    this.segments.push(s);
    this.dirDirty = true;
    this.note('kafka segment: rolled a new segment', { segment: this.leo });
  }

  // ---- flush ----

  /**
   * Makes everything appended so far durable; resolves to `syncedOffset` when it is. Calls while
   * a round runs share the next round.
   */
  flush(): Promise<number> {
    if (this.closed)
      return Promise.reject(new SegmentLogError('closed', `partition log ${this.dir} is closed`));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.round === undefined) return this.startRound();
    this.queued ??= this.round
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.queued = undefined;
        return this.failure !== undefined ? Promise.reject(this.failure) : this.startRound();
      });
    return this.queued;
  }

  private backgroundFlush(): void {
    if (this.closed || this.failure !== undefined || this.queued !== undefined) return;
    this.flush().catch(() => undefined);
  }

  private startRound(): Promise<number> {
    const p = this.runRound();
    this.round = p;
    const clear = (): void => {
      if (this.round === p) this.round = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private async runRound(): Promise<number> {
    const round: Round = { covers: this.leo };
    this.rounds.add(round);
    this.unflushedRecords = 0;
    const dirty = this.segments.filter((s) => s.dirty || s.index.dirty);
    const dir = this.dirDirty;
    this.dirDirty = false;
    if (this.options.mutant === 'synced-before-fsync')
      this.synced = Math.max(this.synced, round.covers);
    try {
      await Promise.all(dirty.map((s) => s.datasync()));
      if (dir) await fsyncDirAsync(this.dir);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.fail(error);
      throw error;
    } finally {
      this.rounds.delete(round);
    }
    if (round.covers > this.synced) this.synced = round.covers;
    // Once a whole segment is durable, say so on disk: recovery then starts at the active segment.
    const activeBase = this.active.baseOffset;
    if (this.checkpointedRecoveryPoint < activeBase && this.synced >= activeBase && !this.closed) {
      this.io('writing the recovery point', () => this.writeRecoveryPoint(this.synced));
    }
    return this.synced;
  }

  /**
   * Runs a change to the files; if it fails part way (a full disk, EIO), what is on disk is no
   * longer known, so the log fails as a whole (Kafka takes the log directory offline).
   */
  private io<T>(what: string, change: () => T): T {
    try {
      return change();
    } catch (e) {
      if (e instanceof SegmentLogError) throw e;
      const error = e instanceof Error ? e : new Error(String(e));
      this.fail(error);
      throw new SegmentLogError(
        'storage-failed',
        `${what} on ${this.dir} failed: ${error.message}`,
      );
    }
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.note('kafka segment: storage failed', { error: error.message });
    this.options.onFatal?.(error);
  }

  /** Writes the recovery point as far as everything is fsync'd (the broker may call it on a timer). */
  checkpointRecoveryPoint(): void {
    this.usable();
    if (this.synced !== this.checkpointedRecoveryPoint) {
      this.io('writing the recovery point', () => this.writeRecoveryPoint(this.synced));
    }
  }

  // ---- read ----

  /**
   * Whole batches from the one holding `offset`, up to `maxBytes` (but at least one batch), none
   * holding an offset ≥ `maxOffset` (the high watermark, for a consumer's fetch).
   */
  read(offset: number, maxBytes: number, maxOffset = this.leo): ReadResult {
    this.usable();
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0 || !Number.isSafeInteger(maxOffset)) {
      throw new RangeError(
        `read: maxBytes ${maxBytes} and maxOffset ${maxOffset} must be integers`,
      );
    }
    if (!Number.isSafeInteger(offset) || offset < this.logStart || offset > this.leo) {
      throw new SegmentLogError(
        'offset-out-of-range',
        `offset ${offset} is outside the log [${this.logStart}, ${this.leo}]`,
      );
    }
    const parts: Buffer[] = [];
    let next = offset;
    let budget = maxBytes;
    const takeOne = this.options.mutant !== 'read-no-oversized-first';
    for (let i = this.segmentIndexOf(offset); i < this.segments.length && next < maxOffset; i++) {
      const s = this.segments[i] as Segment;
      const got = s.read(next, budget, maxOffset, parts.length === 0 && takeOne);
      if (got === undefined) {
        if (s.nextOffset > next) break; // the next batch does not fit
        continue;
      }
      parts.push(got.bytes);
      budget -= got.bytes.length;
      next = got.nextOffset;
      // A batch of this segment was left out (it did not fit, or reaches maxOffset): stop here,
      // or the next segment's batches would follow a gap.
      if (next < s.nextOffset || budget <= 0) break;
    }
    return {
      bytes: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts),
      nextOffset: parts.length === 0 ? offset : next,
    };
  }

  /** The index of the last segment whose base offset ≤ `offset`. */
  private segmentIndexOf(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.segments[mid] as Segment).baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // ---- truncation ----

  /**
   * A follower's truncation: drops every batch holding an offset ≥ `offset` — the whole batch
   * holding `offset` included — durably. Below the log start, the log is emptied and starts at
   * `offset`. Returns the new log end offset.
   */
  truncateTo(offset: number): number {
    this.usable();
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new RangeError(`cannot truncate to offset ${offset}`);
    if (offset >= this.leo) return this.leo;
    if (offset < this.logStart) {
      this.io('truncation', () => this.startAt(offset));
      return this.leo;
    }
    return this.io('truncation', () => {
      const i = this.segmentIndexOf(offset);
      const s = this.segments[i] as Segment;
      const cut = s.truncationPoint(offset, this.options.mutant === 'truncate-keeps-straddling');
      const end = cut?.offset ?? s.nextOffset;
      // The recovery point comes down first: a crash midway must not leave it past the log's end.
      if (this.checkpointedRecoveryPoint > end) this.writeRecoveryPoint(end);
      const later = this.segments.splice(i + 1);
      for (const l of later) this.closing.push(l.delete());
      if (cut !== undefined && cut.position < s.size) s.cut(cut.position, cut.offset);
      s.syncNow();
      if (later.length > 0) fsyncDirectory(this.dir);
      this.lowerEnd(s.nextOffset);
      if (this.logStart > this.leo) {
        // The batch holding the log start went: the log now starts where it ends.
        this.logStart = this.leo;
        writeOffsetCheckpoint(join(this.dir, LOG_START_FILE), this.leo);
      }
      this.note('kafka segment: truncated', { to: offset, logEndOffset: this.leo });
      return this.leo;
    });
  }

  /** The log end moved down to `offset`: what is synced, flushing, checkpointed follows it. */
  private lowerEnd(offset: number): void {
    this.leo = offset;
    this.synced = Math.min(this.synced, offset);
    for (const r of this.rounds) r.covers = Math.min(r.covers, offset);
    if (this.checkpointedRecoveryPoint > offset) this.writeRecoveryPoint(offset);
    this.epochs.truncateFromEnd(offset);
  }

  /**
   * Empties the log and starts it at `offset` (Kafka's truncateFullyAndStartAt). The segments go
   * first, then the checkpoints: a crash in between leaves an empty log at the old start, never
   * the old data under a new start.
   */
  private startAt(offset: number): void {
    const old = this.segments;
    this.segments = [];
    for (const s of old) this.closing.push(s.delete());
    this.segments = [Segment.create(this.dir, offset, this.cfgSegment())];
    fsyncDirectory(this.dir);
    this.leo = offset;
    this.synced = offset;
    for (const r of this.rounds) r.covers = Math.min(r.covers, offset);
    this.logStart = offset;
    writeOffsetCheckpoint(join(this.dir, LOG_START_FILE), offset);
    this.writeRecoveryPoint(offset);
    this.epochs.truncateFromEnd(0);
    this.note('kafka segment: emptied the log', { startOffset: offset });
  }

  // ---- retention and the log start ----

  /** Moves the log start offset up to `offset` (DeleteRecords); durable when it returns. */
  advanceLogStart(offset: number): void {
    this.usable();
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.leo) {
      throw new SegmentLogError(
        'offset-out-of-range',
        `cannot start the log at ${offset}, outside [0, ${this.leo}]`,
      );
    }
    if (offset <= this.logStart) return;
    this.io('moving the log start', () => {
      writeOffsetCheckpoint(join(this.dir, LOG_START_FILE), offset);
      this.logStart = offset;
      this.epochs.truncateFromStart(offset);
    });
  }

  /**
   * One retention pass at time `nowMs`: deletes the oldest segments retention.ms, retention.bytes
   * or the log start offset allow (retention.ts), none at or past `highWatermark`. The new log
   * start is written before any file goes, so a crash midway deletes the rest on open.
   */
  deleteOldSegments(nowMs: number, highWatermark = this.leo): RetentionPlan {
    this.usable();
    const plan = planRetention(
      this.segments.map((s) => ({
        baseOffset: s.baseOffset,
        nextOffset: s.nextOffset,
        bytes: s.size,
        // A segment without timestamps (all -1) ages from its last write, as in Kafka.
        largestTimestamp: () => {
          const ts = s.largestTimestamp();
          return ts >= 0 ? ts : s.modifiedMs();
        },
      })),
      { retentionMs: this.config.retentionMs, retentionBytes: this.config.retentionBytes },
      { nowMs, logStartOffset: this.logStart, highWatermark },
      this.options.retentionMutant,
    );
    if (plan.count === 0) return plan;
    return this.io('retention', () => {
      const gone = this.segments.splice(0, plan.count);
      const start = Math.max(this.logStart, this.segments[0]?.baseOffset ?? this.leo);
      if (start !== this.logStart) {
        writeOffsetCheckpoint(join(this.dir, LOG_START_FILE), start);
        this.logStart = start;
      }
      for (const s of gone) this.closing.push(s.delete());
      if (this.segments.length === 0) {
        this.segments.push(Segment.create(this.dir, this.leo, this.cfgSegment()));
      }
      fsyncDirectory(this.dir);
      this.epochs.truncateFromStart(this.logStart);
      this.note('kafka segment: retention deleted segments', {
        segments: plan.count,
        reason: plan.reason ?? '',
        logStartOffset: this.logStart,
      });
      return plan;
    });
  }

  /** OffsetsForLeaderEpoch's answer for `epoch` (leader-epoch-file.ts). */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.epochs.endOffsetFor(epoch, this.leo);
  }

  // ---- close ----

  /** Flushes, writes the recovery point, closes every file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    let error: unknown;
    if (this.failure === undefined) {
      try {
        await this.flush();
        this.checkpointRecoveryPoint();
      } catch (e) {
        error = e;
      }
    }
    this.closed = true;
    await Promise.all([...this.closing, ...this.segments.map((s) => s.close())]);
    if (error !== undefined) throw error;
  }
}

/** Removes a segment's two files; returns the bytes its log held. */
function deleteSegmentFiles(dir: string, base: number): number {
  const logPath = join(dir, segmentFileName(base, '.log'));
  const size = statSync(logPath).size;
  rmSync(logPath);
  rmSync(join(dir, segmentFileName(base, '.index')), { force: true });
  return size;
}

function fsyncDirAsync(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    openFd(dir, 'r', (err, fd) => {
      if (err !== null) return reject(err);
      fsync(fd, (syncErr) => {
        closeFd(fd, (closeErr) => {
          const e = syncErr ?? closeErr;
          if (e !== null) reject(e);
          else resolve();
        });
      });
    });
  });
}
