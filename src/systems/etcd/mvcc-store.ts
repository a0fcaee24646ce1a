/**
 * etcd's MVCC key-value store (server/storage/mvcc), in memory and deterministic.
 *
 * One global revision counts every change. An empty store is at revision 1 and the first
 * write makes revision 2, as in etcd. Each write transaction (a Put, a DeleteRange, a whole
 * Txn) that changes anything makes exactly one new revision; one that changes nothing makes
 * none. Every key keeps its history since the last compaction — one KeyValue per revision that
 * touched it, a deletion being a tombstone (version 0) — so a Range can read any retained
 * revision and a Watch can replay from one. A key's version counts its puts since it was
 * (re)created and is reset by a delete; create_revision is where its current life began.
 *
 * Layout: a map key → history (sorted by revision, so reads at an older revision binary-search
 * it and reads at the current one look at its last entry), plus a B+ tree of every key with a
 * retained history (src/core/key-index.ts), so a range is a search and a walk and a new key costs
 * O(log n); nothing per write is proportional to the number of keys.
 * Compaction visits only the keys written since the previous compaction (the events of those
 * revisions name them): every other key was already trimmed then and has not changed since.
 */
import { Digest } from '../../core/digest.js';
import {
  ETCD_ERRORS,
  type DeleteRangeRes,
  type EtcdErrorRes,
  type KeyValue,
  type PutRes,
  type RangeReq,
  type RangeRes,
  type WatchEvent,
} from './etcd-ops.js';
import { KeyIndex } from '../../core/key-index.js';
import { inInterval, keyInterval, type KeyInterval } from './key-range.js';

/** Where the store tells lease bookkeeping that a key joined or left a lease. */
export interface LeaseAttachments {
  attach(lease: number, key: string): void;
  detach(lease: number, key: string): void;
}

export interface StoreSnapshot {
  readonly revision: number;
  readonly compactRevision: number;
  readonly hash: string;
  /** The live keys at the compacted revision (what compaction kept below it), by key. */
  readonly base: readonly KeyValue[];
  /**
   * Events of revisions `eventsFrom`… in order (the compacted revision's own included). Those
   * after the compacted revision leave out `prev_kv`: it is the key's version before, which the
   * restore has at hand as it replays them (so a snapshot holds each version about once, not
   * twice). Those at or below it keep theirs: the versions they name are compacted away.
   */
  readonly eventsFrom: number;
  readonly events: readonly (readonly WatchEvent[])[];
}

export type StoreListener = (events: readonly WatchEvent[], reset: boolean) => void;

const isTombstone = (kv: KeyValue): boolean => kv.version === 0;

function tombstone(key: string, revision: number): KeyValue {
  return Object.freeze({
    key,
    create_revision: 0,
    mod_revision: revision,
    version: 0,
    value: '',
    lease: 0,
  });
}

/**
 * What one retained version costs toward the space quota: its key and value (UTF-16 units) and
 * a fixed share for its revisions and fields, as etcd's quota counts a put (key, value and a
 * fixed overhead).
 */
export const VERSION_OVERHEAD = 64;
export function versionCost(key: string, value: string): number {
  return key.length + value.length + VERSION_OVERHEAD;
}

export function errorOf(e: { readonly text: string }): EtcdErrorRes {
  return { error: e.text };
}

export class MvccStore {
  private histories = new Map<string, KeyValue[]>();
  private keys = new KeyIndex();
  private rev = 1;
  /** Watch events this store has handed its watchers since it was built (the lab's watch view). */
  private emitted = 0;
  private compacted = 0;
  private live = 0;
  /** versionCost summed over every retained version (tombstones included): see `bytes`. */
  private held = 0;
  /** Events of revisions eventBase…rev (revision 1 has none, so the log starts at 2). */
  private eventLog: (readonly WatchEvent[])[] = [];
  private eventBase = 2;
  /** hash(r) = H(hash(r-1), events of r): equal on every replica that applied revision r. */
  private hashHex = '';
  /** The events of the write transaction in progress, or null outside one. */
  private pending: WatchEvent[] | null = null;
  private readonly listeners = new Set<StoreListener>();

  /**
   * `hashRevisions`: keep the per-revision hash chain (what the simulator's invariant compares
   * across replicas). A real process has no one to compare with, and hashing every revision's
   * events costs a JSON encoding per write, so it turns it off; its hash stays ''.
   */
  constructor(
    private readonly leases: LeaseAttachments,
    private readonly hashRevisions = true,
  ) {}

  /** Watch events emitted since this store was built (not since revision 1: a restore resets it). */
  get watchEventsEmitted(): number {
    return this.emitted;
  }

  get revision(): number {
    return this.rev;
  }
  get compactRevision(): number {
    return this.compacted;
  }
  /**
   * About how large the retained versions are: what the space quota counts. A snapshot holds
   * each of them about once (prev_kv is rebuilt on restore, see StoreSnapshot), so this bounds
   * the snapshot's size for ordinary data.
   */
  get bytes(): number {
    return this.held;
  }
  /** Keys alive at the current revision. */
  get liveKeys(): number {
    return this.live;
  }
  get hash(): string {
    return this.hashHex;
  }

  /** Called after each new revision with its events, and with reset = true after a restore. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- write transactions ---------------------------------------------------------------------

  /** Starts a write transaction: every change until `end` belongs to one new revision. */
  begin(): void {
    if (this.pending !== null) throw new Error('mvcc: write transaction already open');
    this.pending = [];
  }

  /** Ends the write transaction; returns the store's revision after it. */
  end(): number {
    const events = this.pending;
    if (events === null) throw new Error('mvcc: no write transaction open');
    this.pending = null;
    if (events.length === 0) return this.rev;
    this.rev++;
    // Copied to its exact length: the open transaction's array grew by push (to room for 17),
    // and the event log keeps ~10,000 revisions, each promoted through the young generation.
    const frozen = Object.freeze(events.slice());
    this.eventLog.push(frozen);
    if (this.hashRevisions) {
      const d = new Digest();
      d.addString(this.hashHex);
      d.addString(JSON.stringify(frozen));
      this.hashHex = d.hex();
    }
    this.emitted += frozen.length;
    for (const l of [...this.listeners]) l(frozen, false);
    return this.rev;
  }

  /** The revision a read inside the open transaction sees (its own writes included). */
  private readRevision(): number {
    return this.pending !== null && this.pending.length > 0 ? this.rev + 1 : this.rev;
  }

  private get writeRevision(): number {
    if (this.pending === null) throw new Error('mvcc: write outside a transaction');
    return this.rev + 1;
  }

  /** The key as it is now (the open transaction's writes included), if alive. */
  current(key: string): KeyValue | undefined {
    const h = this.histories.get(key);
    if (h === undefined) return undefined;
    const last = h[h.length - 1] as KeyValue;
    return isTombstone(last) ? undefined : last;
  }

  private record(kv: KeyValue): void {
    this.held += versionCost(kv.key, kv.value);
    const h = this.histories.get(kv.key);
    if (h !== undefined) {
      h.push(kv);
      return;
    }
    // A literal, not [] and a push (which makes room for 17): most keys keep one version.
    this.histories.set(kv.key, [kv]);
    this.keys.add(kv.key);
  }

  /** Put, already validated (its lease exists; with ignore_*, the key exists). */
  put(
    key: string,
    value: string,
    lease: number,
    opts: { prevKv?: boolean; ignoreValue?: boolean; ignoreLease?: boolean } = {},
  ): PutRes {
    const rev = this.writeRevision;
    const prev = this.current(key);
    // Versions and events never change once made; frozen now, a snapshot (which storage
    // freezes) need not walk them again.
    const kv: KeyValue = Object.freeze({
      key,
      create_revision: prev?.create_revision ?? rev,
      mod_revision: rev,
      version: (prev?.version ?? 0) + 1,
      value: opts.ignoreValue === true && prev !== undefined ? prev.value : value,
      lease: opts.ignoreLease === true && prev !== undefined ? prev.lease : lease,
    });
    this.record(kv);
    if (prev === undefined) this.live++;
    if (prev !== undefined && prev.lease !== 0 && prev.lease !== kv.lease) {
      this.leases.detach(prev.lease, key);
    }
    if (kv.lease !== 0) this.leases.attach(kv.lease, key);
    (this.pending as WatchEvent[]).push(
      Object.freeze(prev === undefined ? { type: 'PUT', kv } : { type: 'PUT', kv, prev_kv: prev }),
    );
    const header = { revision: rev };
    return opts.prevKv === true && prev !== undefined ? { header, prev_kv: prev } : { header };
  }

  /** Deletes every live key in the range, in key order; the header is filled in by the caller. */
  deleteRange(key: string, rangeEnd: string | undefined, prevKv: boolean): DeleteRangeRes {
    const rev = this.writeRevision;
    const doomed: KeyValue[] = [];
    this.keys.forEachIn(keyInterval(key, rangeEnd), (k) => {
      const kv = this.current(k);
      if (kv !== undefined) doomed.push(kv);
    });
    for (const prev of doomed) {
      const dead = tombstone(prev.key, rev);
      this.record(dead);
      this.live--;
      if (prev.lease !== 0) this.leases.detach(prev.lease, prev.key);
      (this.pending as WatchEvent[]).push(
        Object.freeze({ type: 'DELETE', kv: dead, prev_kv: prev }),
      );
    }
    return {
      // etcd: a delete of nothing after the txn's first write still reports the txn's revision.
      header: { revision: doomed.length > 0 ? rev : this.readRevision() },
      deleted: doomed.length,
      prev_kvs: prevKv ? doomed : [],
    };
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** The key as of revision `rev`, if alive then (`h` sorted by mod_revision). */
  private static at(h: readonly KeyValue[], rev: number): KeyValue | undefined {
    const last = h[h.length - 1] as KeyValue;
    if (last.mod_revision <= rev) return isTombstone(last) ? undefined : last;
    // The last entry with mod_revision ≤ rev.
    let lo = 0;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((h[mid] as KeyValue).mod_revision <= rev) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return undefined;
    const kv = h[lo - 1] as KeyValue;
    return isTombstone(kv) ? undefined : kv;
  }

  /** Live keys of the interval at `rev`, in key order. */
  private liveIn(iv: KeyInterval, rev: number): KeyValue[] {
    const out: KeyValue[] = [];
    this.keys.forEachIn(iv, (k) => {
      const kv = MvccStore.at(this.histories.get(k) as KeyValue[], rev);
      if (kv !== undefined) out.push(kv);
    });
    return out;
  }

  /**
   * The revision a read at `requested` (0 = now) would see, or etcd's error: a future revision,
   * or one below the compacted revision (the compacted revision itself stays readable).
   */
  resolveRevision(requested: number | undefined): number | EtcdErrorRes {
    const now = this.readRevision();
    const rev = requested === undefined || requested <= 0 ? now : requested;
    if (rev > now) return errorOf(ETCD_ERRORS.futureRev);
    if (rev < this.compacted) return errorOf(ETCD_ERRORS.compacted);
    return rev;
  }

  /** The live KeyValues of [key, range_end) at `rev` (0 = now), for Txn compares. */
  liveRange(key: string, rangeEnd: string | undefined): KeyValue[] {
    return this.liveIn(keyInterval(key, rangeEnd), this.readRevision());
  }

  /**
   * etcd's Range: count is every live key of the range at that revision (before the
   * revision filters and the limit, as in etcd); `more` says the limit cut some off.
   */
  range(req: RangeReq): RangeRes | EtcdErrorRes {
    const rev = this.resolveRevision(req.revision);
    if (typeof rev !== 'number') return rev;
    const header = { revision: this.readRevision() };
    let kvs = this.liveIn(keyInterval(req.key, req.range_end), rev);
    const count = kvs.length;
    if (req.count_only === true) return { header, kvs: [], more: false, count };
    const minMod = req.min_mod_revision ?? 0;
    const maxMod = req.max_mod_revision ?? 0;
    const minCreate = req.min_create_revision ?? 0;
    const maxCreate = req.max_create_revision ?? 0;
    if (minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0) {
      kvs = kvs.filter(
        (kv) =>
          (minMod === 0 || kv.mod_revision >= minMod) &&
          (maxMod === 0 || kv.mod_revision <= maxMod) &&
          (minCreate === 0 || kv.create_revision >= minCreate) &&
          (maxCreate === 0 || kv.create_revision <= maxCreate),
      );
    }
    const target = req.sort_target ?? 'KEY';
    let order = req.sort_order ?? 'NONE';
    // etcd: a non-key target with no order sorts ascending; keys come ascending already.
    if (target !== 'KEY' && order === 'NONE') order = 'ASCEND';
    if (target === 'KEY' && order === 'ASCEND') order = 'NONE';
    if (order !== 'NONE') kvs = sortKvs(kvs, target, order === 'DESCEND');
    const limit = req.limit ?? 0;
    let more = false;
    if (limit > 0 && kvs.length > limit) {
      kvs = kvs.slice(0, limit);
      more = true;
    }
    if (req.keys_only === true) kvs = kvs.map((kv) => ({ ...kv, value: '' }));
    return { header, kvs, more, count };
  }

  // ---- compaction -----------------------------------------------------------------------------

  /**
   * Forgets history below `rev`: each key keeps the last version at or below it (unless that
   * is a tombstone) and everything after; the events of revisions below it are dropped.
   */
  compact(rev: number): { header: { revision: number } } | EtcdErrorRes {
    if (rev <= this.compacted) return errorOf(ETCD_ERRORS.compacted);
    if (rev > this.rev) return errorOf(ETCD_ERRORS.futureRev);
    // After a compaction at c every history holds at most one entry at or below c, and not a
    // tombstone. A key no revision in (c, rev] wrote still has only that entry below rev, so
    // trimming it would change nothing: only the keys those revisions' events name are visited.
    // (The event log reaches back to c: compaction keeps revision c's events, and a restore
    // keeps the snapshot's, which start at or below its compacted revision.)
    const touched = new Set<string>();
    for (let r = Math.max(this.compacted + 1, this.eventBase); r <= rev; r++) {
      for (const e of this.eventLog[r - this.eventBase] as WatchEvent[]) touched.add(e.kv.key);
    }
    let emptied: Set<string> | undefined;
    for (const k of touched) {
      const h = this.histories.get(k);
      if (h === undefined) continue;
      // The last entry at or below rev.
      let i = -1;
      while (i + 1 < h.length && (h[i + 1] as KeyValue).mod_revision <= rev) i++;
      let from = i < 0 ? 0 : i;
      if (i >= 0 && isTombstone(h[i] as KeyValue)) from = i + 1;
      if (from === 0) continue;
      for (let j = 0; j < from; j++) {
        const gone = h[j] as KeyValue;
        this.held -= versionCost(gone.key, gone.value);
      }
      if (from < h.length) this.histories.set(k, h.slice(from));
      else {
        this.histories.delete(k);
        (emptied ??= new Set()).add(k);
      }
    }
    if (emptied !== undefined) for (const k of emptied) this.keys.delete(k);
    if (rev > this.eventBase) {
      this.eventLog.splice(0, rev - this.eventBase);
      this.eventBase = rev;
    }
    this.compacted = rev;
    return { header: { revision: this.rev } };
  }

  // ---- watch ----------------------------------------------------------------------------------

  /**
   * The events of revisions ≥ `from` on keys of the range, in order; 'compacted' below it. With
   * a `limit`, it stops at the end of the revision in which it reached that many.
   */
  eventsSince(
    from: number,
    key: string,
    rangeEnd?: string,
    limit = Infinity,
  ): WatchEvent[] | 'compacted' {
    if (from < this.compacted) return 'compacted';
    const iv = keyInterval(key, rangeEnd);
    const out: WatchEvent[] = [];
    for (let r = Math.max(from, this.eventBase); r <= this.rev && out.length < limit; r++) {
      for (const e of this.eventLog[r - this.eventBase] as WatchEvent[]) {
        if (inInterval(e.kv.key, iv)) out.push(e);
      }
    }
    return out;
  }

  // ---- snapshots ------------------------------------------------------------------------------

  snapshot(): StoreSnapshot {
    const base: KeyValue[] = [];
    if (this.compacted > 0) {
      for (const k of this.keys) {
        const kv = MvccStore.at(this.histories.get(k) as KeyValue[], this.compacted);
        if (kv !== undefined) base.push(kv);
      }
    }
    return {
      revision: this.rev,
      compactRevision: this.compacted,
      hash: this.hashHex,
      base,
      eventsFrom: this.eventBase,
      // A copy: the log grows after the snapshot is taken, and the snapshot must not.
      events: this.eventLog.map((evs, i) =>
        this.eventBase + i <= this.compacted
          ? evs
          : evs.map((e) => (e.prev_kv === undefined ? e : { type: e.type, kv: e.kv })),
      ),
    };
  }

  /**
   * Rebuilds the store: the base is the state at the compacted revision, and replaying the
   * events after it restores every later version — the same histories compaction left.
   * Lease attachments are the caller's (LeaseTable.restore reads them from the live keys).
   */
  restore(snap: StoreSnapshot): void {
    this.histories = new Map();
    this.keys = new KeyIndex();
    this.live = 0;
    this.held = 0;
    for (const kv of snap.base) {
      this.held += versionCost(kv.key, kv.value);
      this.histories.set(kv.key, [kv]);
      this.keys.add(kv.key);
      this.live++;
    }
    this.eventLog = snap.events.map((evs) => [...evs]);
    this.eventBase = snap.eventsFrom;
    for (let i = 0; i < snap.events.length; i++) {
      if (snap.eventsFrom + i <= snap.compactRevision) continue;
      const evs = this.eventLog[i] as WatchEvent[];
      for (let j = 0; j < evs.length; j++) {
        const e = evs[j] as WatchEvent;
        // Replayed in order, the key's live version before the event is its prev_kv, as when
        // the event was made (see StoreSnapshot).
        const prev = this.current(e.kv.key);
        evs[j] = Object.freeze(
          prev === undefined
            ? { type: e.type, kv: e.kv }
            : { type: e.type, kv: e.kv, prev_kv: prev },
        );
        this.record(e.kv);
        if (e.type === 'PUT' && prev === undefined) this.live++;
        if (e.type === 'DELETE' && prev !== undefined) this.live--;
      }
    }
    this.rev = snap.revision;
    this.compacted = snap.compactRevision;
    this.hashHex = snap.hash;
    this.pending = null;
    for (const l of [...this.listeners]) l([], true);
  }

  /**
   * Keys with a retained history, the versions they hold, and their cost toward the quota
   * counted afresh (walks every version; `bytes` keeps the same sum as versions come and go).
   */
  retained(): { keys: number; versions: number; bytes: number } {
    let versions = 0;
    let bytes = 0;
    for (const h of this.histories.values()) {
      versions += h.length;
      for (const kv of h) bytes += versionCost(kv.key, kv.value);
    }
    return { keys: this.keys.size, versions, bytes };
  }

  /** [key, lease] of every live key holding a lease (to rebuild lease attachments). */
  *leasedKeys(): Generator<readonly [string, number]> {
    for (const k of this.keys) {
      const kv = this.current(k);
      if (kv !== undefined && kv.lease !== 0) yield [k, kv.lease];
    }
  }
}

function sortKvs(
  kvs: readonly KeyValue[],
  target: NonNullable<RangeReq['sort_target']>,
  descend: boolean,
): KeyValue[] {
  const field = (kv: KeyValue): number | string => {
    switch (target) {
      case 'KEY':
        return kv.key;
      case 'VERSION':
        return kv.version;
      case 'CREATE':
        return kv.create_revision;
      case 'MOD':
        return kv.mod_revision;
      case 'VALUE':
        return kv.value;
    }
  };
  // Stable sort with ties in key order (the input order), so every replica answers alike.
  return [...kvs].sort((a, b) => {
    const x = field(a);
    const y = field(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return descend ? -c : c;
  });
}
