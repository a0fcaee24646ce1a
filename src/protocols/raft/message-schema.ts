/**
 * The shape of every Raft message, checked where messages come from outside this process: a
 * real node receives them from peers, and an authenticated peer can still be buggy or hostile.
 * A message that fails is never handed to the node (the runtime drops it, logs it and closes the
 * connection): Raft's rules compare terms and indexes, and a term of "7" or 1e300 or -1 would
 * compare in ways no rule was written for. The simulator's messages come from the system's own
 * nodes; a test checks every one of them against these schemas, so the schemas cannot be
 * stricter than what Raft sends.
 */
import * as v from 'valibot';
import { schemaProblem } from '../../core/schema-issue.js';

/** Terms, indexes, offsets, sequence numbers: whole, not negative, exact in a double. */
const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const nodeId = v.pipe(v.string(), v.minLength(1), v.maxLength(64));

const membership = v.strictObject({
  voters: v.array(nodeId),
  learners: v.array(nodeId),
});

// A command's op is the state machine's business (it validates what it applies); here it is
// whatever JSON the peer's decoder produced.
const command = v.strictObject({
  client: v.string(),
  seq: count,
  op: v.unknown(),
});

const entry = v.variant('kind', [
  v.strictObject({ term: count, kind: v.literal('noop') }),
  v.strictObject({ term: count, kind: v.literal('command'), command }),
  v.strictObject({ term: count, kind: v.literal('config'), config: membership }),
]);

const raftMsg = v.variant('type', [
  v.strictObject({ type: v.literal('pre-vote'), term: count, lastIndex: count, lastTerm: count }),
  v.strictObject({ type: v.literal('pre-vote-resp'), term: count, granted: v.boolean() }),
  v.strictObject({
    type: v.literal('vote'),
    term: count,
    lastIndex: count,
    lastTerm: count,
    transfer: v.boolean(),
  }),
  v.strictObject({ type: v.literal('vote-resp'), term: count, granted: v.boolean() }),
  v.strictObject({
    type: v.literal('append'),
    term: count,
    prevIndex: count,
    prevTerm: count,
    entries: v.array(entry),
    commit: count,
    round: count,
  }),
  v.strictObject({
    type: v.literal('append-resp'),
    term: count,
    success: v.boolean(),
    match: count,
    rejected: count,
    hintIndex: count,
    hintTerm: count,
    round: count,
  }),
  v.strictObject({ type: v.literal('heartbeat'), term: count, commit: count, round: count }),
  v.strictObject({ type: v.literal('heartbeat-resp'), term: count, round: count }),
  v.strictObject({
    type: v.literal('snapshot'),
    term: count,
    index: count,
    snapTerm: count,
    config: membership,
    offset: count,
    chunk: v.string(),
    done: v.boolean(),
    round: count,
    // Absent for a one-part snapshot; a part past the count is the receiver's to refuse.
    part: v.optional(count),
    parts: v.optional(v.pipe(count, v.minValue(1))),
  }),
  v.strictObject({
    type: v.literal('snapshot-resp'),
    term: count,
    index: count,
    received: count,
    installed: v.boolean(),
    round: count,
    part: v.optional(count),
  }),
  v.strictObject({ type: v.literal('timeout-now'), term: count }),
  v.strictObject({ type: v.literal('read-index'), term: count, ctx: v.string() }),
  v.strictObject({
    type: v.literal('read-index-resp'),
    term: count,
    ctx: v.string(),
    index: count,
    ok: v.boolean(),
  }),
]);

/** Why `msg` is no Raft message (`field: problem`), or undefined when it is one. */
export function raftMessageProblem(msg: unknown): string | undefined {
  return schemaProblem(raftMsg, msg, 'message');
}
