/**
 * The operations the simulator's Kafka clients send a broker (history format: /docs/kafka.md):
 * `send` produces one record with acks=all to the partition's leader; `poll` reads one
 * partition from a position (the client's, carried in `from`, which the history does not
 * record) up to the high watermark; `commit` and `seek-committed` are OffsetCommit and
 * OffsetFetch for the client's own group.
 */
import type { Json } from '../../core/json.js';

export type ClientOp =
  | { readonly f: 'send'; readonly key: string; readonly value: number }
  | { readonly f: 'poll'; readonly from: Readonly<Record<string, number>> }
  | { readonly f: 'commit'; readonly value: Readonly<Record<string, number>> }
  | { readonly f: 'seek-committed' };

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
    default:
      return undefined;
  }
}

/** Client `c<P>`'s consumer group, `g<P>` (each client its own). */
export function groupOf(client: string): string {
  return client.startsWith('c') ? `g${client.slice(1)}` : `g-${client}`;
}
