/**
 * The readiness judge (src/sim/readiness.ts): a learner the system reports promoted must have
 * been handed some message since the admin wiped it. The promote-unready mutant (a promotion
 * granted however far behind the learner is) promotes a wiped node that has not started yet;
 * the correct Raft refuses until the learner holds its own configuration entry, so the judge
 * never fires on it, however the learner catches up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecked } from '../../src/sim/checked-run.js';
import type { MembershipSettings } from '../../src/sim/membership-workload.js';
import { judgeReadiness } from '../../src/sim/readiness.js';
import type { RunResult } from '../../src/sim/run.js';
import { getSystem } from '../../src/systems/index.js';

const system = (name: string) => {
  const s = getSystem(name);
  assert.ok(s !== undefined);
  return s;
};

/** Every removed member wiped and added back before it starts again (etcd's order), 400 ms later. */
const SLOW_START: MembershipSettings = {
  pauseMs: 50,
  wipe: 1,
  kill: 0,
  noticeMs: 1000,
  downMs: 400,
  patienceMs: 2000,
  retryMs: 20,
  overlap: 0,
  addAfterMs: 0,
};

const promotions = (r: RunResult): string[] =>
  (r.trace ?? []).flatMap((e) =>
    e.e === 'nemesis' && e.plan === 'membership' && /^promote .*: done/.test(e.detail)
      ? [e.detail]
      : [],
  );

const run = (name: string, mutant?: string) =>
  runChecked({
    system: system(name),
    seed: 5,
    nodes: 3,
    membership: SLOW_START,
    keepTrace: true,
    workload: { ops: 300, clients: 3 },
    ...(mutant !== undefined ? { mutant } : {}),
  });

for (const name of ['kv-raft', 'etcd-raft']) {
  test(`${name}: every wiped learner promoted had caught up; the run is valid`, () => {
    const r = run(name);
    assert.ok(promotions(r).length > 0, 'no promotion happened');
    assert.equal(r.verdict, 'valid', r.failure?.message ?? r.judgement?.message);
  });

  test(`${name} mutant promote-unready: a wiped learner promoted before it started`, () => {
    const r = run(name, 'promote-unready');
    assert.equal(r.verdict, 'invalid');
    assert.match(r.judgement?.message ?? '', /promotion of a learner holding nothing/);
  });
}

test('the judge names the first unready promotion and counts the rest', () => {
  assert.equal(judgeReadiness([]).verdict, 'valid');
  const j = judgeReadiness(['a', 'b', 'c']);
  assert.equal(j.verdict, 'invalid');
  assert.equal(j.message, 'promotion of a learner holding nothing: a (and 2 more)');
});
