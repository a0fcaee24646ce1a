/**
 * A partition's leader-epoch history, as Kafka's LeaderEpochFileCache keeps it (KIP-101): for each
 * leader epoch that wrote to the log, the offset of its first batch. A follower that has lost
 * track asks the leader OffsetsForLeaderEpoch(its latest epoch) and truncates to the answer
 * (`endOffsetFor`), instead of to its high watermark, which is what loses acknowledged writes.
 *
 * Kept in `leader-epoch-checkpoint` in Kafka's checkpoint format (version 0, count, then
 * `epoch startOffset` lines; segment-checkpoint.ts), rewritten atomically on every change. The
 * entries always rise in both epoch and start offset: `assign` removes, from the end, every entry
 * that a new one would break that order with, as Kafka does; a file whose entries do not rise is
 * refused on open (CheckpointFileError 'order'), never repaired by guessing.
 */
import {
  checkpointInt,
  CheckpointFileError,
  readCheckpoint,
  writeCheckpoint,
} from './segment-checkpoint.js';

export const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint';
/** OffsetsForLeaderEpoch's "no such epoch" answer (Kafka's UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET). */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** Each removes one rule; test/runtime/kafka/leader-epoch-file.test.ts catches each. */
export const LEADER_EPOCH_MUTANTS = [
  /** `assign` appends without removing the entries the new one conflicts with. */
  'assign-keeps-conflicts',
  /** `endOffsetFor` answers the requested epoch's own start, not the next epoch's start. */
  'end-offset-is-own-start',
  /** `truncateFromStart` drops the entry in force at the new start instead of moving it. */
  'start-drops-current-epoch',
] as const;
export type LeaderEpochMutant = (typeof LEADER_EPOCH_MUTANTS)[number];

export class LeaderEpochFile {
  private entries: EpochEntry[];

  private constructor(
    readonly path: string,
    entries: EpochEntry[],
    private readonly mutant: LeaderEpochMutant | undefined,
  ) {
    this.entries = entries;
  }

  /** Reads the file at `path` (none: an empty history); CheckpointFileError when it is damaged. */
  static open(path: string, mutant?: LeaderEpochMutant): LeaderEpochFile {
    const raw = readCheckpoint(path, 0, 2) ?? [];
    const entries = raw.map(([e, o]) => ({
      epoch: checkpointInt(path, e ?? '', 0),
      startOffset: checkpointInt(path, o ?? '', 0),
    }));
    for (let i = 1; i < entries.length; i++) {
      const a = entries[i - 1] as EpochEntry;
      const b = entries[i] as EpochEntry;
      if (b.epoch <= a.epoch || b.startOffset < a.startOffset) {
        throw new CheckpointFileError(
          path,
          'order',
          `entry ${i} (epoch ${b.epoch} at ${b.startOffset}) does not follow epoch ${a.epoch} at ${a.startOffset}`,
        );
      }
    }
    return new LeaderEpochFile(path, entries, mutant);
  }

  list(): readonly EpochEntry[] {
    return this.entries;
  }

  latest(): EpochEntry | undefined {
    return this.entries.at(-1);
  }

  /**
   * Epoch `epoch` began at `startOffset`. No change when it is already the latest epoch and began
   * no later; otherwise every entry with an epoch ≥ `epoch` or a start ≥ `startOffset` goes (from
   * the end), the new one is appended and the file rewritten. Returns whether it changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (
      !Number.isSafeInteger(epoch) ||
      epoch < 0 ||
      !Number.isSafeInteger(startOffset) ||
      startOffset < 0
    ) {
      throw new RangeError(
        `leader epoch entry (${epoch}, ${startOffset}) must be two non-negative integers`,
      );
    }
    const last = this.latest();
    if (last !== undefined && last.epoch === epoch && startOffset >= last.startOffset) return false;
    if (this.mutant !== 'assign-keeps-conflicts') {
      while (true) {
        const tail = this.latest();
        if (tail === undefined || (tail.epoch < epoch && tail.startOffset < startOffset)) break;
        this.entries.pop();
      }
    }
    this.entries.push({ epoch, startOffset });
    this.write();
    return true;
  }

  /**
   * OffsetsForLeaderEpoch's answer for `epoch`: the largest epoch ≤ `epoch` this log knows and
   * where the first epoch after it began (the log end offset when `epoch` is the latest). An epoch
   * older than every entry gets the first entry's start (the log's data before it is gone); an
   * epoch newer than the latest, or -1, gets (-1, -1).
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (epoch === UNDEFINED_EPOCH) return undefinedAnswer;
    const last = this.latest();
    if (last !== undefined && last.epoch === epoch) return { epoch, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > epoch);
    if (higher < 0) return undefinedAnswer;
    const next = this.entries[higher] as EpochEntry;
    if (higher === 0) return { epoch, endOffset: next.startOffset };
    const floor = this.entries[higher - 1] as EpochEntry;
    if (this.mutant === 'end-offset-is-own-start') {
      return { epoch: floor.epoch, endOffset: floor.startOffset };
    }
    return { epoch: floor.epoch, endOffset: next.startOffset };
  }

  /** The log was cut to end at `endOffset`: epochs that began at or after it are gone. */
  truncateFromEnd(endOffset: number): void {
    const before = this.entries.length;
    while ((this.latest()?.startOffset ?? -1) >= endOffset) this.entries.pop();
    if (this.entries.length !== before) this.write();
  }

  /**
   * The log now starts at `startOffset`: entries that began at or before it go, but the last of
   * them (the epoch in force at `startOffset`) stays, moved to begin there.
   */
  truncateFromStart(startOffset: number): void {
    let dropped = 0;
    while (
      dropped < this.entries.length &&
      (this.entries[dropped] as EpochEntry).startOffset <= startOffset
    ) {
      dropped++;
    }
    if (dropped === 0) return;
    const current = this.entries[dropped - 1] as EpochEntry;
    if (dropped === 1 && current.startOffset === startOffset) return;
    const rest = this.entries.slice(dropped);
    this.entries =
      this.mutant === 'start-drops-current-epoch'
        ? rest
        : [{ epoch: current.epoch, startOffset }, ...rest];
    this.write();
  }

  private write(): void {
    writeCheckpoint(
      this.path,
      0,
      this.entries.map((e) => `${e.epoch} ${e.startOffset}`),
    );
  }
}
