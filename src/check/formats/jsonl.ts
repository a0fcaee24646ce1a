/**
 * truthkit's own history format: one HistoryOp as a JSON object per line (see
 * src/core/history.ts). Blank lines are allowed; anything else that is not a valid operation
 * is an error naming the file and line.
 */
import * as v from 'valibot';
import type { HistoryOp } from '../../core/history.js';
import { checkSchema } from '../../core/schema-issue.js';
import { HistoryError } from '../errors.js';

// `value` and `result` may be any JSON value, and every value JSON.parse returns is one.
const historyOpSchema = v.object({
  id: v.pipe(v.number(), v.integer(), v.minValue(0)),
  process: v.pipe(v.number(), v.integer()),
  f: v.pipe(v.string(), v.minLength(1)),
  key: v.optional(v.string()),
  value: v.optional(v.unknown()),
  invoke: v.pipe(v.number(), v.finite()),
  complete: v.pipe(v.number(), v.finite()),
  outcome: v.picklist(['ok', 'fail', 'unknown']),
  result: v.optional(v.unknown()),
  error: v.optional(v.string()),
  node: v.optional(v.string()),
});

export function parseJsonLines(text: string, fileName: string): HistoryOp[] {
  const ops: HistoryOp[] = [];
  const seen = new Map<number, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      throw HistoryError.at(fileName, i + 1, `not JSON (${(e as Error).message})`);
    }
    const checked = checkSchema(historyOpSchema, parsed, 'line');
    if ('problem' in checked) {
      throw HistoryError.at(fileName, i + 1, `not a history operation: ${checked.problem}`);
    }
    const op = checked.value as HistoryOp;
    const earlier = seen.get(op.id);
    if (earlier !== undefined)
      throw HistoryError.at(
        fileName,
        i + 1,
        `operation id ${op.id} already used on line ${earlier}`,
      );
    seen.set(op.id, i + 1);
    ops.push(op);
  }
  return ops;
}
