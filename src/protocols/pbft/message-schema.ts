/**
 * The shape of every PBFT message, checked before a real replica hands a peer's message to the
 * protocol. PBFT is Byzantine fault tolerant: a *well-formed* lie (a forged signature, a wrong
 * digest, a view-change with a fabricated certificate, a sequence number outside the
 * watermarks) must reach the protocol, whose signature, quorum and watermark rules judge it.
 * The schema refuses only what no replica running the protocol, honest or not, could send: a
 * body that is no JSON, a kind the protocol has not, a field of the wrong type, a view or
 * sequence number past MAX_COUNT, a replica id that names no member, a certificate longer than
 * the cluster or a log window.
 *
 * A message is a signed text (`p`) whose body the protocol parses again after this check: the
 * parse is paid twice, which keeps the protocol's own checks whole for messages that never pass
 * here (the simulator's, and certificates' inner messages). Certificates are checked here as
 * lists of signed messages only; their bodies are the protocol's to verify, as it does.
 */
import * as v from 'valibot';
import { clientId, clientSeq, count, memberOf } from '../../core/message-schema.js';
import type { NodeId } from '../../core/node.js';
import { checkSchema, schemaProblem } from '../../core/schema-issue.js';
import { CHECKPOINT_INTERVAL } from './checkpoints.js';
import { NULL_DIGEST, RELAY_BATCH } from './messages.js';

/** A signature's text: base64 of 64 bytes is 88 characters; anything longer is no signature. */
const MAX_SIGNATURE = 128;
/** Sequence numbers a log window holds (h, h + 2K]: the most a P or O set can name. */
const WINDOW = 2 * CHECKPOINT_INTERVAL;

const signed = v.strictObject({
  type: v.literal('pbft'),
  p: v.string(),
  s: v.pipe(v.string(), v.maxLength(MAX_SIGNATURE)),
});

/** A SHA-256 digest in hex, or the null request's. */
const digest = v.pipe(
  v.string(),
  v.check((d) => d === NULL_DIGEST || /^[0-9a-f]{64}$/.test(d), 'is no digest'),
);

function body(cluster: readonly NodeId[]) {
  const i = memberOf(cluster);
  const upToN = v.pipe(v.array(signed), v.maxLength(cluster.length));
  return v.variant('t', [
    v.strictObject({
      t: v.literal('request'),
      i,
      req: v.strictObject({ client: clientId, seq: clientSeq, op: v.unknown(), proxy: i }),
    }),
    v.strictObject({
      t: v.literal('pre-prepare'),
      i,
      v: count,
      n: count,
      d: digest,
      req: v.nullable(signed),
    }),
    v.strictObject({ t: v.picklist(['prepare', 'commit']), i, v: count, n: count, d: digest }),
    v.strictObject({
      t: v.literal('reply'),
      i,
      v: count,
      client: clientId,
      seq: clientSeq,
      result: v.unknown(),
    }),
    v.strictObject({ t: v.literal('checkpoint'), i, n: count, d: digest }),
    v.strictObject({
      t: v.literal('status'),
      i,
      exec: count,
      low: count,
      v: count,
      active: v.boolean(),
      stuck: v.pipe(v.array(count), v.maxLength(RELAY_BATCH)),
    }),
    v.strictObject({ t: v.literal('state'), i, n: count, snap: v.string(), proof: upToN }),
    v.strictObject({
      t: v.literal('view-change'),
      i,
      v: count,
      n: count,
      C: upToN,
      P: v.pipe(v.array(v.strictObject({ pp: signed, prepares: upToN })), v.maxLength(WINDOW)),
    }),
    v.strictObject({
      t: v.literal('new-view'),
      i,
      v: count,
      V: upToN,
      O: v.pipe(v.array(signed), v.maxLength(WINDOW)),
    }),
  ]);
}

const bodies = new WeakMap<readonly NodeId[], v.GenericSchema>();

/** Why `msg` is no PBFT message (`field: problem`; `p.…` for its body), or undefined. */
export function pbftMessageProblem(msg: unknown, cluster: readonly NodeId[]): string | undefined {
  const outer = checkSchema(signed, msg, 'message');
  if ('problem' in outer) return outer.problem;
  let parsed: unknown;
  try {
    parsed = JSON.parse(outer.value.p);
  } catch {
    return 'p: is no JSON';
  }
  let schema = bodies.get(cluster);
  if (schema === undefined) bodies.set(cluster, (schema = body(cluster)));
  const problem = schemaProblem(schema, parsed, 'body');
  return problem === undefined ? undefined : `p.${problem}`;
}
