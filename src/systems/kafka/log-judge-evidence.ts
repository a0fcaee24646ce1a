/**
 * What the kafka judge found, kind by kind: a count and the first few cases, each naming the ops,
 * partition, offset and value involved and saying in a sentence why it is an anomaly.
 */
import type { Json } from '../../core/json.js';
import type { LogValue } from './log-judge-ops.js';

/**
 * The anomalies, in the order the verdict's message looks for the first one. A record read
 * across a topic's deletion also shows as duplicates and inconsistent offsets; named first, the
 * message says what happened.
 */
export const ANOMALY_KINDS = [
  'deleted-topic-read',
  'lost-write',
  'duplicate',
  'inconsistent-offset',
  'poll-skip',
  'nonmonotonic-poll',
  'commit-backwards',
  'failed-write-visible',
  'phantom',
] as const;

export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface Example {
  /** The history ops that show it, by id. */
  readonly ops: readonly number[];
  readonly key?: string;
  readonly offset?: number;
  readonly value?: LogValue;
  readonly why: string;
}

/** Examples kept per kind: enough to read the pattern, few enough to print. */
export const EXAMPLES_PER_KIND = 3;

export class Evidence {
  private readonly counts = new Map<AnomalyKind, number>();
  private readonly examples = new Map<AnomalyKind, Example[]>();

  add(kind: AnomalyKind, example: Example): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    let list = this.examples.get(kind);
    if (list === undefined) this.examples.set(kind, (list = []));
    if (list.length < EXAMPLES_PER_KIND) list.push(example);
  }

  count(kind: AnomalyKind): number {
    return this.counts.get(kind) ?? 0;
  }

  /** The first kind (in ANOMALY_KINDS order) with a case, and its first example. */
  first(): { kind: AnomalyKind; example: Example } | undefined {
    for (const kind of ANOMALY_KINDS) {
      const example = this.examples.get(kind)?.[0];
      if (example !== undefined) return { kind, example };
    }
    return undefined;
  }

  /** "2 lost-write, 1 poll-skip": the kinds found with their counts. */
  summary(): string {
    return ANOMALY_KINDS.filter((k) => this.count(k) > 0)
      .map((k) => `${this.count(k)} ${k}`)
      .join(', ');
  }

  toJson(): { counts: Json; examples: Json } {
    const counts: Record<string, number> = {};
    const examples: Record<string, Json> = {};
    for (const kind of ANOMALY_KINDS) {
      const n = this.count(kind);
      if (n === 0) continue;
      counts[kind] = n;
      examples[kind] = (this.examples.get(kind) ?? []).map(exampleJson);
    }
    return { counts, examples };
  }
}

function exampleJson(e: Example): Json {
  const out: Record<string, Json> = { ops: [...e.ops] };
  if (e.key !== undefined) out.key = e.key;
  if (e.offset !== undefined) out.offset = e.offset;
  if (e.value !== undefined) out.value = e.value;
  out.why = e.why;
  return out;
}
