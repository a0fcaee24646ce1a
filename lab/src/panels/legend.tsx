/**
 * The diagram's legend: every mark `lamport/draw.ts` can draw, each shown as drawn (same
 * colours, same shapes), so nothing on the canvas goes unexplained.
 */
import type { ComponentChildren } from 'preact';
import { COLORS } from '../canvas.js';

const W = 22;
const H = 14;
const MID = H / 2;

function Icon(props: { readonly children: ComponentChildren }) {
  return (
    <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} aria-hidden="true" class="legend-icon">
      {props.children}
    </svg>
  );
}

const line = (color: string, width = 1.5, dash?: string) => (
  <line
    x1={1}
    y1={MID}
    x2={W - 1}
    y2={MID}
    stroke={color}
    stroke-width={width}
    {...(dash !== undefined ? { 'stroke-dasharray': dash } : {})}
  />
);
const band = (color: string, h = 10) => (
  <rect x={1} y={MID - h / 2} width={W - 2} height={h} fill={color} />
);
const cross = (color: string, r = 4, width = 1.5) => (
  <path
    d={`M${W / 2 - r} ${MID - r}L${W / 2 + r} ${MID + r}M${W / 2 - r} ${MID + r}L${W / 2 + r} ${MID - r}`}
    stroke={color}
    stroke-width={width}
  />
);
const vertical = (color: string, width = 1, dash?: string) => (
  <line
    x1={W / 2}
    y1={0}
    x2={W / 2}
    y2={H}
    stroke={color}
    stroke-width={width}
    {...(dash !== undefined ? { 'stroke-dasharray': dash } : {})}
  />
);

/** One entry per mark kind; `mark` names it for tests. */
export const LEGEND: readonly {
  readonly mark: string;
  readonly text: string;
  readonly icon: ComponentChildren;
}[] = [
  {
    mark: 'message',
    text: 'message, send → delivery (arrowhead once zoomed in)',
    icon: (
      <>
        {line(COLORS.message)}
        <path d={`M${W - 1} ${MID}l-6 -3v6z`} fill={COLORS.message} />
      </>
    ),
  },
  { mark: 'duplicate', text: 'second copy of a duplicated message', icon: line(COLORS.duplicate) },
  { mark: 'in-flight', text: 'still in flight', icon: line(COLORS.inFlight, 1.5, '4 3') },
  {
    mark: 'density',
    text: 'zoomed out: messages crossing between lanes per time bin (darker = more; red core = drops)',
    icon: (
      <>
        <rect x={1} y={2} width={5} height={10} fill="rgba(45, 105, 180, 0.2)" />
        <rect x={7} y={2} width={5} height={10} fill="rgba(45, 105, 180, 0.45)" />
        <rect x={13} y={2} width={5} height={10} fill="rgba(45, 105, 180, 0.7)" />
        <rect x={13} y={MID - 2} width={5} height={4} fill="rgba(214, 69, 69, 0.8)" />
      </>
    ),
  },
  { mark: 'drop-partition', text: 'dropped by a partition', icon: cross(COLORS.dropPartition) },
  { mark: 'drop-loss', text: 'lost on the link', icon: cross(COLORS.dropLoss) },
  { mark: 'drop-down', text: 'sent to a node that is down', icon: cross(COLORS.dropDown) },
  { mark: 'leader', text: 'leader (★, thick lane)', icon: line(COLORS.leader, 5) },
  { mark: 'down', text: 'node down (crashed)', icon: band(COLORS.down) },
  { mark: 'paused', text: 'node paused (process frozen)', icon: band(COLORS.paused) },
  { mark: 'clock-skew', text: 'clock skewed', icon: line(COLORS.clock, 2, '5 4') },
  {
    mark: 'partition',
    text: 'partition: the sides it cuts (tints); one-way cuts tint all lanes red',
    icon: (
      <>
        <rect x={1} y={1} width={10} height={12} fill="rgba(66, 135, 245, 0.3)" />
        <rect x={11} y={1} width={10} height={12} fill="rgba(245, 160, 66, 0.35)" />
      </>
    ),
  },
  { mark: 'crash', text: 'crash', icon: cross(COLORS.crash, 5, 3) },
  {
    mark: 'restart',
    text: 'restart',
    icon: <path d={`M${W / 2 - 4} ${MID - 6}l9 6l-9 6z`} fill={COLORS.restart} />,
  },
  {
    mark: 'pause',
    text: 'node paused · resumed',
    icon: (
      <>
        <rect x={3} y={1} width={3} height={12} fill="#7a4bc4" />
        <rect x={8} y={1} width={3} height={12} fill="#7a4bc4" />
        <path d={`M14 1l7 6l-7 6z`} fill="#7a4bc4" />
      </>
    ),
  },
  {
    mark: 'clock',
    text: 'clock changed (offset, drift)',
    icon: <circle cx={W / 2} cy={MID} r={5} fill={COLORS.clock} />,
  },
  {
    mark: 'timer',
    text: 'timer fired (zoomed in)',
    icon: <line x1={W / 2} y1={MID - 4} x2={W / 2} y2={MID + 4} stroke="#8895a3" />,
  },
  {
    mark: 'client',
    text: 'client request (above the lane) · reply (below), zoomed in',
    icon: (
      <>
        {line(COLORS.lane, 1)}
        <rect x={6} y={MID - 6} width={3} height={4} fill="#2f9e5b" />
        <rect x={13} y={MID + 2} width={3} height={4} fill="#1b6e3e" />
      </>
    ),
  },
  { mark: 'nemesis-fault', text: 'nemesis strikes', icon: vertical(COLORS.faultLine, 1, '3 3') },
  { mark: 'nemesis-heal', text: 'nemesis heals', icon: vertical(COLORS.healLine, 1, '3 3') },
  { mark: 'link', text: 'link faults change', icon: vertical(COLORS.clock, 1, '3 3') },
  { mark: 'invariant', text: 'invariant violated', icon: vertical(COLORS.faultLine, 3) },
  { mark: 'cursor', text: 'time cursor', icon: vertical(COLORS.cursor, 1.5) },
];

export function Legend() {
  return (
    <section class="legend" data-testid="legend">
      <h2>Legend</h2>
      <ul>
        {LEGEND.map((e) => (
          <li key={e.mark} data-mark={e.mark}>
            <Icon>{e.icon}</Icon> {e.text}
          </li>
        ))}
        <li>Wheel: zoom · drag: pan · click: move cursor</li>
      </ul>
    </section>
  );
}
