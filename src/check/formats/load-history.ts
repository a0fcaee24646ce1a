/** Reading a history file in any supported format, with format detection. */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import { HistoryError } from '../errors.js';
import { loadEdnHistory } from './edn.js';
import { isJepsenLogLine, parseJepsenLog } from './jepsen-log.js';
import { parseJsonLines } from './jsonl.js';

/** `knossos`: EDN read with Knossos's conventions for its own data files (edn.ts). */
export const HISTORY_FORMATS = ['jsonl', 'jepsen-log', 'edn', 'knossos'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

export interface LoadedHistory {
  readonly ops: HistoryOp[];
  readonly format: HistoryFormat;
  /** The model the format implies (Jepsen's etcd logs are registers), if any. */
  readonly suggestedModel?: string;
  /** The value every object starts with when the format says so (see CheckOptions). */
  readonly initialValue?: Json;
}

// EDN's first event map, after any comments and an opening `[` or `(`, and perhaps a tag.
const EDN_START =
  /^(?:\s|,|;[^\n]*\n)*(?:[[(](?:\s|,|;[^\n]*\n)*)?(?:#[A-Za-z][\w.\-/]*\s*)?\{\s*:/;

/** Guesses the format from the first non-blank line (or any Jepsen event line); undefined
 * when it cannot tell. EDN is recognised by its first event map, wherever the layout puts it. */
export function detectFormat(text: string): HistoryFormat | undefined {
  const first = text.split('\n').find((l) => l.trim() !== '');
  if (first === undefined) return 'jsonl';
  if (/^\s*\{\s*"/.test(first)) return 'jsonl';
  if (EDN_START.test(text.slice(0, 4096))) return 'edn';
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
      return { ...loadEdnHistory(text, fileName), format: resolved };
    case 'knossos':
      return { ...loadEdnHistory(text, fileName, 'knossos'), format: resolved };
    case undefined:
      throw new HistoryError(
        `${fileName}: cannot tell the history format; pass --format jsonl, jepsen-log, edn or knossos`,
      );
  }
}
