/**
 * Jepsen's etcd test logs, as kept by the linearizability-checker project:
 *
 *     INFO  jepsen.util - 3	:invoke	:cas	[3 0]
 *
 * (process, event type, function, EDN value; separated by tabs or spaces). Lines from other
 * loggers are skipped, so a whole jepsen.log can be given.
 */
import type { HistoryOp } from '../../core/history.js';
import { HistoryError } from '../errors.js';
import { EdnSyntaxError, readEdn } from './edn-reader.js';
import { EVENT_TYPES, pairEvents, type JepsenEvent } from './jepsen-events.js';

const UTIL_LINE = /^\S+\s+jepsen\.util\s+-\s+/;
const EVENT = /^(\d+)\s+:([a-z]+)\s+:([\w-]+)\s+(.*)$/;

export function isJepsenLogLine(line: string): boolean {
  return UTIL_LINE.test(line);
}

export function parseJepsenLog(text: string, fileName: string): HistoryOp[] {
  const events: JepsenEvent[] = [];
  const lines = text.split('\n');
  let otherLines = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trimEnd();
    const prefix = UTIL_LINE.exec(line);
    if (!prefix) {
      if (line.trim() !== '') otherLines++;
      continue;
    }
    const m = EVENT.exec(line.slice(prefix[0].length));
    if (!m) throw HistoryError.at(fileName, i + 1, 'expected "<process> :<type> :<f> <value>"');
    const [, process, type, f, valueText] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    if (!EVENT_TYPES.has(type))
      throw HistoryError.at(
        fileName,
        i + 1,
        `unknown event type :${type} (invoke, ok, fail, info)`,
      );
    let value;
    try {
      value = readEdn(valueText);
    } catch (e) {
      if (!(e instanceof EdnSyntaxError)) throw e;
      throw HistoryError.at(fileName, i + 1, `bad value "${valueText}": ${e.message}`);
    }
    events.push({
      line: i + 1,
      time: i + 1,
      process: Number(process),
      type: type as JepsenEvent['type'],
      f,
      value,
    });
  }
  if (events.length === 0 && otherLines > 0)
    throw new HistoryError(`${fileName}: no "jepsen.util" event lines found`);
  return pairEvents(events, fileName);
}
