import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detExp, detLog, detPow } from '../../src/core/det-math.js';
import { Sfc32 } from '../../src/core/random.js';

const close = (a: number, b: number, rel = 1e-15) =>
  Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);

test('detLog agrees with Math.log to within an ulp or two over many magnitudes', () => {
  const r = new Sfc32(1, 'det-log');
  for (let i = 0; i < 20_000; i++) {
    const x = r.next() * Math.pow(10, r.int(40) - 20) + Number.MIN_VALUE;
    assert.ok(close(detLog(x), Math.log(x)), `log(${x}): ${detLog(x)} vs ${Math.log(x)}`);
  }
  assert.equal(detLog(1), 0);
  assert.equal(detLog(0), -Infinity);
  assert.ok(Number.isNaN(detLog(-1)));
});

test('detExp agrees with Math.exp, including near overflow and underflow', () => {
  const r = new Sfc32(2, 'det-exp');
  for (let i = 0; i < 20_000; i++) {
    const x = r.range(-700, 700);
    assert.ok(close(detExp(x), Math.exp(x), 1e-15), `exp(${x})`);
  }
  assert.equal(detExp(0), 1);
  assert.ok(close(detExp(709.5), Math.exp(709.5), 1e-15));
  assert.equal(detExp(800), Infinity);
  assert.equal(detExp(-800), 0);
});

test('detPow is exact for small integer exponents and close otherwise', () => {
  assert.equal(detPow(2, 10), 1024);
  assert.equal(detPow(0.5, 3), 0.125);
  assert.equal(detPow(3, 0), 1);
  assert.equal(detPow(2, -2), 0.25);
  assert.ok(close(detPow(7, 1.3), Math.pow(7, 1.3), 1e-15));
  assert.ok(close(detPow(0.3, 2.5), Math.pow(0.3, 2.5), 1e-15));
});
