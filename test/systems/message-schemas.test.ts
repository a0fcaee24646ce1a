/**
 * Every system that has a peer-message schema accepts every message its own nodes send: each
 * system runs in the simulator for several seeds under every fault (Byzantine replicas and
 * attacking miners included, whose lies are well-formed), and every message sent is checked
 * against `checkMessage` on the way out. A schema stricter than its protocol would cut a correct
 * peer off in a real cluster; this is the test that fails when one is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEnv } from '../../src/core/node.js';
import type { SystemDefinition } from '../../src/core/system.js';
import '../../src/protocols/pbft/ed25519.js';
import { runSimulation } from '../../src/sim/run.js';
import { systems } from '../../src/systems/index.js';
import { echoSystem } from '../../src/systems/reference/echo.js';

interface Seen {
  count: number;
  readonly bad: string[];
  readonly types: Set<string>;
}

/** `system`, with every message its nodes send checked against its schema. */
function checkingSends(system: SystemDefinition, seen: Seen): SystemDefinition {
  const check = system.checkMessage;
  assert.ok(check !== undefined, `${system.name} has no checkMessage`);
  return {
    ...system,
    createNode(options) {
      const make = system.createNode(options);
      return (env: NodeEnv) => {
        const checked = Object.create(env) as NodeEnv;
        checked.send = (to, msg) => {
          seen.count++;
          // PBFT's kinds are inside the signed text; the others' are the message type.
          seen.types.add(msg.type === 'pbft' ? pbftKind(msg) : msg.type);
          const problem = check(msg, env.cluster);
          if (problem !== undefined) {
            seen.bad.push(`${JSON.stringify(msg).slice(0, 300)}: ${problem}`);
          }
          env.send(to, msg);
        };
        return make(checked);
      };
    },
  };
}

function pbftKind(msg: object): string {
  const p: unknown = (msg as { p?: unknown }).p;
  if (typeof p !== 'string') return 'pbft?';
  const body: unknown = JSON.parse(p);
  return typeof body === 'object' && body !== null && 't' in body ? String(body.t) : 'pbft?';
}

interface Case {
  readonly system: string;
  readonly params?: Record<string, string>;
  readonly nodes?: number;
  /** Message kinds the runs together must have sent. */
  readonly kinds: readonly string[];
  /** Seeds and operations per run (PBFT signs every message: its runs are kept short). */
  readonly seeds?: readonly number[];
  readonly ops?: number;
}

const PBFT_RUN = { seeds: [1, 2], ops: 40 } as const;

const CASES: readonly Case[] = [
  { system: 'echo', kinds: ['ping', 'pong'] },
  { system: 'kv-single', kinds: ['forward', 'result'] },
  { system: 'kv-async', kinds: ['update'] },
  { system: 'paxos', kinds: ['prepare', 'promise', 'accept', 'accepted', 'nack'] },
  {
    system: 'kv-paxos',
    kinds: ['prepare', 'promise', 'accept', 'accepted', 'heartbeat', 'catchup', 'chosen'],
  },
  { system: 'twopc', kinds: ['prepare', 'vote', 'decision', 'ack', 'status'] },
  {
    system: 'twopc-replicated',
    kinds: ['prepare', 'vote', 'decision', 'c-accept', 'c-accepted', 'c-prepare', 'c-promise'],
  },
  { system: 'paxos-commit', kinds: ['prepare', 'pc-2a', 'pc-2b', 'pc-1a', 'pc-1b'] },
  {
    system: 'pbft',
    // Long enough runs that a replica falls behind and is sent a checkpoint's state.
    kinds: [
      'request',
      'pre-prepare',
      'prepare',
      'commit',
      'reply',
      'checkpoint',
      'status',
      'state',
    ],
  },
  {
    system: 'pbft',
    params: { byzantine: '1', strategy: 'bad-view-change' },
    kinds: ['view-change', 'new-view'],
    ...PBFT_RUN,
  },
  { system: 'pbft', params: { byzantine: '1', strategy: 'forge' }, kinds: ['reply'], ...PBFT_RUN },
  {
    system: 'pbft',
    params: { byzantine: '1', strategy: 'lie' },
    kinds: ['checkpoint'],
    ...PBFT_RUN,
  },
  { system: 'pbft', params: { byzantine: '1', strategy: 'equivocate' }, kinds: [], ...PBFT_RUN },
  {
    system: 'pbft',
    params: { byzantine: '2', strategy: 'collude' },
    nodes: 5,
    kinds: [],
    seeds: [1],
    ops: 40,
  },
  { system: 'nakamoto', kinds: ['block', 'getblock', 'tx'] },
  { system: 'nakamoto', params: { attacker: 'selfish' }, kinds: ['block'] },
  { system: 'nakamoto', params: { attacker: 'double-spend' }, kinds: ['block'] },
];

for (const c of CASES) {
  const label = `${c.system}${c.params ? ` ${JSON.stringify(c.params)}` : ''}`;
  test(`every message ${label} sends under every fault passes its schema`, () => {
    const system = systems().find((s) => s.name === c.system);
    assert.ok(system !== undefined, c.system);
    const types = new Set<string>();
    let total = 0;
    for (const seed of c.seeds ?? [1, 2, 3]) {
      const seen: Seen = { count: 0, bad: [], types };
      runSimulation({
        system: checkingSends(system, seen),
        seed,
        nemesis: 'all',
        ...(c.params !== undefined ? { params: c.params } : {}),
        ...(c.nodes !== undefined ? { nodes: c.nodes } : {}),
        ...(system.workload === 'none' ? {} : { workload: { ops: c.ops ?? 100 } }),
      });
      assert.deepEqual(seen.bad.slice(0, 3), [], `${label} seed ${seed}`);
      total += seen.count;
    }
    assert.ok(total > 100, `${label}: only ${total} messages`);
    for (const k of c.kinds) {
      assert.ok(types.has(k), `${label}: no ${k} was sent (saw ${[...types].join(', ')})`);
    }
  });
}

test('mutant: a schema stricter than its system (echo refusing every pong) is caught', () => {
  const seen: Seen = { count: 0, bad: [], types: new Set() };
  const strict: SystemDefinition = {
    ...echoSystem,
    checkMessage: (msg, cluster) =>
      (msg as { type?: unknown }).type === 'pong'
        ? 'n: refused'
        : echoSystem.checkMessage?.(msg, cluster),
  };
  runSimulation({ system: checkingSends(strict, seen), seed: 1, workload: { ops: 20 } });
  assert.ok(seen.bad.length > 0 && seen.bad.every((b) => b.endsWith('n: refused')), seen.bad[0]);
});

test('every system the real runtime can run has a message schema', () => {
  const without = systems()
    .filter((s) => s.checkMessage === undefined)
    .map((s) => s.name);
  assert.deepEqual(without, []);
});
