import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEnv } from '../../../src/core/node.js';
import type { SystemDefinition } from '../../../src/core/system.js';
import { runSimulation } from '../../../src/sim/run.js';
import { dynamoSystem } from '../../../src/systems/dynamo/dynamo.js';
import { dynamoMessageProblem } from '../../../src/systems/dynamo/dynamo-messages.js';
import { sharedRanges } from '../../../src/systems/dynamo/merkle-ranges.js';
import { Ring } from '../../../src/systems/dynamo/ring.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

test('ring: a preference list is N distinct nodes, the same on every node, clockwise from the key', () => {
  const ring = new Ring(NODES, 8);
  assert.equal(ring.tokens.length, 40);
  const owned = new Map<string, number>();
  for (let i = 0; i < 500; i++) {
    const key = `key${i}`;
    const prefs = ring.preferenceList(key, 3);
    assert.equal(new Set(prefs).size, 3);
    assert.deepEqual(new Ring([...NODES].reverse(), 8).preferenceList(key, 3), prefs);
    // The first replica owns the first token at or after the key's hash.
    assert.equal(prefs[0], ring.tokens[ring.rangeOf(key)]!.node);
    owned.set(prefs[0]!, (owned.get(prefs[0]!) ?? 0) + 1);
  }
  // Virtual nodes spread the keys: every node coordinates some share of them.
  for (const n of NODES) assert.ok((owned.get(n) ?? 0) > 40, `${n} owns ${owned.get(n)} of 500`);
});

test('ring: two nodes share exactly the ranges whose preference lists hold both', () => {
  const ring = new Ring(NODES, 4);
  const shared = sharedRanges(ring, 3, 'n1', 'n2');
  assert.deepEqual(shared, sharedRanges(ring, 3, 'n2', 'n1'));
  for (let i = 0; i < ring.tokens.length; i++) {
    const owners = ring.walkFrom(i).slice(0, 3);
    assert.equal(shared.includes(i), owners.includes('n1') && owners.includes('n2'));
  }
});

test('messages: every message a faulted run sends passes the schema, and malformed ones do not', () => {
  const types = new Set<string>();
  const bad: string[] = [];
  const checked: SystemDefinition = {
    ...dynamoSystem,
    createNode(options) {
      const make = dynamoSystem.createNode(options);
      return (env: NodeEnv) => {
        const e = Object.create(env) as NodeEnv;
        e.send = (to, msg) => {
          types.add(msg.type);
          const problem = dynamoMessageProblem(msg, env.cluster);
          if (problem !== undefined) bad.push(`${JSON.stringify(msg).slice(0, 200)}: ${problem}`);
          env.send(to, msg);
        };
        return make(e);
      };
    },
  };
  for (const seed of [1, 2])
    runSimulation({ system: checked, seed, nemesis: 'all', workload: { ops: 200 } });
  assert.deepEqual(bad, []);
  for (const t of [
    'put',
    'put-ack',
    'get',
    'get-reply',
    'repair',
    'handoff',
    'handoff-ack',
    'ae-root',
    'ae-leaves',
    'ae-push',
  ]) {
    assert.ok(types.has(t), `no ${t} sent`);
  }
  assert.match(
    dynamoMessageProblem({ type: 'put', rid: '1.2', key: 'k', state: null, hint: 'n9' }, NODES)!,
    /hint/,
  );
  assert.match(dynamoMessageProblem({ type: 'get', rid: 7, key: 'k' }, NODES)!, /rid/);
  assert.match(dynamoMessageProblem({ type: 'nope' }, NODES)!, /type/);
});
