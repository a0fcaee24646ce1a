/**
 * One Raft group's DurableStore inside a node that hosts many groups (CockroachDB's ranges): the
 * group's records and log entries become keys of the node's one store, so every group shares the
 * node's write-ahead log and one fsync makes all of them durable — as CockroachDB keeps every
 * range's Raft log in one Pebble engine.
 *
 * Log entries live at `l/<group>/<index>` (the index zero-padded, so keys sort by index) and the
 * first retained index at `m/<group>/first`. A truncation or compaction is several writes, and a
 * crash may keep a prefix of them; rebuilding therefore takes the contiguous run of entries from
 * the first index and deletes any entry beyond it, so a stale entry can never rejoin the log.
 */
import type { Json } from '../../core/json.js';
import type { DurableStore } from '../../core/storage.js';

const INDEX_DIGITS = 12;

export class GroupStoreError extends Error {
  readonly code = 'group-store';
  constructor(message: string) {
    super(message);
    this.name = 'GroupStoreError';
  }
}

export class GroupStore implements DurableStore {
  private readonly recordPrefix: string;
  private readonly logPrefix: string;
  private readonly firstKey: string;
  private first = 1;
  private last = 0;

  constructor(
    private readonly base: DurableStore,
    readonly group: string,
  ) {
    if (group === '' || group.includes('/'))
      throw new GroupStoreError(`a group id must be non-empty and without '/': '${group}'`);
    this.recordPrefix = `r/${group}/`;
    this.logPrefix = `l/${group}/`;
    this.firstKey = `m/${group}/first`;
    this.load();
  }

  /** Every group that has anything in `base` (to restart a node's groups after a crash). */
  static groupsIn(base: DurableStore): string[] {
    const groups = new Set<string>();
    for (const prefix of ['r/', 'l/', 'm/']) {
      for (const k of base.keys(prefix)) {
        const g = k.slice(2, k.indexOf('/', 2));
        if (g !== '') groups.add(g);
      }
    }
    return [...groups].sort();
  }

  /** Deletes everything of this group (a replica removed from the node). */
  destroy(): void {
    for (const k of this.base.keys(this.recordPrefix)) this.base.delete(k);
    for (const k of this.base.keys(this.logPrefix)) this.base.delete(k);
    this.base.delete(this.firstKey);
    this.first = 1;
    this.last = 0;
  }

  private logKey(index: number): string {
    return `${this.logPrefix}${String(index).padStart(INDEX_DIGITS, '0')}`;
  }

  private load(): void {
    const f = this.base.get(this.firstKey);
    if (f !== undefined && !(Number.isSafeInteger(f) && (f as number) >= 1)) {
      throw new GroupStoreError(
        `group ${this.group}: stored first index ${JSON.stringify(f)} is not an index`,
      );
    }
    this.first = (f as number | undefined) ?? 1;
    this.last = this.first - 1;
    while (this.base.get(this.logKey(this.last + 1)) !== undefined) this.last++;
    for (const k of this.base.keys(this.logPrefix)) {
      const index = Number(k.slice(this.logPrefix.length));
      if (!Number.isSafeInteger(index) || index < this.first || index > this.last)
        this.base.delete(k);
    }
  }

  get(key: string): Json | undefined {
    return this.base.get(this.recordPrefix + key);
  }

  put(key: string, value: Json): void {
    this.base.put(this.recordPrefix + key, value);
  }

  delete(key: string): void {
    this.base.delete(this.recordPrefix + key);
  }

  keys(prefix = ''): string[] {
    const cut = this.recordPrefix.length;
    return this.base.keys(this.recordPrefix + prefix).map((k) => k.slice(cut));
  }

  putParts(key: string, parts: readonly Json[]): void {
    this.base.putParts(this.recordPrefix + key, parts);
  }

  getParts(key: string): readonly Json[] | undefined {
    return this.base.getParts(this.recordPrefix + key);
  }

  putPartsAside(key: string, parts: readonly Json[], onSaved: () => void): void {
    this.base.putPartsAside(this.recordPrefix + key, parts, onSaved);
  }

  append(...entries: Json[]): void {
    for (const e of entries) this.base.put(this.logKey(++this.last), e);
  }

  entry(index: number): Json | undefined {
    return index >= this.first && index <= this.last
      ? this.base.get(this.logKey(index))
      : undefined;
  }

  firstIndex(): number {
    return this.first;
  }

  lastIndex(): number {
    return this.last;
  }

  truncateAfter(index: number): void {
    if (index < this.first - 1) {
      throw new GroupStoreError(
        `group ${this.group}: truncate-after ${index} is below the compacted prefix`,
      );
    }
    // Lowest first: a crash that keeps any of these deletes keeps the first, and rebuilding
    // stops the log there and drops the rest, so the log is either untouched or truncated.
    for (let i = index + 1; i <= this.last; i++) this.base.delete(this.logKey(i));
    this.last = Math.min(this.last, index);
  }

  compactTo(index: number): void {
    if (index < this.first) return;
    // The new first index is written before the deletes: a crash between them leaves entries
    // below it, which rebuilding drops.
    this.base.put(this.firstKey, index + 1);
    for (let i = this.first; i <= Math.min(index, this.last); i++) this.base.delete(this.logKey(i));
    this.first = index + 1;
    this.last = Math.max(this.last, index);
  }

  sync(onDurable: () => void): void {
    this.base.sync(onDurable);
  }

  get unsyncedWrites(): number {
    return this.base.unsyncedWrites;
  }
}
