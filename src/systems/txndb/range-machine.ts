/**
 * One range's replicated state: its MVCC store and the transaction records anchored in it, as
 * the Raft StateMachine of the range's group. Every command is applied in log order on every
 * replica, deduplicated by the sender's session (§6.3), so a command retried after a leader
 * change takes effect once.
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
import { TxnRecordError, TxnRecords, type TxnRecord } from '../../protocols/mvcc/txn-records.js';
import { rangeOpProblem, rangeSnapshotProblem, type RangeOp } from './range-ops.js';

interface Session {
  readonly seq: number;
  readonly result: Json;
}

interface RangeSnapshot {
  readonly mvcc: MvccState;
  readonly records: readonly TxnRecord[];
  readonly sessions: readonly (readonly [string, number, Json])[];
}

export interface RangeMachineOptions {
  readonly mutant?: MvccMutant | null;
  /** How long a coordinator may stay silent before its transaction may be aborted by a push. */
  readonly txnExpiryMs: number;
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

  constructor(private readonly options: RangeMachineOptions) {
    this.mvcc = new MvccStore(options.mutant ?? null);
    this.records = new TxnRecords(options.txnExpiryMs);
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
    this.applied++;
    const result = this.executeOrRefuse(command.op as unknown as RangeOp);
    this.sessions.set(command.client, { seq: command.seq, result });
    return result;
  }

  /**
   * A command that breaks a record's or the store's rules (a commit without a record, at a
   * second timestamp, below its intents) is refused on every replica alike rather than thrown:
   * it comes from another node, and must not stop the range.
   */
  private executeOrRefuse(op: RangeOp): Json {
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
          record: this.records.begin(op.id, op.priority, op.now) as unknown as Json,
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
        const a = this.records.push(op.pushee, { id: op.pusher, priority: op.priority }, op.now);
        return { kind: 'record', record: a.record as unknown as Json, wait: a.kind === 'wait' };
      }
    }
  }

  recall(client: string, seq: number): { readonly result: Json } | undefined {
    const s = this.sessions.get(client);
    return s !== undefined && s.seq === seq ? { result: s.result } : undefined;
  }

  snapshot(): Json {
    const snap: RangeSnapshot = {
      mvcc: this.mvcc.exportState(),
      records: this.records.all(),
      sessions: [...this.sessions].map(([c, s]) => [c, s.seq, s.result] as const),
    };
    return snap as unknown as Json;
  }

  snapshotProblem(data: Json): string | undefined {
    return rangeSnapshotProblem(data);
  }

  restore(data: Json): void {
    const snap = data as unknown as RangeSnapshot;
    this.mvcc.restoreState(snap.mvcc);
    this.records.load(snap.records);
    this.sessions = new Map(snap.sessions.map(([c, seq, result]) => [c, { seq, result }]));
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
    };
  }
}
