/**
 * One range's multi-version store, as CockroachDB's MVCC over Pebble: committed versions per key
 * at their commit timestamps, at most one write intent per key, and the timestamp cache. It is a
 * pure data structure, applied identically on every replica of the range (through Raft) — the
 * rules of reads, writes, uncertainty and intent resolution live here so every replica answers
 * alike.
 */
import type { Json } from '../../core/json.js';
import { KeyIndex } from '../../core/key-index.js';
import { compareHlc, formatHlc, maxHlc, nextHlc } from '../clocks/hybrid-logical-clock.js';
import { TimestampCache, type TimestampCacheState } from './timestamp-cache.js';
import type {
  Intent,
  ReadAnswer,
  ReadOptions,
  Timestamp,
  TxnId,
  TxnMeta,
  Version,
  WriteAnswer,
} from './mvcc-types.js';

export type MvccMutant =
  /** Reads ignore the uncertainty window (CockroachDB without uncertainty restarts). */
  | 'ignore-uncertainty'
  /** Writes are not pushed above earlier reads (snapshot isolation's write skew comes back). */
  | 'no-timestamp-cache';

export interface ScanRow {
  readonly key: string;
  readonly value: Json;
  readonly ts: Timestamp;
}

export type ScanAnswer =
  | { readonly kind: 'rows'; readonly rows: readonly ScanRow[] }
  | { readonly kind: 'intent'; readonly key: string; readonly intent: Intent }
  | { readonly kind: 'uncertain'; readonly key: string; readonly valueTs: Timestamp };

export type IntentOutcome = { readonly commitTs: Timestamp } | 'abort';

export class MvccInvariantError extends Error {
  readonly code = 'mvcc-invariant';
  constructor(message: string) {
    super(message);
    this.name = 'MvccInvariantError';
  }
}

function ownIntent(intent: Intent, txn: TxnMeta | undefined): boolean {
  return txn !== undefined && intent.txn.id === txn.id;
}

/** A store as plain data, for a range's snapshot. */
export interface MvccState {
  readonly versions: readonly (readonly [string, readonly Version[]])[];
  readonly intents: readonly (readonly [string, Intent])[];
  readonly reads: TimestampCacheState;
}

export class MvccStore {
  private readonly keys = new KeyIndex();
  /** Ascending by timestamp. */
  private readonly versions = new Map<string, Version[]>();
  private readonly intents = new Map<string, Intent>();
  private tsCache = new TimestampCache();

  constructor(private readonly mutant: MvccMutant | null = null) {}

  exportState(): MvccState {
    return {
      versions: [...this.versions].map(([k, list]) => [k, list.slice()] as const),
      intents: [...this.intents],
      reads: this.tsCache.exportState(),
    };
  }

  /** Replaces this store's contents with `state` (a snapshot a leader sent, checked by the caller). */
  restoreState(state: MvccState): void {
    for (const k of [...this.keys]) this.keys.delete(k);
    this.versions.clear();
    this.intents.clear();
    for (const [k, list] of state.versions) {
      for (let i = 1; i < list.length; i++) {
        if (compareHlc(list[i - 1]!.ts, list[i]!.ts) >= 0) {
          throw new MvccInvariantError(`${k}: restored versions are not in timestamp order`);
        }
      }
      this.versions.set(k, list.slice());
      this.keys.add(k);
    }
    for (const [k, intent] of state.intents) {
      this.intents.set(k, intent);
      this.keys.add(k);
    }
    this.tsCache = TimestampCache.fromState(state.reads);
  }

  get(key: string, opts: ReadOptions): ReadAnswer {
    const answer = this.readKey(key, opts);
    if (answer.kind === 'value') this.tsCache.recordRead(key, opts.ts, opts.txn?.id ?? null);
    return answer;
  }

  /**
   * A read answered from the leaseholder's memory (not logged): its mark goes into `cache`, the
   * leaseholder's own timestamp cache, not this store's replicated one.
   */
  getUnlogged(key: string, opts: ReadOptions, cache: TimestampCache): ReadAnswer {
    const answer = this.readKey(key, opts);
    if (answer.kind === 'value') cache.recordRead(key, opts.ts, opts.txn?.id ?? null);
    return answer;
  }

  /** The timestamp cache, to copy into a split's right-hand range. */
  get readCache(): TimestampCache {
    return this.tsCache;
  }

  /** How many keys hold a version or an intent: the range's size, for splits. */
  get size(): number {
    return this.keys.size;
  }

  /** The key that cuts this store's keys in two halves, or null with fewer than two keys. */
  middleKey(): string | null {
    const all = [...this.keys];
    return all.length < 2 ? null : all[Math.floor(all.length / 2)]!;
  }

  /**
   * Removes every key at or above `at` and answers them as a store's state (versions, intents,
   * and a copy of the timestamp cache's marks there): the right-hand side of a split.
   */
  splitAt(at: string): MvccState {
    const moved = [...this.keys].filter((k) => k >= at);
    const versions: (readonly [string, readonly Version[]])[] = [];
    const intents: (readonly [string, Intent])[] = [];
    for (const k of moved) {
      const list = this.versions.get(k);
      if (list !== undefined) versions.push([k, list.slice()]);
      const intent = this.intents.get(k);
      if (intent !== undefined) intents.push([k, intent]);
      this.versions.delete(k);
      this.intents.delete(k);
      this.keys.delete(k);
    }
    return { versions, intents, reads: this.tsCache.copy(at).exportState() };
  }

  /** Keys lo ≤ k < hi (hi null: to the end) with a live value, in key order. */
  scan(lo: string, hi: string | null, opts: ReadOptions): ScanAnswer {
    const rows: ScanRow[] = [];
    let stop: ScanAnswer | null = null;
    this.keys.forEachIn({ lo, hi, single: false }, (key) => {
      if (stop !== null) return;
      const a = this.readKey(key, opts);
      if (a.kind === 'intent') stop = { kind: 'intent', key, intent: a.intent };
      else if (a.kind === 'uncertain') stop = { kind: 'uncertain', key, valueTs: a.valueTs };
      else if (a.value !== null && a.ts !== null) rows.push({ key, value: a.value, ts: a.ts });
    });
    if (stop !== null) return stop;
    this.tsCache.recordScan(lo, hi, opts.ts, opts.txn?.id ?? null);
    return { kind: 'rows', rows };
  }

  /**
   * Lays an intent for `txn` (value null deletes). A write is never placed at or below a
   * committed version (write-too-old) or a read by another transaction (the timestamp cache):
   * it moves above them, and the transaction must then refresh its reads or restart.
   */
  put(key: string, value: Json | null, txn: TxnMeta): WriteAnswer {
    const held = this.intents.get(key);
    if (held !== undefined && !ownIntent(held, txn)) return { kind: 'intent', intent: held };
    let writeTs = txn.writeTs;
    const latest = this.latestVersion(key);
    if (latest !== undefined && compareHlc(latest.ts, writeTs) >= 0) writeTs = nextHlc(latest.ts);
    if (this.mutant !== 'no-timestamp-cache')
      writeTs = this.tsCache.minWriteTs(key, writeTs, txn.id);
    // A transaction's own earlier intent at a later timestamp keeps that timestamp: the
    // transaction already wrote there, and lowering it would reorder its own writes.
    if (
      held !== undefined &&
      held.txn.epoch === txn.epoch &&
      compareHlc(held.txn.writeTs, writeTs) > 0
    ) {
      writeTs = held.txn.writeTs;
    }
    this.intents.set(key, { txn: { ...txn, writeTs }, value });
    this.keys.add(key);
    return { kind: 'written', writeTs, pushed: compareHlc(writeTs, txn.writeTs) !== 0 };
  }

  /**
   * Commits (at `commitTs`, which is at or above the intent's timestamp) or removes the intent
   * of `txn` on `key`. Answers false when no intent of that transaction is there (already
   * resolved: resolution is idempotent, as replays after a crash need).
   */
  resolve(key: string, txn: TxnId, outcome: IntentOutcome): boolean {
    const intent = this.intents.get(key);
    if (intent === undefined || intent.txn.id !== txn) return false;
    this.intents.delete(key);
    if (outcome === 'abort') {
      if (!this.versions.has(key)) this.keys.delete(key);
      return true;
    }
    if (compareHlc(outcome.commitTs, intent.txn.writeTs) < 0) {
      throw new MvccInvariantError(
        `${key}: commit at ${formatHlc(outcome.commitTs)} below the intent's ${formatHlc(intent.txn.writeTs)}`,
      );
    }
    const list = this.versions.get(key) ?? [];
    const last = list[list.length - 1];
    if (last !== undefined && compareHlc(outcome.commitTs, last.ts) <= 0) {
      // The intent blocked every other writer since it was laid above the latest version, so a
      // newer version here means the write-too-old rule was broken.
      throw new MvccInvariantError(
        `${key}: commit at ${formatHlc(outcome.commitTs)} not above the latest version ${formatHlc(last.ts)}`,
      );
    }
    list.push({ ts: outcome.commitTs, value: intent.value });
    this.versions.set(key, list);
    return true;
  }

  /**
   * Whether a transaction that read [lo, hi) at `from` would read the same at `to` (CockroachDB's
   * read refresh): no version committed in (from, to] and no other transaction's intent at or
   * below `to`.
   */
  refreshable(lo: string, hi: string | null, from: Timestamp, to: Timestamp, txn: TxnId): boolean {
    let ok = true;
    const visit = (key: string): void => {
      if (!ok) return;
      const intent = this.intents.get(key);
      if (intent !== undefined && intent.txn.id !== txn && compareHlc(intent.txn.writeTs, to) <= 0)
        ok = false;
      for (const v of this.versions.get(key) ?? []) {
        if (compareHlc(v.ts, from) > 0 && compareHlc(v.ts, to) <= 0) ok = false;
      }
    };
    this.keys.forEachIn({ lo, hi, single: false }, visit);
    return ok;
  }

  /**
   * Marks `key` read at `ts` by `txn`: a refresh that moved a transaction's reads to a later
   * timestamp must keep later writers above that timestamp too, or the refreshed read could
   * still be overwritten below it.
   */
  markRead(key: string, ts: Timestamp, txn: TxnId): void {
    this.tsCache.recordRead(key, ts, txn);
  }

  /** As `refreshable` for the one key. */
  refreshableKey(key: string, from: Timestamp, to: Timestamp, txn: TxnId): boolean {
    return this.refreshable(key, `${key}\0`, from, to, txn);
  }

  intentOf(key: string): Intent | undefined {
    return this.intents.get(key);
  }

  /** Every key holding an intent of `txn` (for resolving after a crash of its coordinator). */
  intentKeysOf(txn: TxnId): string[] {
    const out: string[] = [];
    for (const [k, i] of this.intents) if (i.txn.id === txn) out.push(k);
    return out.sort();
  }

  latestVersion(key: string): Version | undefined {
    const list = this.versions.get(key);
    return list?.[list.length - 1];
  }

  versionsOf(key: string): readonly Version[] {
    return this.versions.get(key) ?? [];
  }

  private readKey(key: string, opts: ReadOptions): ReadAnswer {
    // A restarted transaction keeps its first uncertainty limit (CockroachDB's global limit) while
    // its read timestamp climbs, and may pass it: the window is then empty, never below the read.
    const limit =
      this.mutant === 'ignore-uncertainty' || opts.uncertaintyLimit === undefined
        ? opts.ts
        : maxHlc(opts.ts, opts.uncertaintyLimit);
    const intent = this.intents.get(key);
    if (intent !== undefined) {
      if (ownIntent(intent, opts.txn)) {
        if (intent.txn.epoch === opts.txn?.epoch)
          return { kind: 'value', value: intent.value, ts: intent.txn.writeTs };
      } else if (compareHlc(intent.txn.writeTs, limit) <= 0) {
        return { kind: 'intent', intent };
      }
    }
    const list = this.versions.get(key) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const v = list[i]!;
      if (compareHlc(v.ts, opts.ts) <= 0) return { kind: 'value', value: v.value, ts: v.ts };
      if (compareHlc(v.ts, limit) <= 0) return { kind: 'uncertain', valueTs: v.ts };
    }
    return { kind: 'value', value: null, ts: null };
  }
}
