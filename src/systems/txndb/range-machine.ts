/**
 * One range's replicated state: its descriptor, its lease, its MVCC store and the transaction
 * records anchored in it, as the Raft StateMachine of the range's group. Every command is applied
 * in log order on every replica, deduplicated by the sender's session (§6.3), so a command
 * retried after a leader change takes effect once.
 *
 * A command whose keys are no longer the range's (a split moved them) is answered
 * `range-key-mismatch` with the descriptors the range knows, on every replica alike. A split
 * cuts the range at a key when applied: the keys above it, with their versions, intents, records
 * (by anchor), the sessions and the timestamp cache's marks, become the first state of a new
 * range on the same replicas, handed to the node to open as a Raft group of its own.
 */
import type { Json } from '../../core/json.js';
import type { Command } from '../../protocols/raft/messages.js';
import type { StateMachine } from '../../protocols/raft/raft-node.js';
import {
  MvccInvariantError,
  MvccStore,
  type MvccMutant,
  type MvccState,
} from '../../protocols/mvcc/mvcc-store.js';
import type { ReadAnswer, ReadOptions } from '../../protocols/mvcc/mvcc-types.js';
import { TimestampCache } from '../../protocols/mvcc/timestamp-cache.js';
import { TxnRecordError, TxnRecords, type TxnRecord } from '../../protocols/mvcc/txn-records.js';
import type { NodeId } from '../../core/node.js';
import { spanContains, type RangeDescriptor } from './range-directory.js';
import { holdsValid, mayServe, nextLease, type Lease, type LeaseMutant } from './range-lease.js';
import {
  keysOf,
  rangeOpProblem,
  rangeSnapshotProblem,
  type AnyRangeOp,
  type RangeOp,
} from './range-ops.js';

interface Session {
  readonly seq: number;
  readonly result: Json;
}

/** A range's whole replicated state but its splits: a split's right-hand side starts from it. */
export interface RangeState {
  readonly desc: RangeDescriptor;
  readonly lease: Lease | null;
  readonly mvcc: MvccState;
  readonly records: readonly TxnRecord[];
  readonly sessions: readonly (readonly [string, number, Json])[];
}

interface RangeSnapshot extends RangeState {
  /** The first states of the ranges split off this one, for a replica that missed the split. */
  readonly spawned: readonly RangeState[];
}

export function emptyRangeState(desc: RangeDescriptor): RangeState {
  return {
    desc,
    lease: null,
    mvcc: { versions: [], intents: [], reads: { keys: [], spans: [] } },
    records: [],
    sessions: [],
  };
}

export interface RangeMachineHooks {
  /**
   * A split (or a snapshot naming one) made a right-hand range: open it on this node unless it
   * is open already. `cache` is the leaseholder's timestamp cache for it, when this node holds
   * the lease it carries.
   */
  spawned(state: RangeState, cache: TimestampCache | null): void;
}

export interface RangeMachineOptions {
  readonly mutant?: MvccMutant | null;
  readonly leaseMutant?: LeaseMutant | null;
  /** A split hands the right-hand range no read marks: a later write there may go below a read. */
  readonly splitMutant?: 'split-without-reads' | null;
  /** How long a coordinator may stay silent before its transaction may be aborted by a push. */
  readonly txnExpiryMs: number;
  /** This replica's node. */
  readonly self: NodeId;
  /** The most two clocks may differ by (ms): a lease's stasis period. */
  readonly leaseOffsetMs: number;
  /**
   * A lease begun before this (by this node's clock) is not acted on: after a crash, the node
   * has forgotten the reads it served under it. Minus infinity on a first start.
   */
  readonly leaseNotBefore: number;
  readonly hooks: RangeMachineHooks;
}

function readJson(a: ReadAnswer): Json {
  switch (a.kind) {
    case 'value':
      return { kind: 'value', value: a.value, ts: a.ts as Json };
    case 'intent':
      return { kind: 'intent', txn: a.intent.txn as unknown as Json };
    case 'uncertain':
      return { kind: 'uncertain', valueTs: a.valueTs as unknown as Json };
  }
}

/** A logged read's options as the store takes them (absent, not null, where not given). */
function readOptions(op: Extract<RangeOp, { k: 'get' | 'scan' }>): ReadOptions {
  return {
    ts: op.ts,
    ...(op.txn !== null ? { txn: op.txn } : {}),
    ...(op.limit !== null ? { uncertaintyLimit: op.limit } : {}),
  };
}

export class RangeMachine implements StateMachine {
  private readonly mvcc: MvccStore;
  private readonly records: TxnRecords;
  private sessions = new Map<string, Session>();
  private applied = 0;
  private desc: RangeDescriptor;
  private leaseNow: Lease | null = null;
  private spawnedStates: RangeState[] = [];
  private splits = 0;
  /** The leaseholder's timestamp cache, for the lease of `cacheSeq`; null: not built. */
  private cache: TimestampCache | null = null;
  private cacheSeq = 0;

  constructor(
    private readonly options: RangeMachineOptions,
    boot: RangeState,
  ) {
    this.mvcc = new MvccStore(options.mutant ?? null);
    this.records = new TxnRecords(options.txnExpiryMs);
    this.desc = boot.desc;
    this.loadState(boot);
  }

  private loadState(state: RangeState): void {
    this.desc = state.desc;
    this.leaseNow = state.lease;
    this.mvcc.restoreState(state.mvcc);
    this.records.load(state.records);
    this.sessions = new Map(state.sessions.map(([c, seq, result]) => [c, { seq, result }]));
    this.cache = null;
    this.cacheSeq = 0;
  }

  get descriptor(): RangeDescriptor {
    return this.desc;
  }

  get lease(): Lease | null {
    return this.leaseNow;
  }

  /** This range's descriptor and those of the ranges split off it: a mismatch's answer. */
  descriptors(): RangeDescriptor[] {
    return [this.desc, ...this.spawnedStates.map((s) => s.desc)];
  }

  owns(key: string): boolean {
    return spanContains(this.desc, key);
  }

  /** Keys holding a version or an intent: what a split's size counts. */
  get size(): number {
    return this.mvcc.size;
  }

  /** Where a split would cut this range (null: it cannot be cut). */
  splitKey(): string | null {
    const k = this.mvcc.middleKey();
    return k !== null && k > this.desc.start ? k : null;
  }

  /**
   * The holder's cache for its current lease, built on first use: empty, with its low water at
   * the lease's start.
   */
  private leaseCache(lease: Lease): TimestampCache {
    if (this.cache !== null && this.cacheSeq === lease.seq) return this.cache;
    const c = new TimestampCache();
    if (this.options.leaseMutant !== 'lease-no-low-water')
      c.raiseLowWater({ wall: lease.start, logical: 0 });
    this.cache = c;
    this.cacheSeq = lease.seq;
    return c;
  }

  /** Whether this replica holds a lease it may act on at its clock `now`. */
  holdsLease(now: number): boolean {
    return holdsValid(
      this.leaseNow,
      this.options.self,
      now,
      this.options.leaseOffsetMs,
      this.options.leaseNotBefore,
      this.options.leaseMutant ?? null,
    );
  }

  /** Whether this node's lease here was begun before its restart, and must be waited out. */
  leaseFromBeforeRestart(): boolean {
    const l = this.leaseNow;
    return l !== null && l.holder === this.options.self && l.start < this.options.leaseNotBefore;
  }

  /**
   * A read answered from this leaseholder's applied state without the log, or null when it may
   * not be (no valid lease here, the read at or past the expiration, or not this range's key).
   * The caller makes sure no write of the key is between evaluation and application.
   */
  serveRead(op: Extract<RangeOp, { k: 'get' }>, now: number): Json | null {
    const lease = this.leaseNow;
    if (
      lease === null ||
      !this.owns(op.key) ||
      (op.at !== undefined && !this.owns(op.at)) ||
      !mayServe(
        lease,
        this.options.self,
        now,
        op.ts.wall,
        this.options.leaseOffsetMs,
        this.options.leaseNotBefore,
        this.options.leaseMutant ?? null,
      )
    )
      return null;
    return readJson(this.mvcc.getUnlogged(op.key, readOptions(op), this.leaseCache(lease)));
  }

  /**
   * A write as the leaseholder proposes it: pushed above every read this lease served of its key
   * (and the lease's low water). Null when this replica may not evaluate writes now.
   */
  evaluatePut(op: Extract<RangeOp, { k: 'put' }>, now: number): RangeOp | null {
    const lease = this.leaseNow;
    if (lease === null || !this.holdsLease(now)) return null;
    const writeTs = this.leaseCache(lease).minWriteTs(op.key, op.txn.writeTs, op.txn.id);
    return { ...op, txn: { ...op.txn, writeTs }, lease: lease.seq };
  }

  valid(op: Json): boolean {
    return rangeOpProblem(op) === undefined;
  }

  isRead(): boolean {
    return false;
  }

  read(): Json {
    throw new Error('a range answers every command through its log');
  }

  apply(command: Command): Json {
    const s = this.sessions.get(command.client);
    if (s !== undefined && command.seq <= s.seq) return command.seq === s.seq ? s.result : null;
    const op = command.op as unknown as AnyRangeOp;
    if (op.k === 'put' && op.lease !== undefined && op.lease !== this.leaseNow?.seq) {
      // Evaluated under a lease that is no longer the range's: the reads of the lease now in
      // force were not consulted. Not recorded in the session, so a retry is evaluated anew.
      return { kind: 'lease-changed' };
    }
    this.applied++;
    const result = this.executeOrRefuse(op);
    this.sessions.set(command.client, { seq: command.seq, result });
    return result;
  }

  /**
   * A command that breaks a record's or the store's rules (a commit without a record, at a
   * second timestamp, below its intents) is refused on every replica alike rather than thrown:
   * it comes from another node, and must not stop the range.
   */
  private executeOrRefuse(op: AnyRangeOp): Json {
    if (op.k === 'split') return this.split(op.key, op.gen, op.right);
    if (op.k === 'lease') return this.applyLease(op);
    if (!keysOf(op).every((k) => this.owns(k))) {
      return { kind: 'range-key-mismatch', descs: this.descriptors() as unknown as Json };
    }
    try {
      return this.execute(op);
    } catch (e) {
      if (e instanceof TxnRecordError || e instanceof MvccInvariantError) {
        return { kind: 'refused', code: e.code, reason: e.message };
      }
      throw e;
    }
  }

  private execute(op: RangeOp): Json {
    switch (op.k) {
      case 'get':
        return readJson(this.mvcc.get(op.key, readOptions(op)));
      case 'scan': {
        const a = this.mvcc.scan(op.lo, op.hi, readOptions(op));
        if (a.kind === 'rows') return { kind: 'rows', rows: a.rows as unknown as Json };
        if (a.kind === 'intent') return { kind: 'intent', txn: a.intent.txn as unknown as Json };
        return { kind: 'uncertain', valueTs: a.valueTs as unknown as Json };
      }
      case 'put': {
        const a = this.mvcc.put(op.key, op.value, op.txn);
        if (a.kind === 'intent') return { kind: 'intent', txn: a.intent.txn as unknown as Json };
        return { kind: 'written', writeTs: a.writeTs as unknown as Json, pushed: a.pushed };
      }
      case 'resolve':
        return {
          kind: 'resolved',
          done: this.mvcc.resolve(
            op.key,
            op.id,
            op.commitTs === null ? 'abort' : { commitTs: op.commitTs },
          ),
        };
      case 'refresh': {
        const ok =
          op.keys.every((k) => this.mvcc.refreshableKey(k, op.from, op.to, op.id)) &&
          op.spans.every(([lo, hi]) => this.mvcc.refreshable(lo, hi, op.from, op.to, op.id));
        if (ok && this.options.mutant !== 'no-timestamp-cache') {
          for (const k of op.keys) this.mvcc.markRead(k, op.to, op.id);
        }
        return { kind: 'refresh', ok };
      }
      case 'begin':
        return {
          kind: 'record',
          record: this.records.begin(op.id, op.at ?? '', op.priority, op.now) as unknown as Json,
        };
      case 'heartbeat':
        return {
          kind: 'record',
          record: (this.records.heartbeat(op.id, op.now) ?? null) as unknown as Json,
        };
      case 'commit':
        return {
          kind: 'record',
          record: this.records.commit(op.id, op.commitTs) as unknown as Json,
        };
      case 'rollback':
        return {
          kind: 'record',
          record: (this.records.rollback(op.id) ?? null) as unknown as Json,
        };
      case 'push': {
        const a = this.records.push(
          op.pushee,
          op.at ?? '',
          { id: op.pusher, priority: op.priority },
          op.now,
        );
        return { kind: 'record', record: a.record as unknown as Json, wait: a.kind === 'wait' };
      }
    }
  }

  private applyLease(op: Extract<AnyRangeOp, { k: 'lease' }>): Json {
    const next = nextLease(this.leaseNow, op);
    if (next === null) return { kind: 'lease', ok: false, lease: this.leaseNow as unknown as Json };
    this.leaseNow = next;
    return { kind: 'lease', ok: true, lease: next as unknown as Json };
  }

  private split(key: string, gen: number, right: string): Json {
    const d = this.desc;
    if (d.generation !== gen || !(key > d.start) || (d.end !== null && key >= d.end)) {
      return { kind: 'split', ok: false, descs: this.descriptors() as unknown as Json };
    }
    const rightDesc: RangeDescriptor = { ...d, id: right, start: key, generation: gen + 1 };
    this.desc = { ...d, end: key, generation: gen + 1 };
    const state: RangeState = {
      desc: rightDesc,
      lease: this.leaseNow,
      mvcc: this.rightStore(key),
      records: this.records.splitAt(key),
      sessions: [...this.sessions].map(([c, s]) => [c, s.seq, s.result] as const),
    };
    this.spawnedStates.push(state);
    this.splits++;
    // The holder keeps serving the right-hand side under the same lease, so it carries the
    // marks its reads left there (and the low water) into the new range's cache.
    const lease = this.leaseNow;
    const cache =
      lease !== null &&
      lease.holder === this.options.self &&
      this.cacheSeq === lease.seq &&
      this.options.splitMutant !== 'split-without-reads'
        ? (this.cache?.copy(key) ?? null)
        : null;
    this.options.hooks.spawned(state, cache);
    return { kind: 'split', ok: true, descs: [this.desc, rightDesc] as unknown as Json };
  }

  private rightStore(key: string): MvccState {
    const moved = this.mvcc.splitAt(key);
    if (this.options.splitMutant !== 'split-without-reads') return moved;
    return { ...moved, reads: { keys: [], spans: [] } };
  }

  /** Starts this machine's lease cache as a copy of its parent's (a split's right-hand side). */
  adoptCache(cache: TimestampCache): void {
    if (this.leaseNow === null) return;
    this.cache = cache;
    this.cacheSeq = this.leaseNow.seq;
  }

  recall(client: string, seq: number): { readonly result: Json } | undefined {
    const s = this.sessions.get(client);
    return s !== undefined && s.seq === seq ? { result: s.result } : undefined;
  }

  state(): RangeState {
    return {
      desc: this.desc,
      lease: this.leaseNow,
      mvcc: this.mvcc.exportState(),
      records: this.records.all(),
      sessions: [...this.sessions].map(([c, s]) => [c, s.seq, s.result] as const),
    };
  }

  snapshot(): Json {
    const snap: RangeSnapshot = { ...this.state(), spawned: this.spawnedStates.slice() };
    return snap as unknown as Json;
  }

  snapshotProblem(data: Json): string | undefined {
    return rangeSnapshotProblem(data);
  }

  restore(data: Json): void {
    const snap = data as unknown as RangeSnapshot;
    this.loadState(snap);
    this.spawnedStates = snap.spawned.slice();
    // A replica that missed a split (it was behind and got this snapshot instead of the split's
    // entry) opens the right-hand range from the state the split gave it.
    for (const s of this.spawnedStates) this.options.hooks.spawned(s, null);
  }

  /** The store, for invariant checks and the lab (read-only use). */
  get store(): MvccStore {
    return this.mvcc;
  }

  record(id: string): TxnRecord | undefined {
    return this.records.get(id);
  }

  summary(): Record<string, Json> {
    return {
      appliedOps: this.applied,
      records: this.records.all().length,
      sessions: this.sessions.size,
      span: [this.desc.start, this.desc.end],
      generation: this.desc.generation,
      splits: this.splits,
      lease: this.leaseNow as unknown as Json,
    };
  }
}
