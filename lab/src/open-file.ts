/**
 * Opening what `truthkit sim --trace FILE` and `--history FILE` write. Both are JSON lines; a
 * trace line has `t` and `e` (the event kind), a history is anything the checker's loader reads
 * (truthkit's JSON lines, Jepsen logs, EDN). Errors name the file and the line.
 */
import type { HistoryOp } from '../../src/core/history.js';
import { loadHistory } from '../../src/check/index.js';
import type { TraceEvent, TraceKind } from '../../src/sim/trace.js';

export type OpenedFile =
  | { readonly kind: 'trace'; readonly name: string; readonly events: TraceEvent[] }
  | {
      readonly kind: 'history';
      readonly name: string;
      readonly ops: HistoryOp[];
      /** The checker model the format implies, if it says. */
      readonly suggestedModel: string | undefined;
    };

const TRACE_KINDS: ReadonlySet<TraceKind> = new Set<TraceKind>([
  'send',
  'deliver',
  'drop',
  'duplicate',
  'timer',
  'crash',
  'restart',
  'pause',
  'resume',
  'partition',
  'clock',
  'link',
  'nemesis',
  'invoke',
  'complete',
  'request',
  'reply',
  'sync',
  'log',
  'invariant',
]);

export class OpenFileError extends Error {}

export function openFile(name: string, text: string): OpenedFile {
  const first = text.split('\n').find((l) => l.trim() !== '');
  if (first === undefined) throw new OpenFileError(`${name} is empty`);
  if (looksLikeTraceLine(first)) return { kind: 'trace', name, events: parseTrace(name, text) };
  try {
    const loaded = loadHistory(text, 'auto', name);
    return { kind: 'history', name, ops: loaded.ops, suggestedModel: loaded.suggestedModel };
  } catch (e) {
    throw new OpenFileError((e as Error).message);
  }
}

function looksLikeTraceLine(line: string): boolean {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && 'e' in v && 't' in v;
  } catch {
    return false;
  }
}

/** Parses a trace, checking each line is an event of a known kind in time order. */
export function parseTrace(name: string, text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  let last = -Infinity;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${name} line ${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new OpenFileError(`${where}: not JSON`);
    }
    if (typeof v !== 'object' || v === null) throw new OpenFileError(`${where}: not an object`);
    const o = v as { t?: unknown; e?: unknown };
    if (typeof o.t !== 'number' || !Number.isFinite(o.t))
      throw new OpenFileError(`${where}: 't' must be a time in ms`);
    if (typeof o.e !== 'string' || !TRACE_KINDS.has(o.e as TraceKind))
      throw new OpenFileError(`${where}: unknown event kind ${JSON.stringify(o.e)}`);
    const missing = missingField(o as Record<string, unknown>, o.e as TraceKind);
    if (missing !== undefined)
      throw new OpenFileError(`${where}: ${o.e} event without '${missing}'`);
    if (o.t < last) throw new OpenFileError(`${where}: events must be in time order`);
    last = o.t;
    events.push(v as TraceEvent);
  });
  return events;
}

const MESSAGE_KINDS: ReadonlySet<TraceKind> = new Set<TraceKind>([
  'send',
  'deliver',
  'drop',
  'duplicate',
]);

/** The first field the lab relies on that the event lacks (or has with the wrong type). */
function missingField(o: Record<string, unknown>, kind: TraceKind): string | undefined {
  if (MESSAGE_KINDS.has(kind)) {
    for (const f of ['from', 'to', 'type']) if (typeof o[f] !== 'string') return f;
    if (typeof o.id !== 'number') return 'id';
    return undefined;
  }
  if (kind === 'partition') return Array.isArray(o.blocked) ? undefined : 'blocked';
  if (kind === 'invoke' || kind === 'complete') {
    if (typeof o.process !== 'number') return 'process';
  }
  if ('node' in o || ['timer', 'crash', 'restart', 'pause', 'resume', 'clock'].includes(kind)) {
    if (typeof o.node !== 'string') return 'node';
  }
  return undefined;
}
