/**
 * The simulated disk: a DurableStore whose writes become durable only when a sync completes,
 * after a sampled sync latency. A crash keeps what was synced and, like a real disk that flushed
 * some of its cache on its own, maybe a prefix of the unsynced writes, the last of which may be
 * torn (a torn write is detected on recovery, as a checksummed WAL would, and discarded).
 */
import type { Json } from '../core/json.js';
import { OpLogStore, StoreState, type StoreOp } from '../core/storage.js';

export interface DiskHooks {
  /** Schedules `done` after a sync latency, unless the node crashes first. */
  scheduleSync(writes: number, done: () => void): void;
  /**
   * Schedules `done` once a file of `parts` parts beside the log would be written and synced,
   * unless the node crashes first: independent of the log's syncs (another file), and in the
   * order asked for among files. Absent (a test's disk): a sync stands in for it.
   */
  scheduleFileWrite?(parts: number, done: () => void): void;
}

export interface CrashOutcome {
  readonly lost: number;
  readonly kept: number;
  readonly torn: boolean;
}

export class SimDisk extends OpLogStore {
  /** What survives a crash. */
  private durable = new StoreState();
  private pending: StoreOp[] = [];

  constructor(private readonly hooks: DiskHooks) {
    super();
  }

  /**
   * Writes issued and not yet durable: those no sync covers yet and those whose sync is still in
   * flight. Counting only the first let a node answer "durable" while a sync it had issued was
   * still running (Raft acknowledged a duplicated append at once, then a crash lost the entry:
   * `kv-raft --swarm --seed 593`); the write-ahead log counts both, as this does now.
   */
  get unsyncedWrites(): number {
    return this.pending.length + this.inFlightWrites;
  }

  protected keep(op: StoreOp): void {
    this.pending.push(op);
  }

  /**
   * A value written beside the log (a large Raft snapshot) is a separate event: until it
   * completes, nothing of it is issued, so a crash before then keeps the key's old value
   * (the scheduled completion dies with the node), whatever the log's syncs did meanwhile.
   */
  protected override saveAside(_key: string, parts: readonly Json[], saved: () => void): void {
    if (this.hooks.scheduleFileWrite !== undefined)
      this.hooks.scheduleFileWrite(parts.length, saved);
    else this.hooks.scheduleSync(parts.length, saved);
  }

  sync(onDurable: () => void): void {
    // Everything written so far is covered by this sync. Ops are shared (frozen), so the same
    // objects can be applied to the durable state when the sync completes.
    const batch = this.pending;
    this.pending = [];
    this.inFlight.push(batch);
    this.inFlightWrites += batch.length;
    // The simulator completes a node's syncs in the order they were issued.
    this.hooks.scheduleSync(batch.length, () => {
      this.inFlight.shift();
      this.inFlightWrites -= batch.length;
      for (const op of batch) this.durable.apply(op);
      onDurable();
    });
  }

  /**
   * The data directory of a stopped node erased and `records` written into it, durably: what an
   * operator's `rm -rf` and a fresh `--initial-state` leave before the node starts again.
   */
  reset(records: Readonly<Record<string, Json>>): void {
    this.durable = new StoreState();
    for (const [k, v] of Object.entries(records))
      this.durable.apply({ kind: 'put', key: k, value: v });
    this.state = this.durable.clone();
    this.pending = [];
    this.inFlight = [];
    this.inFlightWrites = 0;
  }

  /** Batches handed to sync whose completion has not been seen yet (lost on crash). */
  private inFlight: StoreOp[][] = [];
  /** Writes of the syncs in `inFlight`, kept as a count: Raft asks on every acknowledgement. */
  private inFlightWrites = 0;

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
    this.state = this.durable.clone();
    this.pending = [];
    this.inFlight = [];
    this.inFlightWrites = 0;
    return { lost: unsynced.length - kept, kept, torn };
  }
}
