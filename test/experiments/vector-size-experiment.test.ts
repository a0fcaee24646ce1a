/**
 * vector-size: a clock holds one entry per actor that writes the key. Per-client version vectors
 * grow with the writing clients, and so do the Dynamo store's server-id clocks when every node
 * coordinates; coordinated within the key's preference list (as Dynamo did) they stay at N
 * actors whatever the cluster's size — which is why the seed's "> 10 nodes" is refuted as stated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor } from '../../src/core/random.js';
import { getExperiment } from '../../src/experiments/registry.js';
import {
  measureModules,
  measureStore,
  storeClock,
  vectorSizeVerdict,
} from '../../src/experiments/vector-size.js';

test('vector-size modules: per-client vectors hold one entry per writer; per-server ones and DVVSets three', () => {
  const random = streamFor(3, 'test:vector-size');
  for (const writers of [3, 10, 20]) {
    const m = measureModules(writers, 6, random);
    assert.equal(m['vv-per-client'].maxActors, writers);
    assert.ok(m['vv-per-server'].maxActors <= 3);
    assert.ok(m.dvvset.maxActors <= 3);
    // One vector per key keeps seen values as siblings; a DVVSet only the concurrent ones.
    assert.ok(m.dvvset.maxSiblings <= m['vv-per-server'].maxSiblings);
  }
  const small = measureModules(3, 6, streamFor(4, 'test:vector-size'));
  const big = measureModules(20, 6, streamFor(4, 'test:vector-size'));
  assert.ok(big['vv-per-client'].meanClockBytes > 3 * small['vv-per-client'].meanClockBytes);
  assert.ok(big.dvvset.meanClockBytes < 2 * small.dvvset.meanClockBytes);
});

test('vector-size store: every node coordinating puts every node in the clock; the preference list bounds it at N', () => {
  for (const clocks of ['dvv', 'vv'] as const) {
    const own = measureStore({ seed: 5, writers: 20, clocks, coordinator: 'own-node', rounds: 3 });
    const prefs = measureStore({
      seed: 5,
      writers: 20,
      clocks,
      coordinator: 'preference-list',
      rounds: 3,
    });
    assert.equal(own.failed + prefs.failed, 0);
    assert.equal(own.maxActors, 20, `${clocks}: ${JSON.stringify(own)}`);
    assert.ok(prefs.maxActors <= 3, `${clocks}: ${JSON.stringify(prefs)}`);
    assert.ok(own.meanClockBytes > prefs.meanClockBytes);
  }
});

test('vector-size: a clock is read from both store states', () => {
  const dvv = storeClock({
    ctx: { vv: { n1: 2, n2: 1 }, cloud: [['n3', 4]] },
    entries: [{ dot: ['n1', 2], value: 'a' }],
  });
  assert.deepEqual({ ...dvv, bytes: 0 }, { entries: 3, actors: 3, siblings: 1, bytes: 0 });
  const vv = storeClock({ vv: { n1: 1 }, values: ['a', 'b'] });
  assert.deepEqual(vv, { entries: 1, actors: 1, siblings: 2, bytes: '{"n1":1}'.length });
  assert.equal(storeClock(null), undefined);
});

test('vector-size verdict: supported only if clocks grew with nodes in every setting', () => {
  const grows = { perClientGrows: true, ownNodeGrows: true };
  assert.equal(vectorSizeVerdict({ ...grows, preferenceListBounded: false }), 'supported');
  assert.equal(vectorSizeVerdict({ ...grows, preferenceListBounded: true }), 'refuted');
  const e = getExperiment('vector-size');
  assert.ok(e !== undefined);
  const r = e.run({ seed: 1, quick: true });
  assert.equal(r.verdict, 'refuted', JSON.stringify(r.measured));
  assert.equal(r.plots.length, 3);
});
