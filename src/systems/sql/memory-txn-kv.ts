/**
 * An in-memory, serializable TxnKv: optimistic concurrency control over one ordered map. Each
 * transaction buffers its writes and remembers what it read (keys and scanned spans); it runs
 * on a consistent snapshot because any read of something another transaction changed since it
 * began fails at once with 'retry'; and at commit it is validated the same way, then its writes
 * land at once. The serial order is the commit order, so every history it allows is
 * serializable (docs/sql.md, "The in-memory store").
 *
 * It is the reference the SQL layer is tested against and what `truthkit sql serve` serves
 * until the distributed database's interactive sessions are wired in. Deterministic: its clock
 * is given, and callbacks run synchronously.
 */
import {
  kvFail,
  kvOk,
  type KvDone,
  type KvPair,
  type TxnHandle,
  type TxnKv,
  type TxnTimestamp,
} from './txn-kv.js';

/**
 * Deliberately broken variants, each caught by test/systems/sql/memory-txn-kv.test.ts:
 * - `no-key-validation`: a key read is not checked against later commits (lost updates);
 * - `no-span-validation`: a scanned span is not checked against later commits (phantoms).
 */
export const MEMORY_KV_MUTANTS = ['no-key-validation', 'no-span-validation'] as const;
export type MemoryKvMutant = (typeof MEMORY_KV_MUTANTS)[number];

export interface MemoryTxnKvOptions {
  /** Wall-clock milliseconds for transaction timestamps (the simulator's or the process's). */
  readonly now: () => number;
  readonly mutant?: MemoryKvMutant;
}

interface Committed {
  readonly seq: number;
  readonly keys: readonly string[];
}

/** Index of the first element >= key in a sorted array. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryTxnKv implements TxnKv {
  private readonly data = new Map<string, string>();
  /** The keys of `data`, sorted. */
  private readonly sorted: string[] = [];
  /** The commit sequence number that last wrote (or deleted) each key. */
  private readonly lastWrite = new Map<string, number>();
  /** Commits newer than the oldest open transaction, for span validation. */
  private log: Committed[] = [];
  private seq = 0;
  private readonly open = new Map<number, number>();
  private nextTxn = 1;
  private lastTs: TxnTimestamp = { wallMs: 0, logical: 0 };
  /** Counters for tests and status. */
  readonly stats = { begun: 0, committed: 0, retries: 0, rolledBack: 0 };

  constructor(private readonly o: MemoryTxnKvOptions) {}

  begin(done: KvDone<TxnHandle>): void {
    const id = this.nextTxn++;
    this.open.set(id, this.seq);
    this.stats.begun++;
    done(kvOk(new MemoryTxn(this, id, this.seq, this.tick())));
  }

  /** Committed pairs only (for tests and the demo). */
  snapshot(): KvPair[] {
    return this.sorted.map((key) => ({ key, value: this.data.get(key) as string }));
  }

  /** A timestamp above every earlier one, from the wall clock when it moved on. */
  private tick(): TxnTimestamp {
    const wall = this.o.now();
    this.lastTs =
      wall > this.lastTs.wallMs
        ? { wallMs: wall, logical: 0 }
        : { wallMs: this.lastTs.wallMs, logical: this.lastTs.logical + 1 };
    return this.lastTs;
  }

  /** @internal */ committedGet(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  /** @internal */ committedScan(start: string, end: string): KvPair[] {
    const out: KvPair[] = [];
    for (let i = lowerBound(this.sorted, start); i < this.sorted.length; i++) {
      const key = this.sorted[i] as string;
      if (key >= end) break;
      out.push({ key, value: this.data.get(key) as string });
    }
    return out;
  }

  /** @internal Whether a key changed after `since` (a commit sequence number). */
  keyChanged(key: string, since: number): boolean {
    if (this.o.mutant === 'no-key-validation') return false;
    return (this.lastWrite.get(key) ?? 0) > since;
  }

  /** @internal Whether any key in [start, end) changed after `since`. */
  spanChanged(start: string, end: string, since: number): boolean {
    if (this.o.mutant === 'no-span-validation') return false;
    for (const c of this.log) {
      if (c.seq <= since) continue;
      for (const k of c.keys) if (k >= start && k < end) return true;
    }
    return false;
  }

  /** @internal Applies a validated transaction's writes as one commit. */
  apply(writes: ReadonlyMap<string, string | null>): void {
    if (writes.size === 0) return;
    this.seq++;
    for (const [key, value] of writes) {
      this.lastWrite.set(key, this.seq);
      const had = this.data.has(key);
      if (value === null) {
        if (had) {
          this.data.delete(key);
          this.sorted.splice(lowerBound(this.sorted, key), 1);
        }
      } else {
        if (!had) this.sorted.splice(lowerBound(this.sorted, key), 0, key);
        this.data.set(key, value);
      }
    }
    this.log.push({ seq: this.seq, keys: [...writes.keys()] });
  }

  /** @internal */ close(id: number, outcome: 'committed' | 'retries' | 'rolledBack'): void {
    this.open.delete(id);
    this.stats[outcome]++;
    let oldest = this.seq;
    for (const s of this.open.values()) oldest = Math.min(oldest, s);
    // Commits at or below every open transaction's start can no longer fail anyone's check.
    if (this.log.length > 0 && (this.log[0] as Committed).seq <= oldest) {
      this.log = this.log.filter((c) => c.seq > oldest);
    }
  }
}

class MemoryTxn implements TxnHandle {
  private readonly writes = new Map<string, string | null>();
  private readonly readKeys = new Set<string>();
  private readonly spans: Array<readonly [string, string]> = [];
  private state: 'open' | 'closed' = 'open';

  constructor(
    private readonly kv: MemoryTxnKv,
    private readonly id: number,
    private readonly start: number,
    private readonly ts: TxnTimestamp,
  ) {}

  timestamp(): TxnTimestamp {
    return this.ts;
  }

  get(key: string, done: KvDone<string | null>): void {
    if (this.closed(done)) return;
    if (this.writes.has(key)) {
      done(kvOk(this.writes.get(key) ?? null));
      return;
    }
    if (this.kv.keyChanged(key, this.start)) {
      this.fail(done, `key changed since the transaction began`);
      return;
    }
    this.readKeys.add(key);
    done(kvOk(this.kv.committedGet(key)));
  }

  scan(start: string, end: string, limit: number, done: KvDone<readonly KvPair[]>): void {
    if (this.closed(done)) return;
    if (this.kv.spanChanged(start, end, this.start)) {
      this.fail(done, `span changed since the transaction began`);
      return;
    }
    this.spans.push([start, end]);
    const merged = new Map<string, string>();
    for (const p of this.kv.committedScan(start, end)) merged.set(p.key, p.value);
    for (const [k, v] of this.writes) {
      if (k < start || k >= end) continue;
      if (v === null) merged.delete(k);
      else merged.set(k, v);
    }
    const keys = [...merged.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const cut = limit > 0 ? keys.slice(0, limit) : keys;
    done(kvOk(cut.map((key) => ({ key, value: merged.get(key) as string }))));
  }

  put(key: string, value: string, done: KvDone<null>): void {
    if (this.closed(done)) return;
    this.writes.set(key, value);
    done(kvOk(null));
  }

  delete(key: string, done: KvDone<null>): void {
    if (this.closed(done)) return;
    this.writes.set(key, null);
    done(kvOk(null));
  }

  commit(done: KvDone<null>): void {
    if (this.closed(done)) return;
    for (const k of this.readKeys) {
      if (this.kv.keyChanged(k, this.start)) {
        this.fail(done, 'a key read was written by a later commit');
        return;
      }
    }
    for (const [s, e] of this.spans) {
      if (this.kv.spanChanged(s, e, this.start)) {
        this.fail(done, 'a span read was written by a later commit');
        return;
      }
    }
    this.kv.apply(this.writes);
    this.state = 'closed';
    this.kv.close(this.id, 'committed');
    done(kvOk(null));
  }

  rollback(done: KvDone<null>): void {
    if (this.closed(done)) return;
    this.state = 'closed';
    this.kv.close(this.id, 'rolledBack');
    done(kvOk(null));
  }

  private closed(done: KvDone<never>): boolean {
    if (this.state === 'open') return false;
    done(kvFail('txn-closed', 'the transaction is closed'));
    return true;
  }

  private fail(done: KvDone<never>, why: string): void {
    this.state = 'closed';
    this.kv.close(this.id, 'retries');
    done(kvFail('retry', `restart transaction: ${why}`));
  }
}
