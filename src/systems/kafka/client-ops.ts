/**
 * The operations the simulator's Kafka clients send a broker (history format: /docs/kafka.md):
 * `send` produces one record with acks=all to the partition's leader; `poll` reads one
 * partition from a position (the client's, carried in `from`, which the history does not
 * record) up to the high watermark; `commit` and `seek-committed` are OffsetCommit and
 * OffsetFetch for the client's own group.
 */
import type { Json } from '../../core/json.js';
import type { BatchInput } from '../../protocols/isr/batch.js';
import type { Acks } from '../../protocols/isr/partition-leader.js';
import { isMetadataOp, type MetadataOp } from './metadata-records.js';

export type ClientOp =
  | { readonly f: 'send'; readonly key: string; readonly value: number }
  | { readonly f: 'poll'; readonly from: Readonly<Record<string, number>> }
  | { readonly f: 'commit'; readonly value: Readonly<Record<string, number>> }
  | { readonly f: 'seek-committed' }
  /** DeleteTopics of the topic `key` (the workload's, with `--param delete-topic=on`). */
  | { readonly f: 'delete-topic'; readonly key: string }
  /**
   * The Kafka wire broker's (src/runtime/kafka/broker/replicated-*.ts; never the simulator's
   * workload): one metadata record through the metadata log (topics, group records, producer
   * ids), and one producer batch — a real v2 batch in base64 as its payload — to a partition.
   */
  | { readonly f: 'meta'; readonly op: MetadataOp }
  | {
      readonly f: 'produce-batch';
      readonly partition: string;
      readonly acks: Acks;
      readonly batch: BatchInput;
    };

/** The metadata records a wire broker may propose; the rest are the controller's own. */
const WIRE_METADATA = new Set([
  'create-topic',
  'delete-topic',
  'group-records',
  'alloc-producer-id',
]);

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

function isBatchInput(v: unknown): v is BatchInput {
  return (
    isObj(v) &&
    isInt(v.count) &&
    (v.count as number) >= 1 &&
    isInt(v.producerId) &&
    isInt(v.producerEpoch) &&
    isInt(v.baseSequence) &&
    isInt(v.maxTimestamp) &&
    typeof v.payload === 'string'
  );
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isOffsets = (v: unknown): v is Record<string, number> =>
  isObj(v) && Object.values(v).every((o) => Number.isSafeInteger(o) && (o as number) >= 0);

export function clientOpOf(op: Json): ClientOp | undefined {
  if (!isObj(op)) return undefined;
  switch (op.f) {
    case 'send':
      return typeof op.key === 'string' && Number.isSafeInteger(op.value)
        ? (op as unknown as ClientOp)
        : undefined;
    case 'poll':
      return isOffsets(op.from) && Object.keys(op.from).length === 1
        ? (op as unknown as ClientOp)
        : undefined;
    case 'commit':
      return isOffsets(op.value) ? (op as unknown as ClientOp) : undefined;
    case 'seek-committed':
      return { f: 'seek-committed' };
    case 'delete-topic':
      return typeof op.key === 'string' && op.key.length > 0
        ? { f: 'delete-topic', key: op.key }
        : undefined;
    case 'meta':
      return isMetadataOp(op.op as Json) && WIRE_METADATA.has((op.op as MetadataOp).kind)
        ? (op as unknown as ClientOp)
        : undefined;
    case 'produce-batch':
      return typeof op.partition === 'string' &&
        (op.acks === 1 || op.acks === 'all') &&
        isBatchInput(op.batch)
        ? (op as unknown as ClientOp)
        : undefined;
    default:
      return undefined;
  }
}

/** Client `c<P>`'s consumer group, `g<P>` (each client its own). */
export function groupOf(client: string): string {
  return client.startsWith('c') ? `g${client.slice(1)}` : `g-${client}`;
}
