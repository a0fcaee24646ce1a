/**
 * Raft in the lab (`kv-raft`, and `etcd-raft` with its revisions): arrows named by what they
 * carry (an append with its entry count and term, a vote with its term), the leader starred,
 * and per node its term, commit index and, for etcd, the store's revision. The lab's default
 * leader chart counts the leaders; linearizability judges the history.
 */
import type { Json } from '../../core/json.js';
import {
  msgField,
  perNodeSteps,
  viewNum,
  viewStr,
  type LabPanel,
  type LabViews,
} from '../../core/lab-views.js';

export function raftLabel(msg: Json): string {
  const type = String(msgField(msg, 'type'));
  const term = msgField(msg, 'term');
  const entries = msgField(msg, 'entries');
  const granted = msgField(msg, 'granted');
  const parts = [type];
  if (Array.isArray(entries)) parts.push(`${entries.length}e`);
  if (typeof granted === 'boolean') parts.push(granted ? 'yes' : 'no');
  if (typeof term === 'number') parts.push(`t${term}`);
  return parts.join(' ');
}

const RAFT_PANELS: readonly LabPanel[] = [
  {
    kind: 'chart',
    id: 'term',
    title: 'Term per node',
    yLabel: 'term',
    stepped: true,
    data: (run) => perNodeSteps(run, (v) => viewNum(v, 'term')),
  },
  {
    kind: 'chart',
    id: 'commit',
    title: 'Commit index per node',
    yLabel: 'index',
    stepped: true,
    data: (run) => perNodeSteps(run, (v) => viewNum(v, 'commit')),
  },
];

function raftLane(view: Readonly<Record<string, Json>>) {
  const role = viewStr(view, 'role');
  const term = viewNum(view, 'term');
  return {
    ...(role !== undefined ? { role } : {}),
    lead: role === 'leader',
    marks: term !== undefined ? [`t${term}`] : [],
  };
}

export const raftLabViews: LabViews = {
  messageLabel: raftLabel,
  lane: raftLane,
  panels: RAFT_PANELS,
};

export const etcdRaftLabViews: LabViews = {
  ...raftLabViews,
  panels: [
    ...RAFT_PANELS,
    {
      kind: 'chart',
      id: 'revision',
      title: "Store revision per node (etcd's MVCC)",
      yLabel: 'revision',
      stepped: true,
      data: (run) => perNodeSteps(run, (v) => viewNum(v, 'revision')),
    },
    {
      kind: 'chart',
      id: 'watch-events',
      // Every put and delete a replica applies is an event its watchers receive (etcd serves a
      // watch from any member, from its own applied store): the lines climb together when the
      // replicas agree, and a lagging replica's watchers hear late.
      title: 'Watch events each replica has sent its watchers (since it started)',
      yLabel: 'events',
      stepped: true,
      data: (run) => perNodeSteps(run, (v) => viewNum(v, 'watchEvents')),
    },
  ],
};
