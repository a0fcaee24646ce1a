import { test } from 'node:test';
import assert from 'node:assert/strict';
import { playbackHint, playbackState, type PlaybackRun } from '../../lab/src/playback-state.js';

const run = (p: Partial<PlaybackRun>): PlaybackRun => ({
  now: 0,
  done: false,
  goingOn: false,
  over: false,
  ...p,
});

test('a new run waits at t = 0 and says what to do; later states follow the run', () => {
  assert.equal(playbackState(null, false), 'none');
  assert.equal(playbackState(run({}), false), 'ready');
  assert.match(playbackHint('ready'), /t = 0.*fault/);
  assert.equal(playbackState(run({}), true), 'playing');
  assert.equal(playbackState(run({ now: 12 }), false), 'paused');
  assert.equal(playbackState(run({ now: 900, done: true }), false), 'workload-ended');
  assert.match(playbackHint('workload-ended'), /go on, nodes only/);
  assert.equal(playbackState(run({ now: 900, done: true, goingOn: true }), true), 'going-on');
  assert.equal(
    playbackState(run({ now: 900, done: true, goingOn: true }), false),
    'going-on-paused',
  );
  assert.equal(playbackState(run({ now: 900, done: true, over: true }), false), 'over');
});
