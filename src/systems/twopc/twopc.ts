/**
 * `twopc`: money moves between eight accounts spread over the participants by two-phase
 * commit, coordinated by n1. One operation in five is an audit: a transaction that locks every
 * account and reads the total.
 *
 * Checked: atomicity after every step (no transaction is committed at one node and aborted at
 * another) and conservation in the history (every audit that succeeds sees the initial total).
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import type { NodeId, ProtocolNode } from '../../core/node.js';
import type { Judgement, SystemDefinition } from '../../core/system.js';
import { ACCOUNTS, INITIAL_BALANCE, TwoPcNode } from '../../protocols/twopc/two-phase-commit.js';
import { OutcomeConsensusTwoPcNode } from '../../protocols/twopc/consensus-outcome.js';
import {
  replicatedTwoPcMessageProblem,
  twoPcMessageProblem,
} from '../../protocols/twopc/message-schema.js';
import { twoPcLabViews } from './twopc-lab-views.js';
import { configureTwoPc, twoPcFactory, WORKLOAD_PARAM } from './txn-system.js';
import { txnMessageProblem } from './txn-message-schema.js';

const MAX_AMOUNT = 40;
const AUDIT_EVERY = 5;

export const twoPcSystem: SystemDefinition = {
  name: 'twopc',
  description: 'two-phase commit (presumed abort) moving money between accounts on participants',
  workload: 'custom',
  mutants: [
    {
      name: 'commit-before-all-prepared',
      description: 'the coordinator decides commit on the first yes vote',
    },
    {
      name: 'no-durable-decision',
      description:
        'the coordinator sends commit before its decision record is durable (a crash loses it)',
    },
    {
      name: 'resend-before-durable',
      description:
        'the retry timer re-sends a commit whose record is still being synced (a crash then loses it)',
    },
  ],
  params: [WORKLOAD_PARAM],
  defaultNodes: 4,
  minNodes: 2,
  createNode: (options) =>
    twoPcFactory(
      options,
      (o) => (env) =>
        new TwoPcNode(env, {
          commitBeforeAllPrepared: o.mutant === 'commit-before-all-prepared',
          noDurableDecision: o.mutant === 'no-durable-decision',
          resendBeforeDurable: o.mutant === 'resend-before-durable',
        }),
    ),
  configure: (params) => configureTwoPc(twoPcSystem, params),
  nextOp: (random, _process, issued): Json => {
    if (issued % AUDIT_EVERY === AUDIT_EVERY - 1) return { f: 'audit' };
    const from = random.pick(ACCOUNTS);
    const to = random.pick(ACCOUNTS.filter((a) => a !== from));
    return { f: 'transfer', value: [from, to, 1 + random.int(MAX_AMOUNT)] };
  },
  // Its schema takes list-append's fields too, so a real process can run either workload.
  checkMessage: txnMessageProblem(twoPcMessageProblem),
  judge: (history) => judgeConservation(history),
  labViews: twoPcLabViews,
  checkInvariants: (nodes) => checkAtomicity(nodes),
};

/**
 * `twopc-replicated`: the same transactions, with the outcome of each chosen by one Paxos
 * instance among all nodes (see consensus-outcome.ts), so participants in doubt recover without
 * the coordinator. Not Paxos Commit: that is `paxos-commit` (one instance per participant).
 */
export const twoPcReplicatedSystem: SystemDefinition = {
  ...twoPcSystem,
  name: 'twopc-replicated',
  description:
    '2PC with the outcome chosen by one Paxos instance per transaction (every node an acceptor; not Paxos Commit): a dead coordinator does not block',
  mutants: [],
  defaultNodes: 4,
  minNodes: 3,
  checkMessage: txnMessageProblem(replicatedTwoPcMessageProblem),
  createNode: (options) =>
    twoPcFactory(
      options,
      () => (env) => new OutcomeConsensusTwoPcNode(env, { commitBeforeAllPrepared: false }),
    ),
  configure: (params) => configureTwoPc(twoPcReplicatedSystem, params),
};

/** Every successful audit saw exactly the money there was at the start. */
export function judgeConservation(history: readonly HistoryOp[]): Judgement {
  const total = ACCOUNTS.length * INITIAL_BALANCE;
  let audits = 0;
  for (const op of history) {
    if (op.f !== 'audit' || op.outcome !== 'ok') continue;
    audits++;
    if (op.result !== total) {
      return {
        verdict: 'invalid',
        message: `conservation: audit op ${op.id} saw a total of ${JSON.stringify(op.result)}, not ${total}`,
      };
    }
  }
  return { verdict: 'valid', message: `${audits} successful audit(s) all saw ${total}` };
}

/** No transaction committed at one live node and aborted at another (cheap: latest only). */
export function checkAtomicity(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
  for (const [id, node] of nodes) {
    const latest = (node as TwoPcNode).latestDecision();
    if (latest === null) continue;
    for (const [other, o] of nodes) {
      if (other === id) continue;
      const theirs = (o as TwoPcNode).outcome(latest.txn);
      if (theirs !== undefined && theirs !== latest.commit) {
        const word = (c: boolean): string => (c ? 'committed' : 'aborted');
        return `atomicity: txn ${latest.txn} ${word(latest.commit)} at ${id} but ${word(theirs)} at ${other}`;
      }
    }
  }
  return undefined;
}
