/**
 * The Raft log as a view over the node's durable store: entries live in the store's append-only
 * log at their Raft index (store index == Raft index), and the latest snapshot in one record
 * that stands in for every entry up to its index (§5.1): a put of `{index, term, config, data}`
 * for a one-part snapshot (the form every snapshot had before parts), or for several parts a
 * `putParts` of the header `{index, term, config}` then the parts, which the store keeps as
 * bounded pieces. A snapshot of several parts (a large store) is written beside the log instead
 * (`putPartsAside`: a file of its own in the runtime, raft-snapshot-file.ts), and the log is
 * compacted past it only once that is durable (compactAside, installAside). Nothing here syncs;
 * the node decides when a sync must complete before it speaks (see raft-node.ts).
 */
import { countWithinSize, type Json } from '../../core/json.js';
import type { DurableStore } from '../../core/storage.js';
import type { Entry, Membership, Snapshot } from './messages.js';
import { RaftInvariantError } from './raft-assert.js';

const SNAPSHOT_KEY = 'raft/snapshot';

/** Told about every entry appended, with the term of the entry before it (for invariants). */
export type AppendObserver = (index: number, entry: Entry, prevTerm: number) => void;

export class RaftLog {
  /** The snapshot's index and term: the log's base, `entry(base)` is no longer stored. */
  private base = 0;
  private baseTerm = 0;
  private snap: Snapshot | null = null;

  constructor(
    private readonly store: DurableStore,
    private readonly observer?: AppendObserver,
  ) {}

  /**
   * Rebuilds the view after a restart. A crash may have kept the snapshot record but lost the
   * compaction written after it, so entries at or below the snapshot are compacted again.
   */
  load(): void {
    const s = this.readSnapshot();
    // The log must resume right after the snapshot (or at 1 without one): a gap is committed
    // entries that neither holds (a compaction made durable before the snapshot covering it).
    const base = s?.index ?? 0;
    const first = this.store.firstIndex();
    if (first > base + 1) {
      throw new RaftInvariantError(
        'log-continues-snapshot',
        `the stored snapshot ends at ${base} but the log resumes at ${first}: ` +
          `entries ${base + 1}..${first - 1} are lost`,
      );
    }
    if (s === undefined) return;
    this.snap = s;
    this.base = s.index;
    this.baseTerm = s.term;
    if (first <= s.index) this.store.compactTo(s.index);
  }

  private readSnapshot(): Snapshot | undefined {
    const parted = this.store.getParts(SNAPSHOT_KEY);
    if (parted !== undefined) {
      const head = snapshotHead(parted[0]);
      return { ...head, parts: parted.slice(1) };
    }
    const one = this.store.get(SNAPSHOT_KEY);
    if (one === undefined) return undefined;
    const head = snapshotHead(one);
    const data = (one as Record<string, Json>).data;
    if (data === undefined) throw new Error(`stored snapshot at ${head.index} has no data`);
    return { ...head, parts: [data] };
  }

  get snapshotIndex(): number {
    return this.base;
  }

  get snapshotTerm(): number {
    return this.baseTerm;
  }

  snapshot(): Snapshot | null {
    return this.snap;
  }

  lastIndex(): number {
    return Math.max(this.store.lastIndex(), this.base);
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) as number;
  }

  /** The term of the entry at `index`, or undefined when it is compacted away or absent. */
  term(index: number): number | undefined {
    if (index === this.base) return this.baseTerm;
    if (index === 0) return 0;
    const e = this.store.entry(index) as unknown as Entry | undefined;
    return e?.term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.base) return undefined;
    return this.store.entry(index) as unknown as Entry | undefined;
  }

  /** Entries `from..to` inclusive (all must be present). */
  slice(from: number, to: number): Entry[] {
    const out: Entry[] = [];
    for (let i = from; i <= to; i++) out.push(this.entry(i) as Entry);
    return out;
  }

  /**
   * Entries from `from` on, at most `maxEntries` and, past the first, at most `maxSize` in all
   * by jsonSizeBound (so a batch of large entries stays a bounded message).
   */
  batch(from: number, maxEntries: number, maxSize: number): Entry[] {
    const available = Math.min(this.lastIndex(), from + maxEntries - 1) - from + 1;
    const n = countWithinSize(available, (i) => this.entry(from + i) as unknown as Json, maxSize);
    return this.slice(from, from + n - 1);
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    if (this.observer !== undefined) {
      let prevTerm = this.lastTerm();
      let index = this.lastIndex();
      for (const e of entries) {
        this.observer(++index, e, prevTerm);
        prevTerm = e.term;
      }
    }
    this.store.append(...(entries as unknown as Json[]));
  }

  /** Drops every entry after `index` (a conflicting, uncommitted suffix: §3.5). */
  truncateAfter(index: number): void {
    if (index < this.base) throw new Error(`cannot truncate below the snapshot at ${this.base}`);
    this.store.truncateAfter(index);
  }

  /** Index of the first entry of the term of `index`, searching no lower than the base. */
  firstIndexOfTerm(index: number): number {
    const t = this.term(index);
    let i = index;
    while (i - 1 > this.base && this.term(i - 1) === t) i--;
    return i;
  }

  /** The last index holding an entry of `term`, or 0 when the log has none. */
  lastIndexOfTerm(term: number): number {
    for (let i = this.lastIndex(); i > this.base; i--) {
      const t = this.term(i) as number;
      if (t === term) return i;
      if (t < term) return 0;
    }
    return this.baseTerm === term ? this.base : 0;
  }

  /** The membership in effect at `index`: the latest config entry at or before it. */
  configAt(index: number, initial: Membership): Membership {
    for (let i = Math.min(index, this.lastIndex()); i > this.base; i--) {
      const e = this.entry(i) as Entry;
      if (e.kind === 'config') return e.config;
    }
    return this.snap?.config ?? initial;
  }

  /** Whether the snapshot's configuration or any config entry after it satisfies `test`. */
  someConfig(test: (m: Membership) => boolean): boolean {
    if (this.snap !== null && test(this.snap.config)) return true;
    for (let i = this.base + 1; i <= this.lastIndex(); i++) {
      const e = this.entry(i) as Entry;
      if (e.kind === 'config' && test(e.config)) return true;
    }
    return false;
  }

  /** Index of the latest config entry (or the base when it comes from the snapshot). */
  configIndex(): number {
    for (let i = this.lastIndex(); i > this.base; i--) {
      if ((this.entry(i) as Entry).kind === 'config') return i;
    }
    return this.base;
  }

  /**
   * Replaces the prefix through `snapshot.index` with the snapshot (§5.1). The record is
   * written before the compaction, so a crash that keeps a prefix of these writes never leaves
   * a log with neither the entries nor the snapshot.
   */
  compact(snapshot: Snapshot): void {
    const { index, term, config, parts } = snapshot;
    const head = { index, term, config } as unknown as Record<string, Json>;
    if (parts.length === 1) this.store.put(SNAPSHOT_KEY, { ...head, data: parts[0] as Json });
    else this.store.putParts(SNAPSHOT_KEY, [head, ...parts]);
    this.store.compactTo(snapshot.index);
    this.snap = snapshot;
    this.base = snapshot.index;
    this.baseTerm = snapshot.term;
  }

  /** True when `snapshot` is stored beside the log (compactAside, installAside). */
  static aside(snapshot: Snapshot): boolean {
    return snapshot.parts.length > 1;
  }

  /**
   * `compact` for a snapshot of several parts, without holding back the writes and syncs issued
   * meanwhile: the parts are written beside the log, and only once they are durable and the
   * record naming them is issued is the log compacted past them and the view moved (then
   * `done`). Until then the log keeps its entries and the old snapshot stands, so a crash
   * meanwhile loses nothing: recovery has the old snapshot and every entry after it. The record
   * is issued before the compaction, so a crash that keeps a prefix of the two keeps the record.
   *
   * `compactEarly` is the mutant that compacts and moves the view at once, as `compact` does,
   * while the parts are still being written: a crash before they are durable has lost entries
   * that no snapshot on disk covers.
   */
  compactAside(snapshot: Snapshot, done: () => void, compactEarly = false): void {
    if (compactEarly) this.setBase(snapshot, true);
    this.store.putPartsAside(SNAPSHOT_KEY, this.storedParts(snapshot), () => {
      if (snapshot.index > this.base) this.setBase(snapshot, true);
      done();
    });
  }

  /**
   * `install` for a snapshot of several parts: a conflicting suffix is dropped now (it holds
   * nothing committed: the snapshot is committed and differs from it), the parts are written
   * beside the log, and once they are durable the log is compacted past them and `done` called.
   * Entries a leader appends meanwhile are kept (they follow the snapshot in its log).
   */
  installAside(snapshot: Snapshot, done: () => void): void {
    if (this.term(snapshot.index) !== snapshot.term && this.lastIndex() > snapshot.index) {
      this.truncateAfter(Math.max(snapshot.index, this.base));
    }
    this.store.putPartsAside(SNAPSHOT_KEY, this.storedParts(snapshot), () => {
      // Entries up to the snapshot go with the compaction. One after it was appended meanwhile
      // by an append that matched at or past the snapshot's index, so it follows the snapshot:
      // while the entry at that index conflicted, none could match there.
      if (snapshot.index > this.base) this.setBase(snapshot, true);
      done();
    });
  }

  /** The store's parts of a snapshot: its head `{index, term, config}`, then its parts. */
  private storedParts(snapshot: Snapshot): Json[] {
    const { index, term, config, parts } = snapshot;
    const head = { index, term, config } as unknown as Record<string, Json>;
    return [head, ...parts];
  }

  private setBase(snapshot: Snapshot, compact: boolean): void {
    if (compact) this.store.compactTo(snapshot.index);
    this.snap = snapshot;
    this.base = snapshot.index;
    this.baseTerm = snapshot.term;
  }

  /**
   * Installs a leader's snapshot (§5.3): a log entry matching its last index and term means the
   * following entries are still good; otherwise the whole log is discarded, before the snapshot
   * record is written (so a torn crash can only lose the suffix, never mix it with the snapshot).
   */
  install(snapshot: Snapshot): void {
    if (this.term(snapshot.index) !== snapshot.term && this.lastIndex() > snapshot.index) {
      this.truncateAfter(Math.max(snapshot.index, this.base));
    }
    this.compact(snapshot);
  }
}

/** The index, term and config of a stored snapshot record, checked (the store is trusted, but a
 * record that is not one must stop the node, not become a log with base NaN). */
function snapshotHead(v: Json | undefined): Omit<Snapshot, 'parts'> {
  const o = v as Record<string, Json> | undefined;
  const config = o?.config as Record<string, Json> | undefined;
  if (
    typeof o !== 'object' ||
    o === null ||
    !Number.isSafeInteger(o.index) ||
    !Number.isSafeInteger(o.term) ||
    !Array.isArray(config?.voters) ||
    !Array.isArray(config?.learners)
  ) {
    throw new Error('the stored snapshot record is not a snapshot');
  }
  return {
    index: o.index as number,
    term: o.term as number,
    config: config as unknown as Membership,
  };
}
