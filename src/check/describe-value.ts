/** How values appear in evidence: JSON text, so "" and null (absent) never look alike. */
import type { Json } from '../core/json.js';

export function describeValue(value: Json | undefined): string {
  if (value === undefined) return '?';
  return JSON.stringify(value);
}

/** A state value: `absent` for null, JSON text otherwise. */
export function describeStateValue(value: Json): string {
  return value === null ? 'absent' : JSON.stringify(value);
}

/** The ` → result` suffix of an operation description, by outcome. */
export function describeOutcome(op: { outcome: string; result?: Json }): string {
  if (op.outcome === 'unknown') return ' → ?';
  if (op.outcome === 'fail') return ' → failed';
  return op.result === undefined ? '' : ` → ${describeValue(op.result)}`;
}
