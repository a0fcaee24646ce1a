/**
 * truthkit's own history format: one HistoryOp as a JSON object per line (see
 * src/core/history.ts). Blank lines are allowed; anything else that is not a valid operation
 * is an error naming the file and line.
 */
import { z } from 'zod';
import type { HistoryOp } from '../../core/history.js';
import { HistoryError } from '../errors.js';

const historyOpSchema = z.object({
  id: z.number().int().nonnegative(),
  process: z.number().int(),
  f: z.string().min(1),
  key: z.string().optional(),
  value: z.json().optional(),
  invoke: z.number().finite(),
  complete: z.number().finite(),
  outcome: z.enum(['ok', 'fail', 'unknown']),
  result: z.json().optional(),
  error: z.string().optional(),
  node: z.string().optional(),
});

/** The first schema problem, as `field: message`. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'not a history operation';
  const path = issue.path.length > 0 ? issue.path.join('.') : 'line';
  return `${path}: ${issue.message}`;
}

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
    const checked = historyOpSchema.safeParse(parsed);
    if (!checked.success)
      throw HistoryError.at(
        fileName,
        i + 1,
        `not a history operation: ${describeIssue(checked.error)}`,
      );
    const op = checked.data as HistoryOp;
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
