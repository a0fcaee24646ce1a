/**
 * The shapes of the reference systems' peer messages (echo, kv-single, kv-async), checked before
 * a real node hands a peer's message to the node. They are small, but a ping numbered "7", a
 * forwarded operation that is no KV operation or a Lamport time of 1e300 would still reach code
 * that assumes otherwise (kv-async keeps the highest time it saw, forever).
 */
import * as v from 'valibot';
import type { Json } from '../../core/json.js';
import { isKvOp } from '../../core/kv.js';
import { clientId, clientSeq, count, perClusterCheck } from '../../core/message-schema.js';
import { schemaProblem } from '../../core/schema-issue.js';

const echo = v.variant('type', [
  v.strictObject({ type: v.literal('ping'), n: count }),
  v.strictObject({ type: v.literal('pong'), n: count }),
]);

/** Why `msg` is no echo message (`field: problem`), or undefined when it is one. */
export function echoMessageProblem(msg: unknown): string | undefined {
  return schemaProblem(echo, msg, 'message');
}

// The forwarded op passed isKvOp at the node the client asked; the owner applies it as it is.
const kvOp = v.custom<Json>((x) => isKvOp(x as Json | undefined), 'is no KV operation');

const kvSingle = v.variant('type', [
  v.strictObject({ type: v.literal('forward'), client: clientId, seq: clientSeq, op: kvOp }),
  v.strictObject({
    type: v.literal('result'),
    client: clientId,
    seq: clientSeq,
    result: v.union([v.string(), v.boolean(), v.null()]),
  }),
]);

/** Why `msg` is no kv-single message (`field: problem`), or undefined when it is one. */
export function kvSingleMessageProblem(msg: unknown): string | undefined {
  return schemaProblem(kvSingle, msg, 'message');
}

/** Why `msg` is no kv-async update (`field: problem`), or undefined when it is one. */
export const kvAsyncMessageProblem = perClusterCheck((cluster) =>
  v.strictObject({
    type: v.literal('update'),
    key: v.string(),
    value: v.nullable(v.string()),
    time: count,
    // The writer's index in the cluster: it breaks ties between equal times.
    node: v.pipe(count, v.maxValue(cluster.length - 1)),
  }),
);
