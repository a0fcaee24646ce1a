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

/** A cas as people read it: `cas <label> from→to ✓`, or ✗ when it saw another value. */
export function describeCas(
  label: string,
  op: { value?: Json; outcome: string; result?: Json },
): string {
  const pair = Array.isArray(op.value) && op.value.length === 2 ? op.value : [undefined, undefined];
  const outcome =
    op.outcome === 'ok' ? (op.result === true ? ' ✓' : ' ✗ (did not swap)') : describeOutcome(op);
  return `cas${label} ${describeValue(pair[0])}→${describeValue(pair[1])}${outcome}`;
}
