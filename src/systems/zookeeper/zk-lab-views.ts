/**
 * The zookeeper system in the lab: each lane shows the server's Zab role (the leader leads) with
 * its epoch and the zxid its ZooKeeper state has reached; each node card draws the server's
 * znode tree (zk-tree-view.ts) as an outline; and the verdict names what the judge checks.
 */
import type { Json } from '../../core/json.js';
import {
  viewNum,
  viewStr,
  type LabViews,
  type NodeOutline,
  type OutlineLine,
} from '../../core/lab-views.js';
import type { NodeView } from '../../core/node.js';

function isRow(x: Json): x is [string, number, string, number] {
  return (
    Array.isArray(x) &&
    x.length === 4 &&
    typeof x[0] === 'string' &&
    typeof x[1] === 'number' &&
    typeof x[2] === 'string' &&
    typeof x[3] === 'number'
  );
}

/** One line per znode: its name indented under its parent, then version, data and owner. */
export function znodeLines(view: NodeView): readonly OutlineLine[] {
  const rows = view.znodes;
  if (!Array.isArray(rows)) return [];
  const lines: OutlineLine[] = [];
  for (const row of rows) {
    if (!isRow(row)) continue;
    const [path, version, data, owner] = row;
    const parts = path === '/' ? [] : path.split('/').slice(1);
    const note = [
      `v${version}`,
      ...(data !== '' ? [data] : []),
      ...(owner !== 0 ? [`eph s${owner}`] : []),
    ];
    lines.push({ depth: parts.length, text: parts.at(-1) ?? '/', note: note.join(' · ') });
  }
  const count = viewNum(view, 'znodeCount');
  if (count !== undefined && count > lines.length) {
    lines.push({ depth: 0, text: `… ${count - lines.length} more` });
  }
  return lines;
}

const znodeTree: NodeOutline = { field: 'znodes', title: 'znodes', lines: znodeLines };

export const zkLabViews: LabViews = {
  lane: (view) => {
    const state = viewStr(view, 'state');
    const epoch = viewNum(view, 'epoch');
    const zxid = viewNum(view, 'zxid');
    return {
      ...(state !== undefined ? { role: state } : {}),
      lead: state === 'leading',
      marks: [
        ...(epoch !== undefined ? [`epoch ${epoch}`] : []),
        ...(zxid !== undefined ? [`zxid ${zxid}`] : []),
      ],
    };
  },
  nodeOutline: znodeTree,
  verdictName: 'sequential per client',
  judgeChecks:
    'no client is answered from an older zxid than one it has seen, no two writes share a ' +
    'zxid, a multi applies all or nothing, a sync answers past every acknowledged write, ' +
    'watches fire at most once and before the state that follows, and the resource the lock ' +
    'protects accepts no token below one that acted; ' +
    "the writes' linearizability is the znode model's",
};
