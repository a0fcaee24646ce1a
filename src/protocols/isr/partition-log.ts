/**
 * One replica's log of one partition over the node's DurableStore: a batch per record
 * (`isr/<partition>/<baseOffset>`), the high watermark beside it (`isr-hw/<partition>`, written
 * lazily like Kafka's checkpoint file: it may lag after a crash, never lead), and the leader-epoch
 * cache rebuilt from the batches. Writes are readable at once and durable after the store's
 * next sync; whoever counts an offset as replicated syncs first (see partition-follower.ts).
 */
import type { Json } from '../../core/json.js';
import type { DurableStore } from '../../core/storage.js';
import { nextOffsetOf, type StoredBatch } from './batch.js';
import { assertIsr } from './isr-assert.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';

const batchPrefix = (partition: string): string => `isr/${partition}/`;
const hwKey = (partition: string): string => `isr-hw/${partition}`;

function isBatch(v: Json | undefined): v is Json & StoredBatch {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const b = v as Record<string, Json>;
  return (
    Number.isSafeInteger(b.baseOffset) &&
    Number.isSafeInteger(b.count) &&
    (b.count as number) >= 1 &&
    Number.isSafeInteger(b.leaderEpoch) &&
    'payload' in b
  );
}

export class PartitionLog {
  private batches: StoredBatch[] = [];
  readonly epochs = new LeaderEpochCache();
  private hwNow = 0;

  constructor(
    private readonly storage: DurableStore,
    readonly partition: string,
  ) {
    this.load();
  }

  /** Log end offset: the offset the next record appended gets. */
  get leo(): number {
    const last = this.batches.at(-1);
    return last === undefined ? 0 : nextOffsetOf(last);
  }

  get hw(): number {
    return this.hwNow;
  }

  /** Epoch of the last batch, or -1 for an empty log (a fetch's lastFetchedEpoch). */
  get lastEpoch(): number {
    return this.batches.at(-1)?.leaderEpoch ?? -1;
  }

  get batchCount(): number {
    return this.batches.length;
  }

  /** Rebuilds the log from storage: the contiguous run of batches from offset 0. */
  private load(): void {
    const keys = this.storage.keys(batchPrefix(this.partition));
    const found: StoredBatch[] = [];
    for (const k of keys) {
      const v = this.storage.get(k);
      if (isBatch(v)) found.push(v);
      else this.storage.delete(k);
    }
    found.sort((a, b) => a.baseOffset - b.baseOffset);
    let next = 0;
    for (const b of found) {
      // A crash can leave batches past a gap (their predecessors' writes lost): not the log.
      if (b.baseOffset !== next || b.leaderEpoch < this.epochs.latestEpoch()) {
        this.storage.delete(this.keyOf(b.baseOffset));
        continue;
      }
      this.batches.push(b);
      this.epochs.assign(b.leaderEpoch, b.baseOffset);
      next = nextOffsetOf(b);
    }
    const hw = this.storage.get(hwKey(this.partition));
    this.hwNow = typeof hw === 'number' ? Math.min(hw, this.leo) : 0;
  }

  /** Deletes every stored batch of `partition` and its HW (its topic was deleted). */
  static deleteStored(storage: DurableStore, partition: string): void {
    for (const k of storage.keys(batchPrefix(partition))) storage.delete(k);
    if (storage.get(hwKey(partition)) !== undefined) storage.delete(hwKey(partition));
  }

  private keyOf(baseOffset: number): string {
    return `${batchPrefix(this.partition)}${baseOffset}`;
  }

  append(batch: StoredBatch): void {
    assertIsr(
      batch.baseOffset === this.leo && batch.count >= 1,
      'log-contiguous',
      () =>
        `${this.partition}: batch at ${batch.baseOffset} (+${batch.count}) on a log ending at ${this.leo}`,
    );
    this.epochs.assign(batch.leaderEpoch, batch.baseOffset);
    this.batches.push(batch);
    this.storage.put(this.keyOf(batch.baseOffset), batch as unknown as Json);
  }

  /**
   * Drops every record at or after `offset` (the whole batch holding it, since a batch is kept
   * or dropped as one). Returns the new log end offset.
   */
  truncateTo(offset: number): number {
    while (this.batches.length > 0 && nextOffsetOf(this.batches.at(-1) as StoredBatch) > offset) {
      const b = this.batches.pop() as StoredBatch;
      this.storage.delete(this.keyOf(b.baseOffset));
    }
    this.epochs.truncateFrom(this.leo);
    if (this.hwNow > this.leo) this.setHw(this.leo);
    return this.leo;
  }

  setHw(hw: number): void {
    if (hw === this.hwNow) return;
    this.hwNow = hw;
    this.storage.put(hwKey(this.partition), hw);
  }

  /** Index of the batch holding `offset`, or -1. */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = this.batches[mid] as StoredBatch;
      if (offset < b.baseOffset) hi = mid - 1;
      else if (offset >= nextOffsetOf(b)) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** The batch holding `offset`, if the log has it. */
  batchAt(offset: number): StoredBatch | undefined {
    const i = this.indexOf(offset);
    return i < 0 ? undefined : this.batches[i];
  }

  /** Up to `max` batches from the one holding `from`, ending before `end` (whole batches). */
  read(from: number, end: number, max: number): StoredBatch[] {
    const out: StoredBatch[] = [];
    let i = this.indexOf(from);
    if (i < 0) return out;
    while (i < this.batches.length && out.length < max) {
      const b = this.batches[i] as StoredBatch;
      if (nextOffsetOf(b) > end) break;
      out.push(b);
      i++;
    }
    return out;
  }
}
