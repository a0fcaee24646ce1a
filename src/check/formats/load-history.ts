/** Reading a history file in any supported format, with format detection. */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import { HistoryError } from '../errors.js';
import { EDN_KV_INITIAL_VALUE, parseEdnHistory } from './edn.js';
import { isJepsenLogLine, parseJepsenLog } from './jepsen-log.js';
import { parseJsonLines } from './jsonl.js';

export const HISTORY_FORMATS = ['jsonl', 'jepsen-log', 'edn'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

export interface LoadedHistory {
  readonly ops: HistoryOp[];
  readonly format: HistoryFormat;
  /** The model the format implies (Jepsen's etcd logs are registers), if any. */
  readonly suggestedModel?: string;
  /** The value every object starts with when the format says so (see CheckOptions). */
  readonly initialValue?: Json;
}

/** Guesses the format from the first non-blank line (or any Jepsen event line); undefined
 * when it cannot tell. */
export function detectFormat(text: string): HistoryFormat | undefined {
  const first = text.split('\n').find((l) => l.trim() !== '');
  if (first === undefined) return 'jsonl';
  if (/^\s*\{\s*"/.test(first)) return 'jsonl';
  if (/^\s*\{\s*:/.test(first)) return 'edn';
  // A whole jepsen.log starts with other loggers' lines; any jepsen.util event line decides it.
  if (text.split('\n').some(isJepsenLogLine)) return 'jepsen-log';
  return undefined;
}

export function loadHistory(
  text: string,
  format: HistoryFormat | 'auto' = 'auto',
  fileName = '<history>',
): LoadedHistory {
  const resolved = format === 'auto' ? detectFormat(text) : format;
  switch (resolved) {
    case 'jsonl':
      return { ops: parseJsonLines(text, fileName), format: resolved };
    case 'jepsen-log':
      return { ops: parseJepsenLog(text, fileName), format: resolved, suggestedModel: 'register' };
    case 'edn':
      return {
        ops: parseEdnHistory(text, fileName),
        format: resolved,
        suggestedModel: 'kv',
        initialValue: EDN_KV_INITIAL_VALUE,
      };
    case undefined:
      throw new HistoryError(
        `${fileName}: cannot tell the history format; pass --format jsonl, jepsen-log or edn`,
      );
  }
}
