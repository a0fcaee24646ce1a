/** The short human-readable verdict `truthkit check` prints without --json. */
import type { CheckResult } from './check-history.js';
import { formatEvidence } from './evidence.js';

export interface SummaryContext {
  readonly file: string;
  readonly model: string;
  readonly partitioned: boolean;
}

const VERDICT_TEXT = {
  valid: 'linearizable',
  invalid: 'NOT linearizable',
  unknown: 'unknown (search budget exhausted)',
} as const;

export function formatSummary(result: CheckResult, context: SummaryContext): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const how = context.partitioned ? plural(result.partitions, 'partition') : 'not partitioned';
  let text =
    `${context.file}: ${VERDICT_TEXT[result.verdict]} — ${context.model} model, ` +
    `${plural(result.ops, 'operation')}, ${how}, ${result.wallMs.toFixed(1)} ms\n`;
  if (result.verdict === 'unknown') {
    const keys = (result.undecided ?? []).map((k) =>
      k === null ? '(whole history)' : JSON.stringify(k),
    );
    text += `Undecided after ${result.steps} search steps: ${keys.join(', ')}. Try a longer --timeout.\n`;
  }
  if (result.evidence) text += formatEvidence(result.evidence);
  return text;
}
