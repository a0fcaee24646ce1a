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
import { clientSeq, count, memberOf, perClusterCheck } from '../../core/message-schema.js';
import type { NodeId } from '../../core/node.js';

// Terms, indexes, offsets and sequence numbers are `count`s: whole, not negative, at most 2^48
// (a term of 1e15 is no term a correct node reaches; see core/message-schema.ts).

/** The schema of every Raft message, for a cluster of these nodes. */
function raftMessage(cluster: readonly NodeId[]): v.GenericSchema {
  const nodeId = memberOf(cluster);
  // A configuration names members of the cluster, each at most once in all.
  const membership = v.pipe(
    v.strictObject({
      voters: v.pipe(v.array(nodeId), v.maxLength(cluster.length)),
      learners: v.pipe(v.array(nodeId), v.maxLength(cluster.length)),
    }),
    v.check(
      (m) => new Set([...m.voters, ...m.learners]).size === m.voters.length + m.learners.length,
      'a node is named twice',
    ),
  );

  // A command's op is the state machine's business (it validates what it applies); here it is
  // whatever JSON the peer's decoder produced.
  // The client's request number is any safe whole number, as the client port takes it.
  const command = v.strictObject({
    client: v.string(),
    seq: clientSeq,
    op: v.unknown(),
  });

  const entry = v.variant('kind', [
    v.strictObject({ term: count, kind: v.literal('noop') }),
    v.strictObject({ term: count, kind: v.literal('command'), command }),
    v.strictObject({ term: count, kind: v.literal('config'), config: membership }),
  ]);

  return v.variant('type', [
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
}

/** Why `msg` is no Raft message of this cluster (`field: problem`), or undefined when it is one. */
export const raftMessageProblem: (msg: unknown, cluster: readonly NodeId[]) => string | undefined =
  perClusterCheck(raftMessage);
