/**
 * The legend's name for each kind of thing the diagram draws. Typed as records over the
 * model's kinds, so a new kind does not compile until it has a legend entry; the legend
 * (panels/legend.tsx) shows one entry per name, and the Chromium test checks that it does.
 */
import type { GlobalMark, LaneIntervalKind, LaneMarkKind, MessageEnd } from './layout.js';

export const MESSAGE_MARKS: Readonly<Record<MessageEnd, string>> = {
  delivered: 'message',
  'in-flight': 'in-flight',
  partition: 'drop-partition',
  loss: 'drop-loss',
  down: 'drop-down',
};

export const INTERVAL_MARKS: Readonly<Record<LaneIntervalKind, string>> = {
  down: 'down',
  paused: 'paused',
  clock: 'clock-skew',
};

export const LANE_MARKS: Readonly<Record<LaneMarkKind, string>> = {
  crash: 'crash',
  restart: 'restart',
  pause: 'pause',
  resume: 'pause',
  clock: 'clock',
  timer: 'timer',
  request: 'client',
  reply: 'client',
};

export const GLOBAL_MARKS: Readonly<Record<GlobalMark['kind'], string>> = {
  'nemesis-fault': 'nemesis-fault',
  'nemesis-heal': 'nemesis-heal',
  link: 'link',
  invariant: 'invariant',
};

/** Drawn without a model kind of their own. */
export const OTHER_MARKS = ['duplicate', 'density', 'leader', 'partition', 'cursor'] as const;

/** Every name the legend must show. */
export function legendMarks(): string[] {
  return [
    ...new Set([
      ...Object.values(MESSAGE_MARKS),
      ...Object.values(INTERVAL_MARKS),
      ...Object.values(LANE_MARKS),
      ...Object.values(GLOBAL_MARKS),
      ...OTHER_MARKS,
    ]),
  ].sort();
}
