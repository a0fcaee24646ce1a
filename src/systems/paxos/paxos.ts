/**
 * `paxos`: single-decree Paxos, one instance per key. Each client's k-th operation proposes its
 * own value for instance `i<k>`, so all clients contend for the same instance at about the same
 * time, on different nodes: dueling proposers are the normal case, not a corner.
 */
import type { Json } from '../../core/json.js';
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import {
  NO_MUTANTS,
  SingleDecreePaxosNode,
  type PaxosMsg,
} from '../../protocols/paxos/single-decree.js';
import { judgeAgreement } from './agreement.js';

export const PAXOS_MUTANTS = [
  {
    name: 'forget-promise',
    description: 'acceptors answer prepare without making the promise durable',
  },
  {
    name: 'accept-lower-ballot',
    description: 'acceptors accept a ballot lower than the one they promised',
  },
] as const;

const PARAMS = [
  {
    name: 'backoff',
    description:
      "'on' (default): a pre-empted proposer waits a random pause before its next ballot; " +
      "'off': it retries at once (dueling proposers may livelock)",
  },
] as const;

/** Whether proposers back off, from `--param backoff=on|off`. */
export function backoffFrom(params: Readonly<Record<string, string>>): boolean {
  for (const [name, v] of Object.entries(params)) {
    if (name !== 'backoff') throw new Error(`paxos has no parameter '${name}'`);
    if (v !== 'on' && v !== 'off') throw new Error("--param backoff wants 'on' or 'off'");
  }
  return params['backoff'] !== 'off';
}

export const paxosSystem: SystemDefinition = {
  name: 'paxos',
  description: 'single-decree Paxos per instance: proposers, acceptors, learners on every node',
  workload: 'custom',
  mutants: PAXOS_MUTANTS,
  defaultNodes: 3,
  minNodes: 1,
  params: PARAMS,
  createNode(options) {
    const backoff = backoffFrom(options.params ?? {});
    return (env) =>
      new SingleDecreePaxosNode(env as NodeEnv<PaxosMsg>, {
        mutants: {
          ...NO_MUTANTS,
          forgetPromise: options.mutant === 'forget-promise',
          acceptLowerBallot: options.mutant === 'accept-lower-ballot',
        },
        backoff,
      });
  },
  nextOp: (_random, process, issued): Json => ({
    f: 'propose',
    key: `i${issued}`,
    value: `${process}.${issued}`,
  }),
  judge: (history) => judgeAgreement(history),
  checkInvariants: (nodes) => checkLearnedAgree(nodes),
};

/**
 * Learners never disagree, and no learner ever sees two values chosen for one instance. Only one
 * node changes per step, and a disagreement appears at the
 * step where some node learns a value another live node learned differently, so comparing
 * each node's latest decision with the others' is enough, and cheap.
 */
export function checkLearnedAgree(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
  for (const [id, node] of nodes) {
    const conflict = (node as SingleDecreePaxosNode).chosenConflict();
    if (conflict !== null) return `learner ${id} saw two values chosen for ${conflict}`;
    const latest = (node as SingleDecreePaxosNode).latestLearned();
    if (latest === null) continue;
    for (const [other, o] of nodes) {
      if (other === id) continue;
      const theirs = (o as SingleDecreePaxosNode).learnedValue(latest.instance);
      if (theirs !== undefined && theirs !== latest.value) {
        return `learners disagree on ${latest.instance}: ${id} learned ${latest.value}, ${other} learned ${theirs}`;
      }
    }
  }
  return undefined;
}
