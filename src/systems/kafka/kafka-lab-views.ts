/**
 * The kafka system in the lab: each lane shows the node's metadata-quorum role (the active
 * controller leads) and the partitions it leads; each node card draws, per partition replica,
 * its role, leader epoch, high watermark and log end offset; and a chart per partition draws
 * every replica's log end offset (LEO) and high watermark (HW) as the run plays.
 */
import type { Json } from '../../core/json.js';
import {
  perNodeSteps,
  viewNum,
  viewStr,
  type LabPanel,
  type LabRun,
  type LabViews,
  type OutlineLine,
  type ViewSample,
} from '../../core/lab-views.js';
import type { NodeId, NodeView } from '../../core/node.js';
import { partitionName } from './metadata-records.js';

interface ReplicaView {
  readonly role?: Json;
  readonly epoch?: Json;
  readonly leo?: Json;
  readonly hw?: Json;
  readonly isr?: Json;
}

function replicas(view: NodeView | null): Readonly<Record<string, ReplicaView>> {
  const p = view?.partitions;
  return typeof p === 'object' && p !== null && !Array.isArray(p)
    ? (p as Record<string, ReplicaView>)
    : {};
}

function num(v: Json | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/** Lines per replica and measure (`n1 LEO`, `n1 HW`…) of one partition, as steps in time. */
function logChart(partition: string, run: LabRun) {
  const series: { node: NodeId; field: 'leo' | 'hw'; label: string }[] = [];
  for (const node of run.nodes) {
    series.push({ node, field: 'leo', label: `${node} LEO` });
    series.push({ node, field: 'hw', label: `${node} HW` });
  }
  const byLabel = new Map(series.map((s) => [s.label, s]));
  // Each series as a "node" of its own, so the lab's per-node steps draw it.
  const view = (label: string, s: ViewSample): ViewSample => {
    const sr = byLabel.get(label);
    const v = sr === undefined ? undefined : num(replicas(s.view)[partition]?.[sr.field]);
    return { ...s, view: s.view === null ? null : v === undefined ? {} : { v } };
  };
  return perNodeSteps(
    {
      nodes: series.map((s) => s.label),
      end: run.end,
      sent: run.sent,
      samples: (label) => run.samples(byLabel.get(label)?.node ?? label).map((s) => view(label, s)),
    },
    (v) => viewNum(v, 'v'),
  );
}

const PANELS: readonly LabPanel[] = [0, 1, 2].map((i) => {
  const partition = partitionName('t', i);
  return {
    kind: 'chart',
    id: `log-${partition}`,
    title: `${partition}: log end offset and high watermark per replica`,
    yLabel: 'offset',
    stepped: true,
    data: (run: LabRun) => logChart(partition, run),
  };
});

export function replicaLines(view: NodeView): readonly OutlineLine[] {
  return Object.entries(replicas(view))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([p, r]) => ({
      depth: 0,
      text: p,
      note: [
        String(r.role ?? '?'),
        `epoch ${String(r.epoch ?? '?')}`,
        `HW ${String(r.hw ?? '?')} / LEO ${String(r.leo ?? '?')}`,
        ...(Array.isArray(r.isr) ? [`ISR ${r.isr.join(',')}`] : []),
      ].join(' · '),
    }));
}

export const kafkaLabViews: LabViews = {
  lane: (view) => {
    const role = viewStr(view, 'role');
    const led = Object.entries(replicas(view))
      .filter(([, r]) => r.role === 'leader')
      .map(([p, r]) => `${p}★e${String(r.epoch)}`);
    return {
      role: role === 'leader' ? 'controller' : 'broker',
      lead: role === 'leader',
      marks: led,
    };
  },
  panels: PANELS,
  nodeOutline: { field: 'partitions', title: 'partition replicas', lines: replicaLines },
  verdictName: 'no anomaly',
  judgeChecks:
    'no acknowledged write lost, no value at two offsets or two values at one offset, no poll ' +
    'skipping or going back within a consumer, no committed offset going backwards, no failed ' +
    "write read (Jepsen's Kafka analysis)",
};
