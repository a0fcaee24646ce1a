/**
 * A topic's settings: the broker's defaults (from flags) overridden per topic by CreateTopics
 * configs, under Kafka's names. Only what this broker acts on is accepted; any other name, or a
 * value out of range, is INVALID_CONFIG, as Kafka answers a config it does not know.
 */
import { KafkaError } from '../kafka-errors.js';

export interface TopicConfig {
  /** retention.ms; -1: keep for ever. */
  readonly retentionMs: number;
  /** retention.bytes; -1: no size bound. */
  readonly retentionBytes: number;
  /** segment.bytes. */
  readonly segmentBytes: number;
  /** segment.ms. */
  readonly segmentMs: number;
}

const DAY_MS = 86_400_000;

/** Kafka's defaults: a week's retention, no size bound, 1 GiB and 7-day segments. */
export const KAFKA_TOPIC_DEFAULTS: TopicConfig = {
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  segmentBytes: 1_073_741_824,
  segmentMs: 7 * DAY_MS,
};

/** segment.bytes below this would roll on nearly every batch (Kafka's floor is 14 bytes; ours a header). */
const MIN_SEGMENT_BYTES = 1024;

type Rule = { key: keyof TopicConfig; min: number; max: number };
const RULES: Record<string, Rule> = {
  'retention.ms': { key: 'retentionMs', min: -1, max: Number.MAX_SAFE_INTEGER },
  'retention.bytes': { key: 'retentionBytes', min: -1, max: Number.MAX_SAFE_INTEGER },
  'segment.bytes': { key: 'segmentBytes', min: MIN_SEGMENT_BYTES, max: 0x7fffffff },
  'segment.ms': { key: 'segmentMs', min: 1, max: Number.MAX_SAFE_INTEGER },
};

export type ConfigVerdict =
  | { readonly ok: true; readonly config: TopicConfig }
  | { readonly ok: false; readonly errorCode: number; readonly message: string };

/** `defaults` with the configs given applied; cleanup.policy=delete is accepted (it is what we do). */
export function topicConfig(
  defaults: TopicConfig,
  configs: readonly { readonly name: string; readonly value: string | null }[],
): ConfigVerdict {
  const out: { -readonly [K in keyof TopicConfig]: number } = { ...defaults };
  for (const { name, value } of configs) {
    if (name === 'cleanup.policy' && value === 'delete') continue;
    const rule = RULES[name];
    if (rule === undefined || value === null || !/^-?\d+$/.test(value)) {
      return {
        ok: false,
        errorCode: KafkaError.INVALID_CONFIG,
        message:
          rule === undefined
            ? `config ${name} is not supported (supported: ${Object.keys(RULES).join(', ')}, cleanup.policy=delete)`
            : `config ${name}=${String(value)} is not an integer`,
      };
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < rule.min || n > rule.max) {
      return {
        ok: false,
        errorCode: KafkaError.INVALID_CONFIG,
        message: `config ${name}=${value} is outside [${rule.min}, ${rule.max}]`,
      };
    }
    out[rule.key] = n;
  }
  return { ok: true, config: out };
}

/** Kafka's rule for topic names: 1–249 of [a-zA-Z0-9._-], not "." or "..". */
export function validTopicName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 249 &&
    name !== '.' &&
    name !== '..' &&
    /^[a-zA-Z0-9._-]+$/.test(name)
  );
}
