/**
 * The Zab message schema the real runtime would check peers' messages against: it refuses what
 * is malformed (or would trip the log's order assertion), and accepts everything Zab itself
 * sends (every message of simulated kv-zab runs under every fault is checked).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEnv } from '../../../src/core/node.js';
import type { SystemDefinition } from '../../../src/core/system.js';
import { zabMessageProblem } from '../../../src/protocols/zab/message-schema.js';
import { runSimulation } from '../../../src/sim/run.js';
import { kvZabSystem } from '../../../src/systems/zab/kv-zab.js';

const CLUSTER = ['n1', 'n2', 'n3'];
const problemOf = (msg: unknown): string | undefined => zabMessageProblem(msg, CLUSTER);

const txn = { client: 'c1', seq: 4, op: { f: 'put', key: 'k', value: 'v' } };
const newleader = {
  type: 'newleader',
  epoch: 3,
  mode: 'trunc',
  base: [1, 2],
  followerLast: [1, 4],
  entries: [{ z: [2, 1], txn }],
};
const proposal = { type: 'proposal', epoch: 2, zxid: [2, 5], prev: [2, 4], txn };

test('a well-formed message passes; a malformed one is named', () => {
  assert.equal(problemOf(newleader), undefined);
  assert.equal(problemOf(proposal), undefined);
  const vote = { leader: 'n2', epoch: 1, zxid: [1, 3] };
  assert.equal(problemOf({ type: 'notification', round: 2, state: 'looking', vote }), undefined);
  const cases: [unknown, RegExp][] = [
    [{ ...proposal, epoch: '2' }, /^epoch: /],
    [{ ...proposal, zxid: [2, -1] }, /^zxid/],
    [{ ...proposal, zxid: [2, 1, 0] }, /^zxid/],
    [{ ...proposal, prev: [2, 5] }, /not after prev/],
    [{ ...newleader, entries: [{ z: [1, 1], txn }] }, /increasing/],
    [{ ...newleader, mode: 'rsync' }, /^mode: /],
    [{ ...newleader, extra: 1 }, /extra/],
    [
      { type: 'notification', round: 2, state: 'looking', vote: { ...vote, leader: 'n9' } },
      /leader/,
    ],
    [{ type: 'notification', round: 2, state: 'voting', vote }, /^state: /],
    [{ type: 'ack', epoch: 1 }, /zxid/],
    [{ type: 'request', epoch: 1, client: '', seq: 1, op: null }, /^client: /],
    [{ type: 'elect-me' }, /^type: /],
    [null, /^message: /],
  ];
  for (const [msg, why] of cases) {
    const problem = problemOf(msg);
    assert.ok(problem !== undefined, `accepted: ${JSON.stringify(msg)}`);
    assert.match(problem, why, JSON.stringify(msg));
  }
});

test('every message kv-zab sends under every fault passes the schema', () => {
  const types = new Set<string>();
  const bad: string[] = [];
  let count = 0;
  const system = {
    ...kvZabSystem,
    createNode(options: Parameters<SystemDefinition['createNode']>[0]) {
      const make = kvZabSystem.createNode(options);
      return (env: NodeEnv) => {
        const checked = Object.create(env) as NodeEnv;
        checked.send = (to, msg) => {
          count++;
          types.add(msg.type);
          const problem = zabMessageProblem(msg, env.cluster);
          if (problem !== undefined) bad.push(`${msg.type}: ${problem}`);
          env.send(to, msg);
        };
        return make(checked);
      };
    },
  } satisfies SystemDefinition;
  for (const seed of [1, 2, 3]) {
    // A small DIFF window, so SNAPs are among the messages.
    runSimulation({
      system,
      seed,
      nemesis: 'all',
      params: { 'diff-window': '4' },
      workload: { ops: 200 },
    });
  }
  assert.ok(count > 1000, `only ${count} messages`);
  assert.deepEqual(bad.slice(0, 3), []);
  for (const t of ['notification', 'newleader', 'proposal', 'ack', 'commit', 'ping', 'request']) {
    assert.ok(types.has(t), `no ${t} message was sent (saw ${[...types].join(', ')})`);
  }
});
