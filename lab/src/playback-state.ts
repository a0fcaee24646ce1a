/**
 * Where playback stands, as the controls show it. A run opens paused at t = 0 so that a
 * newcomer has time to choose a fault before anything happens; at the workload's end it stops,
 * and may go on with no clients (faults and heals still possible) until the user ends it.
 */
export type PlaybackState =
  /** No run yet (files opened, or nothing chosen). */
  | 'none'
  /** A run made and not started: at t = 0. */
  | 'ready'
  | 'playing'
  | 'paused'
  /** The workload has ended and the run is judged; it may go on. */
  | 'workload-ended'
  /** Going on after the workload, paused. */
  | 'going-on-paused'
  /** Going on after the workload, playing. */
  | 'going-on'
  /** Ended for good. */
  | 'over';

/** The part of a RunController playback looks at (tests pass plain objects). */
export interface PlaybackRun {
  readonly now: number;
  readonly done: boolean;
  readonly goingOn: boolean;
  readonly over: boolean;
}

export function playbackState(run: PlaybackRun | null, playing: boolean): PlaybackState {
  if (run === null) return 'none';
  if (run.over) return 'over';
  if (run.goingOn) return playing ? 'going-on' : 'going-on-paused';
  if (run.done) return 'workload-ended';
  if (playing) return 'playing';
  return run.now === 0 ? 'ready' : 'paused';
}

/** One line under the playback buttons: what the state means and what can be done next. */
export function playbackHint(state: PlaybackState): string {
  switch (state) {
    case 'none':
      return '';
    case 'ready':
      return 'Paused at t = 0: choose a fault below now, or press Play.';
    case 'playing':
      return 'Pause playback to choose the moment of a fault.';
    case 'paused':
      return 'Playback paused: faults apply at this instant.';
    case 'workload-ended':
      return 'The workload is over and the run is judged. It can go on, nodes only, no clients: faults and heals still apply.';
    case 'going-on':
    case 'going-on-paused':
      return 'Going on without clients; End run judges the nodes as they are then.';
    case 'over':
      return 'The run has ended.';
  }
}
