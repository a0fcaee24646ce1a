/**
 * The simulated disk: a DurableStore whose writes become durable only when a sync completes,
 * after a sampled sync latency. A crash keeps what was synced and, like a real disk that flushed
 * some of its cache on its own, maybe a prefix of the unsynced writes, the last of which may be
 * torn (a torn write is detected on recovery, as a checksummed WAL would, and discarded).
 */
import { deepFreeze, copyJson, type Json } from '../core/json.js';
import { StoreState, type DurableStore, type StoreOp } from '../core/storage.js';

export interface DiskHooks {
  /** Schedules `done` after a sync latency, unless the node crashes first. */
  scheduleSync(writes: number, done: () => void): void;
}

export interface CrashOutcome {
  readonly lost: number;
  readonly kept: number;
  readonly torn: boolean;
}

export class SimDisk implements DurableStore {
  /** What survives a crash. */
  private durable = new StoreState();
  /** What the node reads: durable plus pending writes. */
  private current = new StoreState();
  private pending: StoreOp[] = [];

  constructor(private readonly hooks: DiskHooks) {}

  get unsyncedWrites(): number {
    return this.pending.length;
  }

  private write(op: StoreOp): void {
    this.pending.push(op);
    this.current.apply(op);
  }

  get(key: string): Json | undefined {
    return this.current.records.get(key);
  }

  put(key: string, value: Json): void {
    this.write({ kind: 'put', key, value: deepFreeze(copyJson(value)) });
  }

  delete(key: string): void {
    this.write({ kind: 'delete', key });
  }

  keys(prefix = ''): string[] {
    const out: string[] = [];
    for (const k of this.current.records.keys()) if (k.startsWith(prefix)) out.push(k);
    return out.sort();
  }

  append(...entries: Json[]): void {
    if (entries.length === 0) return;
    this.write({ kind: 'append', entries: entries.map((e) => deepFreeze(copyJson(e))) });
  }

  entry(index: number): Json | undefined {
    return this.current.entry(index);
  }

  firstIndex(): number {
    return this.current.first;
  }

  lastIndex(): number {
    return this.current.last;
  }

  truncateAfter(index: number): void {
    if (index < this.current.last) this.write({ kind: 'truncate-after', index });
  }

  compactTo(index: number): void {
    if (index >= this.current.first) this.write({ kind: 'compact-to', index });
  }

  sync(onDurable: () => void): void {
    // Everything written so far is covered by this sync. Ops are shared (frozen), so the same
    // objects can be applied to the durable state when the sync completes.
    const batch = this.pending;
    this.pending = [];
    this.inFlight.push(batch);
    // The simulator completes a node's syncs in the order they were issued.
    this.hooks.scheduleSync(batch.length, () => {
      this.inFlight.shift();
      for (const op of batch) this.durable.apply(op);
      onDurable();
    });
  }

  /** Batches handed to sync whose completion has not been seen yet (lost on crash). */
  private inFlight: StoreOp[][] = [];

  /**
   * Loses what was not synced. `keepPrefix` unsynced writes survive anyway (the disk flushed them
   * itself); with `tearLast` the last of those is torn and discarded on recovery.
   */
  crash(keepPrefix: number, tearLast: boolean): CrashOutcome {
    const unsynced = ([] as StoreOp[]).concat(...this.inFlight, this.pending);
    let kept = Math.min(keepPrefix, unsynced.length);
    const torn = tearLast && kept > 0;
    if (torn) kept -= 1;
    for (let i = 0; i < kept; i++) this.durable.apply(unsynced[i] as StoreOp);
    this.current = this.durable.clone();
    this.pending = [];
    this.inFlight = [];
    return { lost: unsynced.length - kept, kept, torn };
  }
}
