/**
 * The kafka system's peer-message schema accepts every message its nodes send under every fault
 * (as test/systems/message-schemas.test.ts does for the other systems), and refuses malformed
 * ISR and controller messages with the field named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEnv } from '../../../src/core/node.js';
import type { SystemDefinition } from '../../../src/core/system.js';
import { runSimulation } from '../../../src/sim/run.js';
import { kafkaSystem } from '../../../src/systems/kafka/kafka.js';
import { kafkaMessageProblem } from '../../../src/systems/kafka/kafka-messages.js';

const CLUSTER = ['n1', 'n2', 'n3'];

test('every message kafka sends under every fault passes its schema', () => {
  const check = kafkaSystem.checkMessage;
  assert.ok(check !== undefined);
  const bad: string[] = [];
  const types = new Set<string>();
  const checking: SystemDefinition = {
    ...kafkaSystem,
    createNode(options) {
      const make = kafkaSystem.createNode(options);
      return (env: NodeEnv) => {
        const checked = Object.create(env) as NodeEnv;
        checked.send = (to, msg) => {
          types.add(msg.type);
          const problem = check(msg, env.cluster);
          if (problem !== undefined) bad.push(`${JSON.stringify(msg).slice(0, 300)}: ${problem}`);
          env.send(to, msg);
        };
        return make(checked);
      };
    },
  };
  for (const seed of [1, 2, 3]) {
    runSimulation({ system: checking, seed, nemesis: 'all', workload: { ops: 300 } });
  }
  assert.deepEqual(bad.slice(0, 3), []);
  for (const k of [
    'isr-fetch',
    'isr-fetch-resp',
    'ctl-heartbeat',
    'ctl-alter-partition',
    'append',
  ]) {
    assert.ok(types.has(k), `no ${k} was sent (saw ${[...types].join(', ')})`);
  }
});

const FETCH = {
  type: 'isr-fetch',
  partition: 't-0',
  leaderEpoch: 2,
  fetchOffset: 5,
  lastFetchedEpoch: 1,
  fetchId: 9,
};
const BATCH = {
  baseOffset: 0,
  count: 1,
  leaderEpoch: 1,
  producerId: -1,
  producerEpoch: -1,
  baseSequence: -1,
  maxTimestamp: 3,
  payload: [7],
};
const RESP = {
  type: 'isr-fetch-resp',
  partition: 't-0',
  leaderEpoch: 2,
  fetchId: 9,
  error: null,
  highWatermark: 1,
  batches: [BATCH],
  diverging: null,
};

test('malformed ISR and controller messages are refused, naming the field', () => {
  const p = (m: unknown) => kafkaMessageProblem(m, CLUSTER);
  assert.equal(p(FETCH), undefined);
  assert.equal(p(RESP), undefined);
  assert.match(p({ ...FETCH, fetchOffset: -1 }) ?? '', /^fetchOffset:/);
  assert.match(p({ ...FETCH, leaderEpoch: '2' }) ?? '', /^leaderEpoch:/);
  assert.match(p({ ...FETCH, extra: 1 }) ?? '', /extra/);
  assert.match(p({ ...RESP, batches: [{ ...BATCH, count: 0 }] }) ?? '', /^batches\.0\.count:/);
  assert.match(p({ ...RESP, error: 'OOPS' }) ?? '', /^error:/);
  assert.match(p({ ...RESP, diverging: { epoch: 1 } }) ?? '', /^diverging/);
  const alter = {
    type: 'ctl-alter-partition',
    partition: 't-0',
    leaderEpoch: 1,
    partitionEpoch: 3,
    isr: ['n1', 'n2'],
  };
  assert.equal(p(alter), undefined);
  assert.match(p({ ...alter, isr: ['n1', 'n9'] }) ?? '', /^isr\.1:/);
  assert.match(p({ ...alter, isr: ['n1', 'n1'] }) ?? '', /named twice/);
  assert.match(p({ ...alter, isr: [] }) ?? '', /^isr:/);
  assert.equal(p({ type: 'ctl-heartbeat', incarnation: 2, caughtUp: true }), undefined);
  assert.match(p({ type: 'ctl-heartbeat', incarnation: 2 }) ?? '', /caughtUp/);
  assert.match(p({ type: 'vote', term: -1 }) ?? '', /term|lastIndex/);
});
