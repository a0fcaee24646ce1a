import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetryRoute } from '../../src/sim/retry-route.js';

const NODES = ['n1', 'n2', 'n3', 'n4'];

test('a client follows leader hints and the next node in order on short chains', () => {
  const r = new RetryRoute(NODES);
  assert.equal(r.next('n1', 'n3'), 'n3');
  assert.equal(r.next('n3', undefined), 'n4');
  // An election's hop back to a node already asked is still followed.
  assert.equal(r.next('n4', 'n1'), 'n1');
});

test('stale hints in a loop are passed over for the node never asked (kv-raft seed 9543)', () => {
  const r = new RetryRoute(NODES);
  // n1 names n3; n3 and n4 name no one: n1 → n3 → n4 → n1 … never reaching n2.
  const seen = ['n1'];
  let at = 'n1';
  for (let i = 0; i < 8 && at !== 'n2'; i++) {
    at = r.next(at, at === 'n1' ? 'n3' : at === 'n3' ? undefined : 'n1');
    seen.push(at);
  }
  assert.deepEqual(seen, ['n1', 'n3', 'n4', 'n1', 'n2']);
});

test('once every node was asked, hints are trusted again', () => {
  const r = new RetryRoute(['a', 'b']);
  assert.equal(r.next('a', 'b'), 'b');
  assert.equal(r.next('b', 'a'), 'a');
  assert.equal(r.next('a', 'b'), 'b');
});
