/**
 * The stale-member regime (src/sim/stale-member.ts): a member cut off while a node is added back
 * misses the changes that follow, and comes back on the side of the next wiped node as it starts
 * again, the two cut off from the rest. On four nodes with no other fault, seed 2: a voter that
 * missed a promotion and a removal still counts the removed member, and the wiped member's vote
 * makes it a second leader of term 2 under the joining-votes and join-as-voter mutants; the same
 * seed without the regime does not catch them, and the correct Rafts stay valid with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecked } from '../../src/sim/checked-run.js';
import { drawMembership, type MembershipSettings } from '../../src/sim/membership-workload.js';
import { drawStaleMember } from '../../src/sim/stale-member.js';
import { getSystem } from '../../src/systems/index.js';

const system = (name: string) => {
  const s = getSystem(name);
  assert.ok(s !== undefined);
  return s;
};

const BASE: MembershipSettings = {
  pauseMs: 50,
  wipe: 1,
  kill: 0,
  noticeMs: 1000,
  downMs: 20,
  patienceMs: 2000,
  retryMs: 20,
  overlap: 0,
  addAfterMs: 0,
};
const STALE: MembershipSettings = { ...BASE, stale: { maxStaleMs: 5000, pairMs: 1000 } };

const run = (name: string, membership: MembershipSettings, mutant?: string) =>
  runChecked({
    system: system(name),
    seed: 2,
    nodes: 4,
    membership,
    keepTrace: true,
    workload: { ops: 300, clients: 3 },
    ...(mutant !== undefined ? { mutant } : {}),
  });

for (const name of ['kv-raft', 'etcd-raft']) {
  test(`${name}: the stale member meets the wiped one; the correct run stays valid`, () => {
    const r = run(name, STALE);
    const notes = (r.trace ?? []).flatMap((e) =>
      e.e === 'nemesis' && e.plan === 'membership' ? [e.detail] : [],
    );
    assert.ok(
      notes.some((d) => / back with n\d+ alone as n\d+ starts again$/.test(d)),
      notes.join(' | '),
    );
    assert.equal(r.verdict, 'valid', r.failure?.message ?? r.judgement?.message);
  });

  for (const mutant of ['joining-votes', 'join-as-voter']) {
    test(`${name} mutant ${mutant}: caught with the regime, not without it`, () => {
      const caught = run(name, STALE, mutant);
      assert.equal(caught.verdict, 'invalid');
      assert.match(caught.failure?.message ?? '', /election safety: n\d and n\d both leaders/);
      assert.equal(run(name, BASE, mutant).verdict, 'valid');
    });
  }
}

test('the regime is drawn for some membership seeds only, from a stream of its own', () => {
  const raft = system('kv-raft');
  const drawn = Array.from({ length: 40 }, (_, i) => drawMembership(raft, i + 1));
  const stale = drawn.filter((m) => m?.stale !== undefined);
  assert.ok(stale.length > 0 && stale.length < drawn.filter((m) => m !== null).length);
  assert.deepEqual(
    drawn.map((m) => m?.stale),
    drawn.map((m, i) => (m === null ? undefined : (drawStaleMember(i + 1) ?? undefined))),
  );
});

test('on its seeds every removed member is wiped', () => {
  // Drawn wipe chance 0 (BASE with wipe 0): without the regime nothing is wiped.
  const notes = (membership: MembershipSettings) =>
    (run('kv-raft', membership).trace ?? []).flatMap((e) =>
      e.e === 'nemesis' && e.plan === 'membership' ? [e.detail] : [],
    );
  assert.ok(!notes({ ...BASE, wipe: 0 }).some((d) => d.startsWith('wipe ')));
  assert.ok(notes({ ...STALE, wipe: 0 }).some((d) => d.startsWith('wipe ')));
});
