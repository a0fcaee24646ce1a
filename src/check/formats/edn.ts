/**
 * Jepsen-style EDN histories: event maps in any layout EDN allows — one per line, as in
 * Porcupine's kv test data,
 *
 *     {:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}
 *
 * spread over many lines, or all inside one vector or list as Knossos's and Jepsen's
 * `history.edn` files are, with comments and tags (`#jepsen.history.Op{…}`) anywhere.
 *
 * - An event without `:process` (Elle's own example histories) belongs to one anonymous client,
 *   numbered -1; events of a keyword process (`:nemesis`) are not client operations: skipped.
 * - An event without `:f` whose value is a list of `[f key value]` is a transaction (`:txn`).
 *
 * The model the operations imply is suggested: `:txn` histories list-append or rw-register,
 * acquire/release a mutex, read/write/cas without keys a register, and anything else the kv
 * model — where, as in Porcupine's kv histories, every key starts as the empty string (not
 * absent), which the loader reports as the history's initial value.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import { HistoryError } from '../errors.js';
import { EdnSyntaxError, Keyword, printEdn, readEdnForms, type EdnForm } from './edn-reader.js';
import { EVENT_TYPES, pairEvents, type EventSemantics, type JepsenEvent } from './jepsen-events.js';
import { looksLikeTxn, txnModelOf } from './txn-micro-ops.js';

/** The value every key holds before the first operation in Porcupine's kv histories. */
export const EDN_KV_INITIAL_VALUE = '';

/** The register's value before the first operation in Knossos's tests of its own data files
 * (`(cas-register 0)`, `(multi-register {:x 0 :y 0})`). */
export const KNOSSOS_INITIAL_VALUE = 0;

/** The process number given to events that name none. */
export const ANONYMOUS_PROCESS = -1;

export interface EdnHistory {
  readonly ops: HistoryOp[];
  readonly suggestedModel: string;
  readonly initialValue?: Json;
}

const REGISTER_OPS = new Set(['read', 'write', 'cas']);
const MUTEX_OPS = new Set(['acquire', 'release']);

/**
 * `semantics: 'knossos'` reads the file as Knossos reads its own data (jepsen-events.ts): every
 * `:fail` did not happen, an ok read of nil read nothing, and registers (a multi-register's keys
 * too) start at 0.
 */
export function loadEdnHistory(
  text: string,
  fileName: string,
  semantics: EventSemantics = 'jepsen',
): EdnHistory {
  const ops = pairEvents(eventsOf(text, fileName), fileName, semantics);
  const suggested = suggestModel(ops);
  const registers =
    suggested.suggestedModel === 'register' || suggested.suggestedModel === 'rw-register';
  if (semantics === 'knossos' && registers) {
    // Knossos answers register transactions with its multi-register model (linearizability),
    // whose writes need not be unique, as its own data's are not.
    const model = suggested.suggestedModel === 'rw-register' ? 'multi-register' : 'register';
    return { ops, suggestedModel: model, initialValue: KNOSSOS_INITIAL_VALUE };
  }
  return { ops, ...suggested };
}

/** The file's client events, read as they are paired. */
function* eventsOf(text: string, fileName: string): Generator<JepsenEvent> {
  let time = 0;
  for (const { value: form, line } of formsOf(text, fileName)) {
    const event = toEvent(form, line, time + 1, fileName);
    if (event === undefined) continue;
    time++;
    yield event;
  }
}

/** The file's forms, with a syntax error reported at its line. */
function* formsOf(text: string, fileName: string): Generator<EdnForm> {
  try {
    yield* readEdnForms(text);
  } catch (e) {
    if (!(e instanceof EdnSyntaxError)) throw e;
    throw HistoryError.at(fileName, e.line, `not EDN: ${e.message}`);
  }
}

/** One event map as an event; undefined for a nemesis's events. */
function toEvent(
  form: EdnForm['value'],
  line: number,
  time: number,
  fileName: string,
): JepsenEvent | undefined {
  const fail = (message: string): never => {
    throw HistoryError.at(fileName, line, message);
  };
  if (!(form instanceof Map)) return fail('expected an event map {:process …, :type …, :f …}');
  const process = form.get(':process');
  if (process instanceof Keyword) return undefined;
  const type = form.get(':type');
  const value = form.get(':value') ?? null;
  const key = form.get(':key');
  let f = form.get(':f');
  if (f === undefined && looksLikeTxn(value)) f = new Keyword('txn');
  if (process !== undefined && (typeof process !== 'number' || !Number.isInteger(process)))
    fail(`:process must be an integer, got ${printEdn(process)}`);
  if (!(type instanceof Keyword) || !EVENT_TYPES.has(type.name))
    fail(`:type must be :invoke, :ok, :fail or :info, got ${printEdn(type ?? null)}`);
  if (!(f instanceof Keyword)) fail(`:f must be a keyword, got ${printEdn(f ?? null)}`);
  if (key !== undefined && key !== null && typeof key !== 'string' && typeof key !== 'number')
    fail(`:key must be a string or number, got ${printEdn(key)}`);
  return {
    line,
    time,
    process: process === undefined ? ANONYMOUS_PROCESS : (process as number),
    type: (type as Keyword).name as JepsenEvent['type'],
    f: (f as Keyword).name,
    ...(key === undefined || key === null ? {} : { key: String(key) }),
    value,
  };
}

function suggestModel(ops: readonly HistoryOp[]): Omit<EdnHistory, 'ops'> {
  if (ops.some((op) => op.f === 'txn')) return { suggestedModel: txnModelOf(ops) };
  if (ops.length > 0 && ops.every((op) => MUTEX_OPS.has(op.f))) return { suggestedModel: 'mutex' };
  if (ops.length > 0 && ops.every((op) => REGISTER_OPS.has(op.f) && op.key === undefined))
    return { suggestedModel: 'register' };
  return { suggestedModel: 'kv', initialValue: EDN_KV_INITIAL_VALUE };
}
