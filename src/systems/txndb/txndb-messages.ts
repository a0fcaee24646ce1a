/**
 * The messages of the transactional database besides the ranges' Raft envelopes: a coordinator
 * asks a range's replica to propose a command, and hears back. Both carry the sender's clock
 * reading (CockroachDB stamps every RPC with its HLC), which the receiver merges.
 */
import * as v from 'valibot';
import type { Json } from '../../core/json.js';
import { clientId, clientSeq } from '../../core/message-schema.js';
import type { Message, NodeId } from '../../core/node.js';
import { schemaProblem } from '../../core/schema-issue.js';
import { raftMessageProblem } from '../../protocols/raft/message-schema.js';
import type { HlcTimestamp } from '../../protocols/clocks/hybrid-logical-clock.js';

export interface RangeRequestMsg extends Message {
  readonly type: 'range-req';
  readonly id: number;
  readonly range: string;
  /** The key the sender routed by; the range checks it is still its own. */
  readonly key: string;
  /** The generation of the sender's descriptor of the range. */
  readonly gen: number;
  readonly client: string;
  readonly seq: number;
  readonly op: Json;
  readonly hlc: HlcTimestamp;
}

export type RangeReply =
  | { readonly ok: true; readonly value: Json }
  | {
      readonly ok: false;
      readonly error: string;
      readonly leader: NodeId | null;
      readonly definite: boolean;
    };

export interface RangeResponseMsg extends Message {
  readonly type: 'range-resp';
  readonly id: number;
  readonly reply: RangeReply;
  readonly hlc: HlcTimestamp;
}

const hlc = v.strictObject({
  wall: v.pipe(v.number(), v.finite()),
  logical: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
});
const rpcId = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

function schemaFor(cluster: readonly NodeId[]) {
  return v.variant('type', [
    v.strictObject({
      type: v.literal('range-req'),
      id: rpcId,
      range: v.pipe(v.string(), v.maxLength(64)),
      key: v.pipe(v.string(), v.maxLength(256)),
      gen: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
      client: clientId,
      seq: clientSeq,
      op: v.unknown(),
      hlc,
    }),
    v.strictObject({
      type: v.literal('range-resp'),
      id: rpcId,
      reply: v.union([
        v.strictObject({ ok: v.literal(true), value: v.unknown() }),
        v.strictObject({
          ok: v.literal(false),
          error: v.pipe(v.string(), v.maxLength(1024)),
          leader: v.nullable(v.picklist(cluster as NodeId[])),
          definite: v.boolean(),
        }),
      ]),
      hlc,
    }),
  ]);
}

const schemas = new WeakMap<readonly NodeId[], ReturnType<typeof schemaFor>>();

/** Why `msg` is not one of this system's messages, or undefined when it is. */
export function txndbMessageProblem(msg: unknown, cluster: readonly NodeId[]): string | undefined {
  if (typeof msg === 'object' && msg !== null && (msg as Message).type === 'group') {
    const e = msg as { group?: unknown; msg?: unknown };
    if (typeof e.group !== 'string' || e.group.length > 64) return 'group: not a range id';
    return raftMessageProblem(e.msg, cluster);
  }
  let schema = schemas.get(cluster);
  if (schema === undefined) {
    schema = schemaFor(cluster);
    schemas.set(cluster, schema);
  }
  return schemaProblem(schema, msg, 'message');
}
