/**
 * `paxos-commit`: the `twopc` workload (transfers and audits over eight accounts) committed by
 * Gray and Lamport's Paxos Commit (src/protocols/twopc/paxos-commit.ts): one Paxos instance per
 * participant's vote, 2F + 1 acceptors (`--param F=…`, default 1: the last 2F + 1 nodes). Checked
 * as `twopc` is (atomicity after every step, conservation on the history), and after every step
 * no acceptor is sent two different votes for one instance in one ballot.
 */
import type { NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import {
  acceptorsOf,
  checkF,
  PaxosCommitNode,
  PaxosCommitParamError,
  type PaxosCommitMutants,
} from '../../protocols/twopc/paxos-commit.js';
import { checkAtomicity, twoPcSystem } from './twopc.js';
import { paxosCommitMessageProblem } from '../../protocols/twopc/message-schema.js';
import { configureTwoPc, twoPcFactory, WORKLOAD_PARAM } from './txn-system.js';
import { txnMessageProblem } from './txn-message-schema.js';

const PARAMS = [
  {
    name: 'F',
    description:
      'faults tolerated: 2F + 1 acceptors, the last nodes of the cluster (default 1; needs 2F + 1 ≤ nodes)',
  },
] as const;

/** F from `--param F=…`: an integer in [0, 50] (the cluster size is checked when nodes start). */
export function paxosCommitF(params: Readonly<Record<string, string>>): number {
  for (const name of Object.keys(params)) {
    if (name !== 'F' && name !== WORKLOAD_PARAM.name)
      throw new PaxosCommitParamError('bad-f', `paxos-commit has no parameter '${name}'`);
  }
  const raw = params['F'] ?? '1';
  const f = Number(raw);
  if (raw.trim() === '') throw new PaxosCommitParamError('bad-f', 'paxos-commit: F is empty');
  return checkF(f);
}

export const paxosCommitSystem: SystemDefinition = {
  ...twoPcSystem,
  name: 'paxos-commit',
  description:
    "Gray and Lamport's Paxos Commit: one Paxos instance per participant's vote among 2F + 1 acceptors; a dead coordinator does not block",
  mutants: [
    {
      name: 'ack-before-sync',
      description: 'an acceptor answers phase 2b before its acceptance is durable',
    },
    {
      name: 'skip-phase1-on-recovery',
      description: 'a recovering leader proposes Aborted without running phase 1 first',
    },
    {
      name: 'forget-abort-vote',
      description:
        'an RM sends its Aborted vote (ballot 0) before it is durable: a restart may let it vote Prepared in the same ballot',
    },
    {
      name: 'forget-released-vote',
      description:
        'an RM forgets a transaction it prepared once it learns the abort: after a restart a late duplicate prepare draws a second vote in ballot 0',
    },
  ],
  params: [...PARAMS, WORKLOAD_PARAM],
  defaultNodes: 4,
  minNodes: 3,
  // Its schema takes list-append's fields too, so a real process can run either workload.
  checkMessage: txnMessageProblem(paxosCommitMessageProblem),
  createNode: (options) =>
    twoPcFactory(options, (o) => {
      const f = paxosCommitF(o.params ?? {});
      if (o.cluster !== undefined) acceptorsOf(o.cluster, f);
      const mutants: PaxosCommitMutants = {
        ackBeforeSync: o.mutant === 'ack-before-sync',
        skipPhase1OnRecovery: o.mutant === 'skip-phase1-on-recovery',
        forgetAbortVote: o.mutant === 'forget-abort-vote',
        forgetReleasedVote: o.mutant === 'forget-released-vote',
      };
      return (env) => new PaxosCommitNode(env, { f, mutants });
    }),
  configure: (params) => configureTwoPc(paxosCommitSystem, params),
  checkInvariants: (nodes) => checkAtomicity(nodes) ?? checkOneValuePerBallot(nodes),
};

/**
 * No acceptor is sent two different votes for one instance in one ballot: Paxos' rule that a
 * ballot carries one value, without which two values can each be chosen (an RM's instance
 * Aborted for the leader and Prepared for a recovery that reads the acceptors later).
 */
export function checkOneValuePerBallot(
  nodes: ReadonlyMap<NodeId, ProtocolNode>,
): string | undefined {
  for (const [id, node] of nodes) {
    if (!(node instanceof PaxosCommitNode)) {
      throw new Error(`paxos-commit: node ${id} is not a Paxos Commit node`);
    }
    const seen = node.secondValueInBallot();
    if (seen !== null) return `one value per ballot: acceptor ${id}: ${seen}`;
  }
  return undefined;
}
