import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLatency, maxLatency, parseLatency, sampleLatency } from '../../src/sim/latency.js';
import { Sfc32 } from '../../src/core/random.js';

test('latency specs parse and print back', () => {
  assert.deepEqual(parseLatency('5'), { kind: 'constant', ms: 5 });
  assert.deepEqual(parseLatency('uniform:1-10'), { kind: 'uniform', min: 1, max: 10 });
  assert.deepEqual(parseLatency('exp:5,floor=1'), { kind: 'exponential', mean: 5, floor: 1 });
  assert.equal(formatLatency(parseLatency('exp:2')), 'exp:2,floor=0');
});

test('bad latency specs say what is wrong', () => {
  assert.throws(() => parseLatency('gaussian:3'), /use constant:MS/);
  assert.throws(() => parseLatency('uniform:9-1'), /MAX is below MIN/);
  assert.throws(() => parseLatency('exp:-1'), /non-negative/);
  assert.throws(() => parseLatency('exp:1,ceiling=3'), /unknown option/);
});

test('samples respect the distribution', () => {
  const r = new Sfc32(1);
  for (let i = 0; i < 1000; i++) {
    const u = sampleLatency({ kind: 'uniform', min: 2, max: 4 }, r);
    assert.ok(u >= 2 && u < 4);
    assert.ok(sampleLatency({ kind: 'exponential', mean: 1, floor: 3 }, r) >= 3);
  }
  assert.equal(sampleLatency({ kind: 'constant', ms: 7 }, r), 7);
});

test('maxLatency is the bound every draw respects', () => {
  const r = new Sfc32(2);
  for (const l of [parseLatency('7'), parseLatency('uniform:2-9')]) {
    for (let i = 0; i < 200; i++) assert.ok(sampleLatency(l, r) <= maxLatency(l));
  }
  assert.equal(maxLatency(parseLatency('uniform:2-9')), 9);
  assert.equal(maxLatency(parseLatency('exp:1,floor=0.5')), Infinity);
});
