/**
 * The consensus checker for `propose` histories: per instance (the op's key),
 *
 * - agreement: every client that was answered was answered the same value;
 * - validity: that value is one some client proposed for that instance.
 *
 * Unanswered (unknown, failed) proposals count as proposed — their value may be chosen — but
 * assert nothing.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Judgement } from '../../core/system.js';

export function judgeAgreement(history: readonly HistoryOp[]): Judgement {
  const proposed = new Map<string, Set<string>>();
  for (const op of history) {
    if (op.f !== 'propose' || typeof op.key !== 'string') continue;
    let set = proposed.get(op.key);
    if (set === undefined) proposed.set(op.key, (set = new Set()));
    set.add(String(op.value));
  }
  const decided = new Map<string, HistoryOp>();
  let answered = 0;
  for (const op of history) {
    if (op.f !== 'propose' || op.outcome !== 'ok' || typeof op.key !== 'string') continue;
    answered++;
    const result = op.result;
    if (typeof result !== 'string' || !proposed.get(op.key)?.has(result)) {
      return {
        verdict: 'invalid',
        message: `validity: op ${op.id} on ${op.key} was answered ${JSON.stringify(result)}, which nobody proposed`,
      };
    }
    const first = decided.get(op.key);
    if (first === undefined) decided.set(op.key, op);
    else if (first.result !== result) {
      return {
        verdict: 'invalid',
        message:
          `agreement: on ${op.key} op ${first.id} (via ${first.node ?? '?'}) was answered ` +
          `${JSON.stringify(first.result)} but op ${op.id} (via ${op.node ?? '?'}) ${JSON.stringify(result)}`,
      };
    }
  }
  return {
    verdict: 'valid',
    message: `${decided.size} instance(s) decided, ${answered} answer(s) agree and were proposed`,
  };
}
