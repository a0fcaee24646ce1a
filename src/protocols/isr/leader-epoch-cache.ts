/**
 * The leader-epoch cache of one replica's log (KIP-101): for each leader epoch whose leader
 * appended records this replica holds, the offset of the first of them. It answers "where does
 * my log of epoch e end", which is how a follower and a leader find where their logs part.
 * Kept in memory and rebuilt from the stored batches, each of which carries its epoch: a
 * replica that leads stamps its epoch on every batch it appends, so the batches say it all.
 */
import { assertIsr } from './isr-assert.js';

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** No epoch: the answer for an epoch older than every epoch the log holds. */
export const UNDEFINED_EPOCH = -1;

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** The latest epoch with records, or UNDEFINED_EPOCH for an empty log. */
  latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /** Records of `epoch` start at `offset` (a no-op when the latest entry is that epoch). */
  assign(epoch: number, offset: number): void {
    const last = this.entries.at(-1);
    if (last !== undefined && last.epoch === epoch) return;
    assertIsr(
      last === undefined || (epoch > last.epoch && offset >= last.startOffset),
      'epochs-ascend',
      () => `epoch ${epoch} at ${offset} after epoch ${last?.epoch} at ${last?.startOffset}`,
    );
    this.entries.push({ epoch, startOffset: offset });
  }

  /** The log now ends before `offset`: epochs that start at or after it are gone. */
  truncateFrom(offset: number): void {
    while ((this.entries.at(-1)?.startOffset ?? -1) >= offset) this.entries.pop();
  }

  /**
   * KIP-101's OffsetsForLeaderEpoch answer for `epoch`, in a log ending at `logEnd`: the largest
   * epoch this log holds that is ≤ `epoch`, and where its records end — the start of the next
   * epoch, or `logEnd` for the latest. With no such epoch: UNDEFINED_EPOCH, ending at 0.
   */
  endOffsetFor(
    epoch: number,
    logEnd: number,
  ): { readonly epoch: number; readonly endOffset: number } {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i] as EpochEntry;
      if (e.epoch <= epoch) {
        const next = this.entries[i + 1];
        return { epoch: e.epoch, endOffset: next === undefined ? logEnd : next.startOffset };
      }
    }
    return { epoch: UNDEFINED_EPOCH, endOffset: 0 };
  }
}
