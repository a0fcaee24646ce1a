/**
 * The shape of every Paxos message (single-decree `paxos` and Multi-Paxos `kv-paxos`), checked
 * before a real node hands a peer's message to the protocol. Paxos compares ballots and slots:
 * a ballot of "7", 1e18 or 2.5 compares in ways no rule was written for, and a ballot whose
 * proposer index names no member would be taken as a real proposer's. The simulator's messages
 * are checked against these schemas by a test, so they are never stricter than Paxos itself.
 */
import * as v from 'valibot';
import { clientId, clientSeq, count, perClusterCheck } from '../../core/message-schema.js';
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import { makeBallot, NO_BALLOT } from './ballot.js';
import { CATCHUP_BATCH } from './multi-paxos.js';

/** The proposer-index span of a ballot (ballot.ts's MAX_NODES): `makeBallot(1, 0)`. */
const PROPOSERS = makeBallot(1, 0);

/** A ballot: NO_BALLOT, or one whose proposer index names a member. */
function ballotIn(cluster: readonly NodeId[]) {
  return v.pipe(
    count,
    v.check(
      (b) => b === NO_BALLOT || b % PROPOSERS < cluster.length,
      'names no proposer in the cluster',
    ),
  );
}

function singleDecree(cluster: readonly NodeId[]) {
  const ballot = ballotIn(cluster);
  // A client's key, as long as the client made it (the client port bounds only the line).
  const instance = v.string();
  return v.variant('type', [
    v.strictObject({ type: v.literal('prepare'), instance, ballot }),
    v.strictObject({
      type: v.literal('promise'),
      instance,
      ballot,
      acceptedBallot: ballot,
      acceptedValue: v.nullable(v.string()),
    }),
    v.strictObject({ type: v.literal('accept'), instance, ballot, value: v.string() }),
    v.strictObject({ type: v.literal('accepted'), instance, ballot, value: v.string() }),
    v.strictObject({ type: v.literal('nack'), instance, ballot, promised: ballot }),
  ]);
}

function multi(cluster: readonly NodeId[], validOp: (op: Json) => boolean) {
  const ballot = ballotIn(cluster);
  // A leader proposes only ops its state machine called valid, and followers apply chosen
  // commands without asking again: an op no machine would take must not reach one.
  const op = v.custom<Json>((x) => validOp(x as Json), 'is no operation of the state machine');
  const cmd = v.variant('kind', [
    v.strictObject({ kind: v.literal('op'), client: clientId, seq: clientSeq, op }),
    v.strictObject({ kind: v.literal('noop') }),
  ]);
  return v.variant('type', [
    v.strictObject({ type: v.literal('prepare'), ballot, from: count }),
    v.strictObject({
      type: v.literal('promise'),
      ballot,
      accepted: v.array(v.strictObject({ slot: count, ballot, cmd })),
    }),
    v.strictObject({ type: v.literal('accept'), ballot, slot: count, cmd, chosenThrough: count }),
    v.strictObject({ type: v.literal('accepted'), ballot, slot: count }),
    v.strictObject({ type: v.literal('nack'), ballot, promised: ballot }),
    v.strictObject({ type: v.literal('heartbeat'), ballot, chosenThrough: count }),
    v.strictObject({ type: v.literal('catchup'), from: count }),
    v.strictObject({
      type: v.literal('chosen'),
      entries: v.pipe(v.array(v.strictObject({ slot: count, cmd })), v.maxLength(CATCHUP_BATCH)),
    }),
  ]);
}

/** Why `msg` is no single-decree Paxos message (`field: problem`), or undefined when it is one. */
export const paxosMessageProblem = perClusterCheck(singleDecree);

/**
 * Why `msg` is no Multi-Paxos message (`field: problem`), or undefined when it is one, for a log
 * whose state machine takes the ops `validOp` accepts (its StateMachine.valid). A message
 * decoded from a peer's frame is JSON, which is what `validOp` is given.
 */
export function multiPaxosMessageCheck(
  validOp: (op: Json) => boolean,
): (msg: unknown, cluster: readonly NodeId[]) => string | undefined {
  return perClusterCheck((cluster) => multi(cluster, validOp));
}
