/**
 * Durable storage as a node sees it: named records plus one append-only log (for write-ahead
 * entries), both readable immediately but durable only after `sync` reports back.
 *
 * Every mutation is a `StoreOp`, so a write-ahead log (append the op, fsync) and the simulated
 * disk (keep ops pending until a simulated sync completes) implement it the same way, and both
 * rebuild state by replaying ops into a `StoreState`.
 */
import { freezePlain, type Json } from './json.js';

export type StoreOp =
  | { readonly kind: 'put'; readonly key: string; readonly value: Json }
  /**
   * A value kept as a sequence of bounded parts (a Raft snapshot of a large store), replacing
   * whatever `key` held: stored and replayed as one op, so a crash keeps all of it or none, but
   * never encoded as one piece (a write-ahead log writes it a part per record).
   */
  | { readonly kind: 'put-parts'; readonly key: string; readonly parts: readonly Json[] }
  | { readonly kind: 'delete'; readonly key: string }
  | { readonly kind: 'append'; readonly entries: readonly Json[] }
  /** Drops every log entry after `index`. */
  | { readonly kind: 'truncate-after'; readonly index: number }
  /** Drops every log entry up to and including `index` (after a snapshot covers them). */
  | { readonly kind: 'compact-to'; readonly index: number };

export interface DurableStore {
  get(key: string): Json | undefined;
  put(key: string, value: Json): void;
  delete(key: string): void;
  keys(prefix?: string): string[];
  /** Stores `parts` (at least one) as `key`'s value; `get(key)` is then undefined. */
  putParts(key: string, parts: readonly Json[]): void;
  /** The parts of a value stored with `putParts` or `putPartsAside`, or undefined. */
  getParts(key: string): readonly Json[] | undefined;
  /**
   * Stores `parts` (at least one) as `key`'s value the way a large value must be: written beside
   * the log, off the path of the writes and syncs issued meanwhile, so those are not held back
   * behind it. Once that copy is durable the store issues the small write that makes it `key`'s
   * value — ordered after every write issued before that moment, and durable at the next sync
   * like any write — and calls `onSaved`. Until then `key` keeps its old value, and a crash
   * before `onSaved` keeps the old value. Saves complete in the order they were asked for.
   */
  putPartsAside(key: string, parts: readonly Json[], onSaved: () => void): void;

  /** Appends entries to the log; the first gets index `lastIndex() + 1`. */
  append(...entries: Json[]): void;
  entry(index: number): Json | undefined;
  /** Index of the first retained entry; `lastIndex() + 1` when the log is empty. */
  firstIndex(): number;
  lastIndex(): number;
  truncateAfter(index: number): void;
  compactTo(index: number): void;

  /**
   * Makes every write issued so far durable, then calls `onDurable`. A crash before that loses
   * those writes (and the callback). Acknowledge nothing that depends on a write before this.
   */
  sync(onDurable: () => void): void;
  /** Writes issued but not yet durable. */
  readonly unsyncedWrites: number;
}

/** The materialized contents of a store: what replaying its ops produces. */
export class StoreState {
  readonly records = new Map<string, Json>();
  /** Values stored as parts (`put-parts`); a key is in `records` or here, never both. */
  readonly parted = new Map<string, readonly Json[]>();
  log: Json[] = [];
  /** Index of log[0]. */
  first = 1;

  get last(): number {
    return this.first + this.log.length - 1;
  }

  entry(index: number): Json | undefined {
    return index >= this.first && index <= this.last ? this.log[index - this.first] : undefined;
  }

  apply(op: StoreOp): void {
    switch (op.kind) {
      case 'put':
        this.parted.delete(op.key);
        this.records.set(op.key, op.value);
        break;
      case 'put-parts':
        if (op.parts.length === 0) throw new Error(`put-parts of '${op.key}' has no parts`);
        this.records.delete(op.key);
        this.parted.set(op.key, op.parts);
        break;
      case 'delete':
        this.records.delete(op.key);
        this.parted.delete(op.key);
        break;
      case 'append':
        for (const e of op.entries) this.log.push(e);
        break;
      case 'truncate-after':
        if (op.index < this.first - 1) {
          throw new Error(`truncate-after ${op.index} is below the compacted prefix`);
        }
        if (op.index < this.last) this.log.length = op.index - this.first + 1;
        break;
      case 'compact-to':
        if (op.index >= this.first) {
          if (op.index > this.last) this.log = [];
          else this.log = this.log.slice(op.index - this.first + 1);
          this.first = op.index + 1;
        }
        break;
    }
  }

  clone(): StoreState {
    const s = new StoreState();
    for (const [k, v] of this.records) s.records.set(k, v);
    for (const [k, v] of this.parted) s.parted.set(k, v);
    s.log = this.log.slice();
    s.first = this.first;
    return s;
  }
}

/**
 * The part of every DurableStore that is the same whatever makes it durable: reads from the
 * materialized state, and each mutation turned into a StoreOp (values checked as plain data
 * and frozen in place, so the op can be shared by the caller, the state, a pending list or an
 * encoder, and nobody can change it). Subclasses say how an op is kept
 * (`keep`) and how `sync` makes it durable.
 */
export abstract class OpLogStore implements DurableStore {
  /** What the node reads: everything written, durable or not. */
  protected state = new StoreState();

  /** Keeps `op` until a sync makes it durable; called before the op is applied to `state`. */
  protected abstract keep(op: StoreOp): void;
  /**
   * Makes `parts` durable beside the log (see putPartsAside) and then calls `saved`, which
   * issues the put-parts op that refers to them; a crash first must drop `saved`. A store with
   * nothing beside its log keeps the value in the log: `saved` at once, its op then ordered
   * before whatever follows like any write.
   */
  protected saveAside(_key: string, _parts: readonly Json[], saved: () => void): void {
    saved();
  }
  abstract sync(onDurable: () => void): void;
  abstract readonly unsyncedWrites: number;

  protected write(op: StoreOp): void {
    this.keep(op);
    this.state.apply(op);
  }

  get(key: string): Json | undefined {
    return this.state.records.get(key);
  }

  put(key: string, value: Json): void {
    // Frozen in place rather than copied: snapshots are large, and the caller never needs to
    // change what it stored (a simulated run would throw if it tried).
    this.write({ kind: 'put', key, value: freezePlain(value) });
  }

  putParts(key: string, parts: readonly Json[]): void {
    if (parts.length === 0) throw new Error(`putParts of '${key}' needs at least one part`);
    this.write({ kind: 'put-parts', key, parts: Object.freeze(parts.map((p) => freezePlain(p))) });
  }

  getParts(key: string): readonly Json[] | undefined {
    return this.state.parted.get(key);
  }

  putPartsAside(key: string, parts: readonly Json[], onSaved: () => void): void {
    if (parts.length === 0) throw new Error(`putPartsAside of '${key}' needs at least one part`);
    const frozen = Object.freeze(parts.map((p) => freezePlain(p)));
    this.saveAside(key, frozen, () => {
      this.write({ kind: 'put-parts', key, parts: frozen });
      onSaved();
    });
  }

  delete(key: string): void {
    this.write({ kind: 'delete', key });
  }

  keys(prefix = ''): string[] {
    const out: string[] = [];
    for (const k of this.state.records.keys()) if (k.startsWith(prefix)) out.push(k);
    for (const k of this.state.parted.keys()) if (k.startsWith(prefix)) out.push(k);
    return out.sort();
  }

  append(...entries: Json[]): void {
    if (entries.length === 0) return;
    this.write({ kind: 'append', entries: entries.map((e) => freezePlain(e)) });
  }

  entry(index: number): Json | undefined {
    return this.state.entry(index);
  }

  firstIndex(): number {
    return this.state.first;
  }

  lastIndex(): number {
    return this.state.last;
  }

  truncateAfter(index: number): void {
    if (index < this.state.last) this.write({ kind: 'truncate-after', index });
  }

  compactTo(index: number): void {
    if (index >= this.state.first) this.write({ kind: 'compact-to', index });
  }
}
