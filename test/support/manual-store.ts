/**
 * A node's store for rule tests: its syncs complete only when the test says so (`flush`), and a
 * crash keeps what was synced plus, if asked, a prefix of the rest — as a write-ahead log's torn
 * tail does. "Durable before answering" is then checked message by message.
 */
import { OpLogStore, type StoreOp } from '../../src/core/storage.js';

export class ManualStore extends OpLogStore {
  private pending: StoreOp[] = [];
  private readonly synced: StoreOp[];
  private waiters: (() => void)[] = [];

  constructor(durable: readonly StoreOp[] = []) {
    super();
    this.synced = [...durable];
    for (const op of durable) this.state.apply(op);
  }

  get unsyncedWrites(): number {
    return this.pending.length;
  }

  protected keep(op: StoreOp): void {
    this.pending.push(op);
  }

  sync(onDurable: () => void): void {
    this.waiters.push(onDurable);
  }

  /** Completes every sync asked for so far (and makes every write so far durable). */
  flush(): void {
    this.synced.push(...this.pending);
    this.pending = [];
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The disk a crash leaves: the synced writes, then the first `keptUnsynced` of the rest. */
  afterCrash(keptUnsynced = 0): ManualStore {
    return new ManualStore([...this.synced, ...this.pending.slice(0, keptUnsynced)]);
  }
}
