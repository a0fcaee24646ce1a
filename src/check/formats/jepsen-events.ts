/**
 * Jepsen records a history as events (an :invoke, then an :ok, :fail or :info from the same
 * process). Both Jepsen formats truthkit reads are turned into operations here, with Jepsen's
 * meaning of each completion:
 *
 * - `:ok` — happened; for a read/get the event's value is what was read.
 * - `:fail` with value `:timed-out` — the client gave up: unknown outcome.
 * - `:fail` of a cas — the cas ran and found a value other than `from`: ok, result false.
 * - any other `:fail` — certainly did not happen.
 * - `:info`, or no completion at all — unknown outcome.
 *
 * A transaction (`:f :txn`) keeps its micro-operations as invoked in `value` and, when ok, as
 * completed in `result` (txn-micro-ops.ts).
 *
 * Event times are positions in the file: the log's order is all the ordering it records.
 */
import type { HistoryOp, HistoryOpDraft } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import { HistoryError } from '../errors.js';
import { EdnSymbol, Keyword, printEdn, type EdnValue } from './edn-reader.js';
import { toMicroOps } from './txn-micro-ops.js';

export interface JepsenEvent {
  /** 1-based line number the event starts on, for errors. */
  readonly line: number;
  /** The event's place in the history's order (its line, or its ordinal). */
  readonly time: number;
  readonly process: number;
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: string;
  readonly key?: string;
  readonly value: EdnValue;
}

export const EVENT_TYPES = new Set(['invoke', 'ok', 'fail', 'info']);
const READS = new Set(['read', 'get']);

type Building = Omit<HistoryOpDraft, 'node'>;

/** Converts an EDN argument or result to plain data; keywords and maps are not values here. */
export function ednToJson(value: EdnValue, where: () => string): Json {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => ednToJson(v, where));
  if (value instanceof Keyword || value instanceof EdnSymbol || value instanceof Map)
    throw new HistoryError(`${where()}: unsupported value ${printEdn(value)}`);
  return value;
}

const isTimeout = (v: EdnValue): boolean => v instanceof Keyword && v.name === 'timed-out';

/**
 * Whose reading of completions: `jepsen` as above (Jepsen's etcd client), or `knossos` as
 * Knossos's models read its own data files — every `:fail` did not happen (a failed cas too),
 * and an ok read of nil read nothing (Knossos's registers accept a nil read in any state), so
 * its outcome is unknown.
 */
export type EventSemantics = 'jepsen' | 'knossos';

/** `events` may be a generator: each event is dropped once paired, so a long history's parsed
 * EDN never piles up. */
export function pairEvents(
  events: Iterable<JepsenEvent>,
  fileName: string,
  semantics: EventSemantics = 'jepsen',
): HistoryOp[] {
  const knossos = semantics === 'knossos';
  const ops: Building[] = [];
  const pending = new Map<number, { op: Building; line: number }>();
  const at = (e: JepsenEvent) => () => `${fileName}:${e.line}`;
  let lastTime = 0;
  let completionsOnly = false;

  for (const e of events) {
    lastTime = e.time;
    if (e.type === 'invoke') {
      const busy = pending.get(e.process);
      if (busy)
        throw HistoryError.at(
          fileName,
          e.line,
          `process ${e.process} invokes again while its call on line ${busy.line} is pending`,
        );
      const op: Building = {
        id: ops.length,
        process: e.process,
        f: e.f,
        invoke: e.time,
        complete: e.time,
        outcome: 'unknown',
      };
      if (e.key !== undefined) op.key = e.key;
      if (e.f === 'txn') op.value = toMicroOps(e.value, false, at(e));
      else if (!READS.has(e.f)) op.value = ednToJson(e.value, at(e));
      ops.push(op);
      pending.set(e.process, { op, line: e.line });
      continue;
    }
    let call = pending.get(e.process);
    if (!call && e.f === 'txn') {
      // Elle's own test histories often list completions alone: the transaction was invoked at
      // some unknown time before, so it is taken as invoked before everything (time 0), which
      // orders it after nothing.
      const op: Building = {
        id: ops.length,
        process: e.process,
        f: e.f,
        invoke: 0,
        complete: e.time,
        outcome: 'unknown',
        value: toMicroOps(e.value, false, at(e)),
      };
      ops.push(op);
      call = { op, line: e.line };
      completionsOnly = true;
    } else if (!call) {
      throw HistoryError.at(
        fileName,
        e.line,
        `:${e.type} from process ${e.process}, which has no pending call`,
      );
    } else if (call.op.f !== e.f) {
      throw HistoryError.at(
        fileName,
        e.line,
        `:${e.type} :${e.f} completes a :${call.op.f} call (line ${call.line})`,
      );
    }
    pending.delete(e.process);
    const op = call.op;
    op.complete = e.time;
    if (e.type === 'ok' && knossos && READS.has(e.f) && e.value === null) {
      op.outcome = 'unknown';
      op.error = 'read nil';
    } else if (e.type === 'ok') {
      op.outcome = 'ok';
      if (e.f === 'txn') {
        op.result = toMicroOps(e.value, true, at(e));
        if (knossos) dropNilReads(op);
      } else if (READS.has(e.f)) op.result = ednToJson(e.value, at(e));
      else if (e.f === 'cas') op.result = true;
    } else if (e.type === 'info' || (!knossos && isTimeout(e.value))) {
      op.outcome = 'unknown';
      op.error = e.type === 'info' ? 'info' : 'timed-out';
    } else if (e.f === 'cas' && !knossos) {
      op.outcome = 'ok';
      op.result = false;
    } else {
      op.outcome = 'fail';
      op.error = 'fail';
    }
  }
  // Calls never completed (the client crashed): they may have taken effect.
  for (const { op } of pending.values()) {
    op.complete = lastTime + 1;
    op.error = 'no completion';
  }
  if (!completionsOnly) return ops;
  // Ids follow invocation order; completion-only transactions were invoked at time 0.
  return ops
    .map((op, i) => ({ op, i }))
    .sort((a, b) => a.op.invoke - b.op.invoke || a.i - b.i)
    .map(({ op }, id) => ({ ...op, id }));
}

/**
 * Knossos's reading of a transaction's ok read of nil: it read nothing, so it constrains
 * nothing — taken out of the transaction, invocation and completion alike. A transaction of
 * nothing else did nothing observable: it is taken as failed (not searched).
 */
function dropNilReads(op: Building): void {
  const done = op.result as readonly (readonly [string, string, Json])[];
  const invoked = op.value as readonly (readonly [string, string, Json])[];
  const keep = done.map(([f, , v]) => !(f === 'r' && v === null));
  if (keep.every(Boolean)) return;
  if (!keep.some(Boolean)) {
    op.outcome = 'fail';
    op.error = 'read nil';
    delete op.result;
    return;
  }
  op.result = done.filter((_, i) => keep[i]);
  op.value = invoked.filter((_, i) => keep[i]);
}
