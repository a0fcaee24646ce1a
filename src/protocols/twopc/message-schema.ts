/**
 * The shape of every message of the commit protocols (`twopc`, `twopc-replicated`,
 * `paxos-commit`), checked before a real node hands a peer's message to the protocol. Each
 * system accepts its own kinds only: 2PC's five, plus the outcome consensus's `c-*` or Paxos
 * Commit's `pc-*`. Accounts are the fixed ACCOUNTS, amounts whole, participants and instances
 * cluster members, lists no longer than the cluster; a transaction id is what a coordinator
 * makes (`epoch.counter`). The simulator's messages are checked against these schemas by a
 * test, so they are never stricter than the protocols themselves.
 */
import * as v from 'valibot';
import { count, MAX_COUNT, memberOf, perClusterCheck } from '../../core/message-schema.js';
import type { NodeId } from '../../core/node.js';
import { ACCOUNTS } from './two-phase-commit.js';

/** `epoch.counter`, each a decimal count (two-phase-commit.ts names transactions so). */
const txn = v.pipe(v.string(), v.regex(/^\d{1,15}\.\d{1,15}$/, 'is no transaction id'));

/** A change or a balance: whole and exact (a transfer's amount is a positive safe integer). */
const amount = v.pipe(v.number(), v.safeInteger());
const byAccount = v.record(v.picklist(ACCOUNTS), amount);

/** A ballot of the outcome consensus or of Paxos Commit, or −1 where one means "none". */
const ballotOrNone = v.pipe(v.number(), v.safeInteger(), v.minValue(-1), v.maxValue(MAX_COUNT));

function members(cluster: readonly NodeId[]) {
  return v.pipe(v.array(memberOf(cluster)), v.maxLength(cluster.length));
}

function twoPcKinds(cluster: readonly NodeId[]) {
  return [
    v.strictObject({
      type: v.literal('prepare'),
      txn,
      changes: byAccount,
      rms: v.optional(members(cluster)),
    }),
    v.strictObject({ type: v.literal('vote'), txn, yes: v.boolean(), balances: byAccount }),
    v.strictObject({ type: v.literal('decision'), txn, commit: v.boolean() }),
    v.strictObject({ type: v.literal('ack'), txn }),
    v.strictObject({ type: v.literal('status'), txn }),
  ] as const;
}

function consensusKinds() {
  const ballot = count;
  return [
    v.strictObject({ type: v.literal('c-prepare'), txn, ballot }),
    v.strictObject({
      type: v.literal('c-promise'),
      txn,
      ballot,
      acceptedBallot: ballotOrNone,
      acceptedCommit: v.nullable(v.boolean()),
    }),
    v.strictObject({ type: v.literal('c-accept'), txn, ballot, commit: v.boolean() }),
    v.strictObject({ type: v.literal('c-accepted'), txn, ballot }),
    v.strictObject({ type: v.literal('c-nack'), txn, ballot }),
  ] as const;
}

function paxosCommitKinds(cluster: readonly NodeId[]) {
  const ballot = count;
  const rm = memberOf(cluster);
  const vote = v.strictObject({ prepared: v.boolean(), balances: byAccount });
  const values = v.pipe(v.array(v.strictObject({ rm, vote })), v.maxLength(cluster.length));
  return [
    v.strictObject({ type: v.literal('pc-2a'), txn, ballot, rms: members(cluster), values }),
    v.strictObject({ type: v.literal('pc-2b'), txn, ballot, values }),
    v.strictObject({
      type: v.literal('pc-1a'),
      txn,
      ballot,
      rms: members(cluster),
      instances: members(cluster),
    }),
    v.strictObject({
      type: v.literal('pc-1b'),
      txn,
      ballot,
      reports: v.pipe(
        v.array(v.strictObject({ rm, bal: ballotOrNone, vote: v.nullable(vote) })),
        v.maxLength(cluster.length),
      ),
    }),
    v.strictObject({ type: v.literal('pc-nack'), txn, ballot, promised: count }),
  ] as const;
}

/** Why `msg` is no 2PC message (`field: problem`), or undefined when it is one. */
export const twoPcMessageProblem = perClusterCheck((cluster) =>
  v.variant('type', [...twoPcKinds(cluster)]),
);

/** The same for `twopc-replicated`: 2PC's messages and the outcome consensus's. */
export const replicatedTwoPcMessageProblem = perClusterCheck((cluster) =>
  v.variant('type', [...twoPcKinds(cluster), ...consensusKinds()]),
);

/** The same for Paxos Commit: 2PC's messages and the per-RM Paxos instances'. */
export const paxosCommitMessageProblem = perClusterCheck((cluster) =>
  v.variant('type', [...twoPcKinds(cluster), ...paxosCommitKinds(cluster)]),
);
