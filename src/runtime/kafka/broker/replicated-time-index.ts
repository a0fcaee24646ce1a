/**
 * ListOffsets by timestamp on the replicated broker: a TimeIndex (../time-index.ts) per partition
 * log, built on first use and extended with the batches appended since. A log truncated under it
 * (a follower cut by leader epoch, then made leader) is noticed by its last indexed batch no
 * longer being the log's batch at that offset, and the index is built again.
 */
import type { StoredBatch } from '../../../protocols/isr/batch.js';
import type { PartitionLog } from '../../../protocols/isr/partition-log.js';
import { TimeIndex, type TimeIndexMutant } from '../time-index.js';

interface Indexed {
  readonly index: TimeIndex;
  /** The last batch indexed, as the log held it. */
  last: StoredBatch | undefined;
  /** The offset after it. */
  next: number;
}

const READ_BATCHES = 4096;

export class ReplicatedTimeIndexes {
  private readonly byLog = new WeakMap<PartitionLog, Indexed>();

  constructor(private readonly mutant?: TimeIndexMutant) {}

  private indexOf(log: PartitionLog): Indexed {
    let c = this.byLog.get(log);
    const cut =
      c !== undefined &&
      (c.next > log.leo || (c.last !== undefined && log.batchAt(c.last.baseOffset) !== c.last));
    if (c === undefined || cut) {
      c = { index: new TimeIndex(this.mutant), last: undefined, next: 0 };
      this.byLog.set(log, c);
    }
    while (c.next < log.leo) {
      const batches = log.read(c.next, log.leo, READ_BATCHES);
      if (batches.length === 0) break;
      for (const b of batches) {
        c.index.append(b.baseOffset, b.maxTimestamp);
        c.last = b;
        c.next = b.baseOffset + b.count;
      }
    }
    return c;
  }

  /** The first batch below `end` holding a timestamp ≥ `timestamp`: its base offset and largest timestamp. */
  offsetForTime(
    log: PartitionLog,
    end: number,
    timestamp: number,
  ): { offset: number; timestamp: number } | undefined {
    const base = this.indexOf(log).index.lookup(timestamp);
    const b = base === undefined ? undefined : log.batchAt(base);
    if (b === undefined || b.baseOffset + b.count > end) return undefined;
    return { offset: b.baseOffset, timestamp: b.maxTimestamp };
  }
}
