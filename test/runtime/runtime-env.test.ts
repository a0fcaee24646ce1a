/**
 * RuntimeEnv's timers (src/runtime/runtime-env.ts): a zero delay fires at the end of this turn
 * of the event loop (NodeEnv.setTimer), before any real delay, and like every timer it can be
 * cancelled and dies with the node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../src/core/json.js';
import type { ProtocolNode } from '../../src/core/node.js';
import type { DurableStore } from '../../src/core/storage.js';
import { RuntimeEnv } from '../../src/runtime/runtime-env.js';
import { until } from '../support/wait.js';

function host(fired: string[]): RuntimeEnv {
  const env = new RuntimeEnv({
    id: 'n1',
    cluster: ['n1'],
    seed: 1,
    storage: {} as unknown as DurableStore, // these tests never touch storage
    send: () => {},
    reply: () => {},
    log: () => {},
    fatal: (e) => assert.fail(e),
  });
  const node: ProtocolNode = {
    start: () => {},
    onMessage: () => {},
    onTimer: (name: string, _data: Json | undefined) => void fired.push(name),
    onClientRequest: () => {},
    inspect: () => ({}),
  };
  env.node = node;
  return env;
}

test('a zero-delay timer fires after this turn, before any real delay', async () => {
  const fired: string[] = [];
  const h = host(fired);
  h.env.setTimer(1, 'one-ms');
  h.env.setTimer(0, 'now-a');
  h.env.setTimer(0, 'now-b');
  fired.push('same turn');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(fired, ['same turn', 'now-a', 'now-b']);
  await until(() => fired.includes('one-ms'), { what: 'the 1 ms timer' });
  assert.deepEqual(fired, ['same turn', 'now-a', 'now-b', 'one-ms']);
  assert.equal(h.activeTimers, 0);
});

test('zero-delay timers are cancelled like any other, and die with the node', async () => {
  const fired: string[] = [];
  const h = host(fired);
  const t = h.env.setTimer(0, 'cancelled');
  h.env.setTimer(0, 'kept');
  h.env.cancelTimer(t);
  // Set before 'kept' with the same delay: had it not been cancelled it would have come first.
  await until(() => fired.includes('kept'), { what: "the timer 'kept'" });
  assert.deepEqual(fired, ['kept']);
  h.env.setTimer(0, 'after-stop');
  h.env.setTimer(5, 'after-stop-too');
  assert.equal(h.activeTimers, 2);
  h.stop();
  assert.equal(h.activeTimers, 0);
  // Anchor: another node's 5 ms timer, set after the stopped node's 0 and 5 ms ones, fires.
  const other: string[] = [];
  host(other).env.setTimer(5, 'anchor');
  await until(() => other.includes('anchor'), { what: "another node's timer" });
  assert.deepEqual(fired, ['kept']);
});
