/**
 * `paxos`: single-decree Paxos, one instance per key. Each client's k-th operation proposes its
 * own value for instance `i<k>`, so all clients contend for the same instance at about the same
 * time, on different nodes: dueling proposers are the normal case, not a corner.
 */
import type { Json } from '../../core/json.js';
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import {
  DEFAULT_MAX_BALLOTS,
  NO_MUTANTS,
  SingleDecreePaxosNode,
  type PaxosMsg,
} from '../../protocols/paxos/single-decree.js';
import { judgeAgreement } from './agreement.js';
import { paxosMessageProblem } from '../../protocols/paxos/message-schema.js';
import { paxosLabViews } from './paxos-lab-views.js';

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
  {
    name: 'max-ballots',
    description:
      `ballots a proposer starts for one instance before it gives up (${DEFAULT_MAX_BALLOTS}); ` +
      'raise it to see how long a duel really lasts',
  },
] as const;

/** A bad `--param` for `paxos`; `field` names the parameter (the CLI prints the message). */
export class PaxosParamError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'PaxosParamError';
  }
}

export interface PaxosParams {
  readonly backoff: boolean;
  readonly maxBallots: number;
}

/** `--param backoff=on|off` and `--param max-ballots=N`, checked. */
export function paxosParams(params: Readonly<Record<string, string>>): PaxosParams {
  let backoff = true;
  let maxBallots = DEFAULT_MAX_BALLOTS;
  for (const [name, v] of Object.entries(params)) {
    switch (name) {
      case 'backoff':
        if (v !== 'on' && v !== 'off') {
          throw new PaxosParamError(name, `--param backoff=${v}: 'on' or 'off'`);
        }
        backoff = v === 'on';
        break;
      case 'max-ballots': {
        const n = Number(v);
        if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) {
          throw new PaxosParamError(name, `--param max-ballots=${v}: a whole number ≥ 1`);
        }
        maxBallots = n;
        break;
      }
      default:
        throw new PaxosParamError(
          name,
          `paxos has no parameter '${name}' (choose from ${PARAMS.map((p) => p.name).join(', ')})`,
        );
    }
  }
  return { backoff, maxBallots };
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
    const { backoff, maxBallots } = paxosParams(options.params ?? {});
    return (env) =>
      new SingleDecreePaxosNode(env as NodeEnv<PaxosMsg>, {
        mutants: {
          ...NO_MUTANTS,
          forgetPromise: options.mutant === 'forget-promise',
          acceptLowerBallot: options.mutant === 'accept-lower-ballot',
        },
        backoff,
        maxBallots,
      });
  },
  nextOp: (_random, process, issued): Json => ({
    f: 'propose',
    key: `i${issued}`,
    value: `${process}.${issued}`,
  }),
  checkMessage: paxosMessageProblem,
  judge: (history) => judgeAgreement(history),
  labViews: paxosLabViews,
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
