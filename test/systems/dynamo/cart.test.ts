/**
 * The seed's version-vector example (truth-and-consensus-examples.md, "Version vectors in
 * Dynamo/Riak"): a shopping cart written at two replicas during a partition is kept as two
 * siblings, and the client's merge keeps both items — "Version vectors detect concurrent
 * updates!". With last-writer-wins one of the two additions is gone, and the judge says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeDynamo } from '../../../src/systems/dynamo/dynamo-judge.js';
import { dynamoParamsFrom } from '../../../src/systems/dynamo/dynamo-params.js';
import { Cluster, ctxOf, siblings } from './harness.js';

const PARAMS = { n: '3', r: '2', w: '1', sloppy: 'off' };

function cartDuringPartition(clocks: string): { c: Cluster; read: string[] } {
  const c = new Cluster(3, { ...PARAMS, clocks });
  c.partition(['n1'], ['n2'], ['n3']);
  // T1, T2: two clients add to the empty cart, each at its own replica.
  const book = c.run(0, 'n1', { f: 'put', key: 'cart', value: 'Book' });
  const pen = c.run(1, 'n2', { f: 'put', key: 'cart', value: 'Pen' });
  assert.equal(book.outcome, 'ok');
  assert.equal(pen.outcome, 'ok');
  // T3, T4: the partition heals; anti-entropy brings both versions to every replica.
  c.heal();
  assert.notEqual(c.convergeWithin(3000), null, 'replicas converge after the heal');
  const read = c.run(2, 'n3', { f: 'get', key: 'cart' });
  assert.equal(read.outcome, 'ok');
  return { c, read: siblings(read) };
}

for (const clocks of ['dvv', 'vv']) {
  test(`cart (${clocks}): both additions come back as siblings, and the client's merge keeps both`, () => {
    const { c, read } = cartDuringPartition(clocks);
    assert.deepEqual(read, ['Book', 'Pen']);
    // T5: the client resolves the conflict, writing the union over the context it read.
    const last = c.history[c.history.length - 1]!;
    const merged = c.run(2, 'n3', { f: 'put', key: 'cart', value: 'Book Pen', ctx: ctxOf(last) });
    assert.equal(merged.outcome, 'ok');
    assert.notEqual(c.convergeWithin(3000), null);
    assert.deepEqual(siblings(c.run(2, 'n1', { f: 'get', key: 'cart' })), ['Book Pen']);
    const j = judgeDynamo(c.ops(), c.sim.liveNodes(), dynamoParamsFrom({ ...PARAMS, clocks }));
    assert.equal(j.verdict, 'valid', j.message);
  });
}

test('cart (lww): one addition is lost, and the judge names it', () => {
  const { c, read } = cartDuringPartition('lww');
  assert.equal(read.length, 1, `one value survives, got ${read.join(', ')}`);
  const j = judgeDynamo(c.ops(), c.sim.liveNodes(), dynamoParamsFrom({ ...PARAMS, clocks: 'lww' }));
  assert.equal(j.verdict, 'invalid');
  const lost = read[0] === 'Book' ? 'Pen' : 'Book';
  assert.match(j.message, new RegExp(`lost update: item ${lost} of acknowledged put`));
});

test('cart as an OR-set: concurrent adds during a partition need no application merge', () => {
  const params = { ...PARAMS, type: 'orset' };
  const c = new Cluster(3, params);
  c.partition(['n1'], ['n2'], ['n3']);
  assert.equal(c.run(0, 'n1', { f: 'add', key: 'cart', value: 'Book' }).outcome, 'ok');
  assert.equal(c.run(1, 'n2', { f: 'add', key: 'cart', value: 'Pen' }).outcome, 'ok');
  c.heal();
  assert.notEqual(c.convergeWithin(3000), null);
  const read = c.run(2, 'n3', { f: 'get', key: 'cart' });
  assert.deepEqual(read.result, { value: ['Book', 'Pen'] });
  const j = judgeDynamo(c.ops(), c.sim.liveNodes(), dynamoParamsFrom(params));
  assert.equal(j.verdict, 'valid', j.message);
});
