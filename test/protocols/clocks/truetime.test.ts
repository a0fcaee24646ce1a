import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sfc32 } from '../../../src/core/random.js';
import { TrueTime, TrueTimeError } from '../../../src/protocols/clocks/truetime.js';

test('truetime: the interval is the local clock ± ε', () => {
  const tt = new TrueTime(() => 1_000, 7);
  assert.deepEqual(tt.now(), { earliest: 993, latest: 1_007 });
  assert.ok(tt.after(992) && !tt.after(993));
  assert.ok(tt.before(1_008) && !tt.before(1_007));
});

test('truetime: a clock stepping back inside ε does not move the interval back', () => {
  let local = 1_000;
  const tt = new TrueTime(() => local, 5);
  tt.now();
  local = 996;
  assert.deepEqual(tt.now(), { earliest: 995, latest: 1_005 });
});

test('truetime: ε must be a finite number ≥ 0', () => {
  for (const bad of [-1, Number.NaN, Infinity]) {
    assert.throws(
      () => new TrueTime(() => 0, bad),
      (e: unknown) => e instanceof TrueTimeError && e.code === 'invalid-epsilon',
    );
  }
});

/**
 * Commit wait as Spanner does it, over nodes whose clocks err by up to ε: a transaction on node
 * A takes s = TT.now().latest and is released once TT.after(s); any transaction that starts
 * after the release, on any node B, takes a larger timestamp. That is external consistency, and
 * the wait is about 2ε.
 */
test('truetime commit wait: a transaction that starts after another is released gets a later timestamp, on any node', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = new Sfc32(seed, 'commit-wait');
    const epsilon = rnd.range(0.5, 10);
    let trueTime = rnd.range(0, 1_000);
    const offsets = [rnd.range(-epsilon, epsilon), rnd.range(-epsilon, epsilon)];
    const a = new TrueTime(() => trueTime + offsets[0]!, epsilon);
    const b = new TrueTime(() => trueTime + offsets[1]!, epsilon);
    const s = a.now().latest;
    let waited = 0;
    for (let guard = 0; !a.after(s); guard++) {
      assert.ok(guard < 10, `seed ${seed}: commit wait did not end`);
      const wait = a.waitMsUntilAfter(s);
      trueTime += wait;
      waited += wait;
    }
    assert.ok(trueTime > s, `seed ${seed}: released before its timestamp passed in true time`);
    const later = b.now().latest;
    assert.ok(later > s, `seed ${seed}: a later transaction on another node took ${later} ≤ ${s}`);
    assert.ok(waited <= 2 * epsilon + 0.01, `seed ${seed}: waited ${waited} for ε=${epsilon}`);
  }
});

test('truetime commit wait: with a clock past ε the guarantee breaks, as it must', () => {
  let trueTime = 1_000;
  const epsilon = 2;
  const a = new TrueTime(() => trueTime - 10, epsilon); // 10 ms slow: outside ε
  const b = new TrueTime(() => trueTime + 0, epsilon);
  const s = b.now().latest; // B commits at s and waits it out
  while (!b.after(s)) trueTime += b.waitMsUntilAfter(s);
  assert.ok(
    a.now().latest < s,
    'a later transaction on the slow node is ordered before one already released',
  );
});
