/** The anomalies found outside cycles, a few examples of each type and a count of all. */
import type { PlainAnomaly, PlainEvidence } from './anomalies.js';

/** Examples kept per type: enough to see the pattern, bounded on a badly broken history. */
export const EXAMPLES_PER_TYPE = 8;

export class Findings {
  readonly examples: PlainEvidence[] = [];
  readonly counts = new Map<PlainAnomaly, number>();

  add(
    type: PlainAnomaly,
    ops: readonly number[],
    key: string | undefined,
    why: () => string,
  ): void {
    const count = (this.counts.get(type) ?? 0) + 1;
    this.counts.set(type, count);
    if (count <= EXAMPLES_PER_TYPE)
      this.examples.push({ type, ops, ...(key !== undefined ? { key } : {}), why: why() });
  }
}

/** A value as the evidence prints it: JSON, lists shortened to their last few elements. */
export function show(v: unknown): string {
  if (Array.isArray(v) && v.length > 6)
    return `[… ${v.length - 4} more, ${v
      .slice(-4)
      .map((x) => JSON.stringify(x))
      .join(', ')}]`;
  return JSON.stringify(v) ?? String(v);
}
