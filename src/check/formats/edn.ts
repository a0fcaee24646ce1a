/**
 * Jepsen-style EDN histories, one event map per line, as in Porcupine's kv test data:
 *
 *     {:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}
 *
 * In that data every key starts as the empty string (not absent), which the loader reports
 * as the history's initial value.
 */
import type { HistoryOp } from '../../core/history.js';
import { HistoryError } from '../errors.js';
import { EdnSyntaxError, Keyword, printEdn, readEdn, type EdnValue } from './edn-reader.js';
import { EVENT_TYPES, pairEvents, type JepsenEvent } from './jepsen-events.js';

/** The value every key holds before the first operation in Porcupine's kv histories. */
export const EDN_KV_INITIAL_VALUE = '';

export function parseEdnHistory(text: string, fileName: string): HistoryOp[] {
  const events: JepsenEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith(';')) continue;
    const fail = (message: string): never => {
      throw HistoryError.at(fileName, i + 1, message);
    };
    let form: EdnValue;
    try {
      form = readEdn(line);
    } catch (e) {
      if (!(e instanceof EdnSyntaxError)) throw e;
      return fail(`not EDN: ${e.message}`);
    }
    if (!(form instanceof Map)) return fail('expected an event map {:process …, :type …, :f …}');
    const process = form.get(':process');
    const type = form.get(':type');
    const f = form.get(':f');
    const key = form.get(':key');
    if (typeof process !== 'number' || !Number.isInteger(process))
      fail(`:process must be an integer, got ${printEdn(process ?? null)}`);
    if (!(type instanceof Keyword) || !EVENT_TYPES.has(type.name))
      fail(`:type must be :invoke, :ok, :fail or :info, got ${printEdn(type ?? null)}`);
    if (!(f instanceof Keyword)) fail(`:f must be a keyword, got ${printEdn(f ?? null)}`);
    if (key !== undefined && key !== null && typeof key !== 'string' && typeof key !== 'number')
      fail(`:key must be a string or number, got ${printEdn(key)}`);
    events.push({
      line: i + 1,
      process: process as number,
      type: (type as Keyword).name as JepsenEvent['type'],
      f: (f as Keyword).name,
      ...(key === undefined || key === null ? {} : { key: String(key) }),
      value: form.get(':value') ?? null,
    });
  }
  return pairEvents(events, fileName);
}
