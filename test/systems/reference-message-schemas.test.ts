/**
 * The reference systems' message schemas refuse malformed messages, naming the field; what they
 * accept from the systems' own nodes is test/systems/message-schemas.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  echoMessageProblem,
  kvAsyncMessageProblem,
  kvSingleMessageProblem,
} from '../../src/systems/reference/message-schemas.js';

const cluster = ['n1', 'n2', 'n3'];

test('echo, kv-single and kv-async: well-formed passes, malformed is named by its field', () => {
  const update = { type: 'update', key: 'k', value: null, time: 4, node: 2 };
  const forward = { type: 'forward', client: 'c1', seq: 3, op: { f: 'put', key: 'k', value: 'v' } };
  assert.equal(echoMessageProblem({ type: 'ping', n: 3 }), undefined);
  assert.equal(kvSingleMessageProblem(forward), undefined);
  assert.equal(
    kvSingleMessageProblem({ type: 'result', client: 'c1', seq: 3, result: false }),
    undefined,
  );
  assert.equal(kvAsyncMessageProblem(update, cluster), undefined);
  const cases: [string | undefined, RegExp][] = [
    [echoMessageProblem({ type: 'ping', n: '3' }), /^n: /],
    [echoMessageProblem({ type: 'pong' }), /n/],
    [echoMessageProblem({ type: 'ring', n: 1 }), /^type: /],
    [kvSingleMessageProblem({ ...forward, op: { f: 'drop', key: 'k' } }), /^op: /],
    [kvSingleMessageProblem({ ...forward, seq: -1 }), /^seq: /],
    [kvSingleMessageProblem({ ...forward, client: 'c'.repeat(257) }), /^client: /],
    [kvSingleMessageProblem({ type: 'result', client: 'c1', seq: 3, result: {} }), /^result: /],
    [kvAsyncMessageProblem({ ...update, time: 1e300 }, cluster), /^time: /],
    [kvAsyncMessageProblem({ ...update, node: 3 }, cluster), /^node: /],
    [kvAsyncMessageProblem({ ...update, value: 5 }, cluster), /^value: /],
    [kvAsyncMessageProblem({ ...update, extra: 1 }, cluster), /extra/],
  ];
  for (const [problem, why] of cases) {
    assert.ok(problem !== undefined, `accepted: ${String(why)}`);
    assert.match(problem, why);
  }
});
