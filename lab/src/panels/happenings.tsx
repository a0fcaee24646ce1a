/**
 * What happened, as a list beside the diagram: partitions, crashes, pauses, clock changes,
 * nemesis phases and leader changes, in time order. Clicking one moves the cursor there. It
 * is also the diagram's textual equivalent (the canvas itself cannot be read by a screen reader
 * or a test).
 */
import { formatMs } from '../canvas.js';
import type { DiagramModel } from '../lamport/layout.js';
import type { LeaderSpan } from '../snapshots.js';

export interface Happening {
  readonly t: number;
  readonly kind: string;
  readonly text: string;
}

const MAX_SHOWN = 300;

export function happenings(model: DiagramModel, leaders: readonly LeaderSpan[]): Happening[] {
  const out: Happening[] = [];
  for (const p of model.partitions) {
    out.push({ t: p.start, kind: 'partition', text: `partition ${p.label}` });
    if (Number.isFinite(p.end)) out.push({ t: p.end, kind: 'heal', text: 'partition healed' });
  }
  for (const m of model.faultMarks) {
    const node = model.lanes[m.lane] ?? '?';
    out.push({
      t: m.t,
      kind: m.kind,
      text: `${node} ${m.kind}${m.label !== '' ? ` (${m.label})` : ''}`,
    });
  }
  for (const g of model.globals) {
    out.push({
      t: g.t,
      kind: g.kind,
      text: g.kind === 'invariant' ? `invariant violated: ${g.label}` : g.label,
    });
  }
  for (const s of leaders) {
    out.push({
      t: s.start,
      kind: 'leader',
      text: `${s.node} became leader${s.term !== undefined ? ` (term ${s.term})` : ''}`,
    });
  }
  return out.sort((a, b) => a.t - b.t);
}

export function Happenings(props: {
  readonly items: readonly Happening[];
  readonly onPick: (t: number) => void;
}) {
  const shown = props.items.slice(0, MAX_SHOWN);
  return (
    <div class="happenings" data-testid="happenings">
      {props.items.length === 0 && <p class="muted">No faults or leader changes yet.</p>}
      <ul>
        {shown.map((h, i) => (
          <li
            key={i}
            class={`happening kind-${h.kind}`}
            data-kind={h.kind}
            onClick={() => props.onPick(h.t)}
          >
            <span class="when">{formatMs(h.t)}</span> {h.text}
          </li>
        ))}
      </ul>
      {props.items.length > MAX_SHOWN && (
        <p class="muted">… and {props.items.length - MAX_SHOWN} more</p>
      )}
    </div>
  );
}
