/**
 * Each node's state at the scrubbed time, from the latest `inspect()` snapshot at or before it.
 * Role, term and leader get badges; a `log` array is drawn as cells with the commit and apply
 * points marked when the view reports them (Raft-like systems do); the field a system names as
 * its outline (LabViews.nodeOutline: ZooKeeper's znode tree) is drawn indented, one line per
 * item; other fields are listed.
 */
import type { Json } from '../../../src/core/json.js';
import type { NodeOutline } from '../../../src/core/lab-views.js';
import type { NodeView } from '../../../src/core/node.js';
import { formatMs } from '../canvas.js';
import type { NodeSnapshot, SnapshotStore } from '../snapshots.js';

const BADGE_FIELDS = new Set(['role', 'term', 'leader']);
/** Field names a view may use for how far its log is committed / applied (1-based counts). */
const COMMIT_FIELDS = ['commitIndex', 'commit', 'committed'];
const APPLY_FIELDS = ['lastApplied', 'applied', 'applyIndex'];
const LOG_CELLS = 40;

export function NodeStates(props: {
  readonly nodes: readonly string[];
  readonly snapshots: SnapshotStore;
  readonly cursor: number;
  readonly outline?: NodeOutline | undefined;
}) {
  return (
    <div class="node-states" data-testid="node-states">
      {props.nodes.map((node) => (
        <NodeCard
          key={node}
          node={node}
          snapshot={props.snapshots.at(node, props.cursor)}
          outline={props.outline}
        />
      ))}
    </div>
  );
}

function NodeCard(props: {
  readonly node: string;
  readonly snapshot: NodeSnapshot | undefined;
  readonly outline: NodeOutline | undefined;
}) {
  const s = props.snapshot;
  const view = s?.view ?? null;
  const role = typeof view?.role === 'string' ? view.role : undefined;
  const cls = `node-card status-${s?.status ?? 'none'}${role === 'leader' ? ' is-leader' : ''}`;
  return (
    <div class={cls} data-node={props.node} data-role={role ?? ''}>
      <div class="node-head">
        <strong>{props.node}</strong>
        <span class={`badge status`}>{s === undefined ? 'not started' : s.status}</span>
        {role !== undefined && <span class={`badge role role-${role}`}>{role}</span>}
        {view?.term !== undefined && <span class="badge">term {String(view.term)}</span>}
        {view?.leader !== undefined && view.leader !== null && (
          <span class="badge">leader {String(view.leader)}</span>
        )}
      </div>
      {s !== undefined && Math.abs(s.clockOffset) >= 1 && (
        <div class="clock-skew">
          clock {s.clockOffset > 0 ? '+' : '−'}
          {formatMs(Math.abs(s.clockOffset))}
        </div>
      )}
      {view !== null && <ViewFields view={view} outline={props.outline} />}
      {s !== undefined && <div class="snap-time">as of {formatMs(s.t)}</div>}
    </div>
  );
}

function ViewFields(props: { readonly view: NodeView; readonly outline: NodeOutline | undefined }) {
  const entries = Object.entries(props.view).filter(([k]) => !BADGE_FIELDS.has(k));
  const outline = props.outline;
  const commit = firstNumber(props.view, COMMIT_FIELDS);
  const applied = firstNumber(props.view, APPLY_FIELDS);
  return (
    <dl class="view-fields">
      {entries.map(([k, v]) =>
        outline !== undefined && k === outline.field ? (
          <div key={k} class="field outline-field" data-testid="node-outline">
            <dt>{outline.title}</dt>
            <dd>
              <Outline outline={outline} view={props.view} />
            </dd>
          </div>
        ) : k === 'log' && Array.isArray(v) ? (
          <div key={k} class="field log-field">
            <dt>log ({v.length})</dt>
            <dd>
              <LogCells log={v} commit={commit} applied={applied} />
            </dd>
          </div>
        ) : (
          <div key={k} class="field">
            <dt>{k}</dt>
            <dd>{short(v)}</dd>
          </div>
        ),
      )}
    </dl>
  );
}

/** One line per item, indented by depth, its note dimmer after it. */
function Outline(props: { readonly outline: NodeOutline; readonly view: NodeView }) {
  const lines = props.outline.lines(props.view);
  return (
    <ul class="outline">
      {lines.map((l, i) => (
        <li key={i} style={{ paddingLeft: `${l.depth * 0.9}em` }} data-depth={l.depth}>
          <span class="outline-text">{l.text}</span>
          {l.note !== undefined && <span class="outline-note">{l.note}</span>}
        </li>
      ))}
    </ul>
  );
}

/** The log's last entries as cells; committed ones solid, applied ones ticked. */
function LogCells(props: {
  readonly log: readonly Json[];
  readonly commit: number | undefined;
  readonly applied: number | undefined;
}) {
  const first = Math.max(0, props.log.length - LOG_CELLS);
  return (
    <div class="log-cells">
      {first > 0 && <span class="log-more">… {first}</span>}
      {props.log.slice(first).map((entry, i) => {
        const index = first + i + 1;
        const committed = props.commit !== undefined && index <= props.commit;
        const applied = props.applied !== undefined && index <= props.applied;
        return (
          <span
            key={index}
            class={`log-cell${committed ? ' committed' : ''}${applied ? ' applied' : ''}`}
            title={`#${index} ${JSON.stringify(entry)}`}
          >
            {cellText(entry)}
          </span>
        );
      })}
    </div>
  );
}

function cellText(entry: Json): string {
  if (typeof entry === 'object' && entry !== null && !Array.isArray(entry) && 'term' in entry)
    return String(entry.term);
  return short(entry).slice(0, 3);
}

function firstNumber(view: NodeView, fields: readonly string[]): number | undefined {
  for (const f of fields) {
    const v = view[f];
    if (typeof v === 'number') return v;
  }
  return undefined;
}

function short(v: Json): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
