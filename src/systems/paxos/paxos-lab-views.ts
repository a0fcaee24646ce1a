/**
 * Paxos in the lab. A ballot is `round × 1000 + proposer index` (protocols/paxos/ballot.ts), so
 * arrows and charts show it as round.proposer, which says both how often proposers competed and
 * who won. Single-decree `paxos` runs one instance per key: its views are the ballots started and
 * the instances each node learned; Multi-Paxos (`kv-paxos`) has a leader, a ballot per node and
 * a prefix of decided log slots.
 */
import type { Json } from '../../core/json.js';
import { msgField, perNodeSteps, viewNum, viewStr, type LabViews } from '../../core/lab-views.js';
import { roundOf } from '../../protocols/paxos/ballot.js';

/** `round.proposer` for a ballot number (the proposer index is the remainder). */
export function ballotText(ballot: number): string {
  return ballot === 0 ? '0' : `${roundOf(ballot)}.${ballot - roundOf(ballot) * 1000}`;
}

export function paxosLabel(msg: Json): string {
  const type = String(msgField(msg, 'type'));
  const ballot = msgField(msg, 'ballot');
  const slot = msgField(msg, 'slot');
  const parts = [type];
  if (typeof ballot === 'number') parts.push(`b${ballotText(ballot)}`);
  if (typeof slot === 'number') parts.push(`s${slot}`);
  return parts.join(' ');
}

/** Single-decree Paxos (`paxos`). */
export const paxosLabViews: LabViews = {
  messageLabel: paxosLabel,
  lane: (view) => ({
    role: 'proposer · acceptor',
    marks: [`learned ${viewNum(view, 'learned') ?? 0}`],
  }),
  panels: [
    {
      kind: 'chart',
      id: 'learned',
      title: 'Instances learned (decided) per node',
      yLabel: 'instances',
      stepped: true,
      data: (run) => perNodeSteps(run, (v) => viewNum(v, 'learned')),
    },
    {
      kind: 'chart',
      id: 'ballots',
      title: 'Ballots started per node (each one a competing proposal)',
      yLabel: 'ballots',
      stepped: true,
      data: (run) => perNodeSteps(run, (v) => viewNum(v, 'ballotsStarted')),
    },
  ],
  verdictName: 'agreement',
  judgeChecks:
    'every answer to a proposal on a key is the same value, and that value was proposed by someone',
};

/** Multi-Paxos under a KV (`kv-paxos`): linearizability judges it; these show how it got there. */
export const multiPaxosLabViews: LabViews = {
  messageLabel: paxosLabel,
  lane: (view) => {
    const role = viewStr(view, 'role');
    const ballot = viewNum(view, 'ballot');
    return {
      ...(role !== undefined ? { role } : {}),
      lead: role === 'leader',
      marks: ballot !== undefined ? [`b${ballotText(ballot)}`] : [],
    };
  },
  panels: [
    {
      kind: 'chart',
      id: 'ballot-round',
      title: 'Ballot round per node',
      yLabel: 'round',
      stepped: true,
      data: (run) =>
        perNodeSteps(run, (v) => {
          const b = viewNum(v, 'ballot');
          return b === undefined ? undefined : roundOf(b);
        }),
    },
    {
      kind: 'chart',
      id: 'decided',
      title: 'Decided log slots applied per node',
      yLabel: 'slots',
      stepped: true,
      data: (run) => perNodeSteps(run, (v) => viewNum(v, 'applied')),
    },
  ],
};
