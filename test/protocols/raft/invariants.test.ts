/**
 * The leader-completeness check of the invariant recorder: a leader of a later term must hold
 * every applied entry, while a leader of an earlier term that wins later in real time (a
 * candidate paused with its votes in hand) need not. Swarm seeds `kv-raft --swarm --seed 65`
 * and `etcd-raft --swarm --seed 60` were false alarms of the stricter check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantRecorder, type LogProbe } from '../../../src/protocols/raft/invariants.js';
import type { Entry } from '../../../src/protocols/raft/messages.js';

const empty: LogProbe = { snapshotIndex: 0, lastIndex: () => 0, term: () => undefined };
const holding = (terms: readonly number[]): LogProbe => ({
  snapshotIndex: 0,
  lastIndex: () => terms.length,
  term: (i) => terms[i - 1],
});
const noop = (term: number): Entry => ({ kind: 'noop', term });

test('leader completeness: a stale-term leader elected after a later commit is no violation', () => {
  const r = new InvariantRecorder();
  r.leader(2, 'n1', empty);
  r.appended('n1', 1, noop(2), 0);
  r.apply('n1', 1, noop(2));
  r.leader(1, 'n2', empty);
  assert.equal(r.violation, undefined);
});

test('leader completeness: a later leader without an applied entry is a violation', () => {
  const r = new InvariantRecorder();
  r.leader(2, 'n1', empty);
  r.apply('n1', 1, noop(2));
  r.leader(3, 'n2', holding([2]));
  assert.equal(r.violation, undefined, 'holding it is fine');
  r.leader(4, 'n3', empty);
  assert.match(r.violation ?? '', /^leader completeness: n3 leads term 4 without entry 1/);
});
