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
    let op = plainHistoryOp(parsed);
    if (op === undefined) {
      // The schema says what is wrong (and has the last word on what is right).
      const checked = checkSchema(historyOpSchema, parsed, 'line');
      if ('problem' in checked) {
        throw HistoryError.at(fileName, i + 1, `not a history operation: ${checked.problem}`);
      }
      op = checked.value as HistoryOp;
    }
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

const OUTCOMES: ReadonlySet<unknown> = new Set(['ok', 'fail', 'unknown']);
const isInteger = (x: unknown): x is number => Number.isInteger(x);
const isFiniteNumber = (x: unknown): x is number => Number.isFinite(x);
const absentOrString = (x: unknown): boolean => x === undefined || typeof x === 'string';

/**
 * `parsed` as the schema above outputs it — its fields in the schema's order, others dropped —
 * when it fits the schema; undefined when it may not. The same rules written out by hand: a
 * fresh process pays for valibot's pipelines on every line before they are compiled, more than
 * the check of a small history costs (docs/checker.md, Cold). `test/check/jsonl-fast-path.test.ts`
 * holds it to the schema's answers.
 */
export function plainHistoryOp(parsed: unknown): HistoryOp | undefined {
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const o = parsed as Readonly<Record<string, unknown>>;
  const { id, process, f, key, value, invoke, complete, outcome, result, error, node } = o;
  if (!isInteger(id) || id < 0 || !isInteger(process)) return undefined;
  if (typeof f !== 'string' || f.length === 0 || !absentOrString(key)) return undefined;
  if (!isFiniteNumber(invoke) || !isFiniteNumber(complete) || !OUTCOMES.has(outcome))
    return undefined;
  if (!absentOrString(error) || !absentOrString(node)) return undefined;
  const op: Record<string, unknown> = { id, process, f };
  if (key !== undefined) op['key'] = key;
  if ('value' in o) op['value'] = value;
  op['invoke'] = invoke;
  op['complete'] = complete;
  op['outcome'] = outcome;
  if ('result' in o) op['result'] = result;
  if (error !== undefined) op['error'] = error;
  if (node !== undefined) op['node'] = node;
  return op as unknown as HistoryOp;
}
