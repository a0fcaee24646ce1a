/**
 * The Raft message schemas the real runtime checks peers' messages against: they refuse what is
 * malformed, and they accept everything Raft itself sends (every message of simulated kv-raft
 * and etcd-raft runs under every fault is checked), so a correct peer is never cut off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEnv } from '../../../src/core/node.js';
import type { SystemDefinition } from '../../../src/core/system.js';
import { raftMessageProblem } from '../../../src/protocols/raft/message-schema.js';
import { runSimulation } from '../../../src/sim/run.js';
import { etcdRaftSystem } from '../../../src/systems/etcd/etcd-raft.js';
import { kvRaftSystem } from '../../../src/systems/kv/kv-raft.js';

const CLUSTER = ['n1', 'n2', 'n3'];
const problemOf = (msg: unknown): string | undefined => raftMessageProblem(msg, CLUSTER);

const append = {
  type: 'append',
  term: 3,
  prevIndex: 7,
  prevTerm: 2,
  entries: [
    { term: 3, kind: 'noop' },
    { term: 3, kind: 'command', command: { client: 'c1', seq: 4, op: { f: 'put', key: 'k' } } },
    { term: 3, kind: 'config', config: { voters: ['n1', 'n2'], learners: [] } },
  ],
  commit: 6,
  round: 9,
};

test('a well-formed message passes; a malformed one is named by its field', () => {
  assert.equal(problemOf(append), undefined);
  assert.equal(problemOf({ type: 'vote-resp', term: 1, granted: true }), undefined);
  const config = (voters: string[], learners: string[] = []): unknown => ({
    ...append,
    entries: [{ term: 1, kind: 'config', config: { voters, learners } }],
  });
  const cases: [unknown, RegExp][] = [
    [{ ...append, term: '3' }, /^term: /],
    [{ ...append, term: -1 }, /^term: /],
    [{ ...append, term: 1e300 }, /^term: /],
    // The hostile peer moved a term to 1,000,000,001; past 2^48 no correct node reaches.
    [{ ...append, term: 2 ** 48 + 1 }, /^term: /],
    [{ ...append, commit: 1.5 }, /^commit: /],
    [{ ...append, extra: true }, /extra/],
    [{ type: 'vote-resp', term: 1 }, /granted/],
    [{ ...append, entries: [{ term: 1, kind: 'command' }] }, /^entries\.0\.command: /],
    [{ ...append, entries: [{ term: 1, kind: 'what' }] }, /^entries\.0\.kind: /],
    [{ type: 'elect-me', term: 1 }, /^type: /],
    [
      { ...append, entries: [{ term: 1, kind: 'config', config: { voters: [''], learners: [] } }] },
      /voters/,
    ],
    [config(['n1', 'n9']), /voters/],
    [config(['n1'], ['n1']), /named twice/],
    [config(['n1', 'n2', 'n3', 'n1']), /voters/],
    [null, /^message: /],
  ];
  for (const [msg, why] of cases) {
    const problem = problemOf(msg);
    assert.ok(problem !== undefined, `accepted: ${JSON.stringify(msg)}`);
    assert.match(problem, why, JSON.stringify(msg));
  }
});

/** The system, with every message its nodes send checked against the schema on the way out. */
function checkingSends(
  system: SystemDefinition,
  seen: { count: number; bad: string[]; types: Set<string> },
) {
  return {
    ...system,
    createNode(options: Parameters<SystemDefinition['createNode']>[0]) {
      const make = system.createNode(options);
      return (env: NodeEnv) => {
        const checked = Object.create(env) as NodeEnv;
        checked.send = (to, msg) => {
          seen.count++;
          seen.types.add(msg.type);
          const problem = raftMessageProblem(msg, env.cluster);
          if (problem !== undefined) seen.bad.push(`${msg.type}: ${problem}`);
          env.send(to, msg);
        };
        return make(checked);
      };
    },
  } satisfies SystemDefinition;
}

test('every message kv-raft and etcd-raft send under every fault passes the schema', () => {
  const types = new Set<string>();
  for (const system of [kvRaftSystem, etcdRaftSystem]) {
    for (const seed of [1, 2, 3]) {
      const seen = { count: 0, bad: [] as string[], types };
      runSimulation({
        system: checkingSends(system, seen),
        seed,
        nemesis: 'all',
        // Small snapshots, so snapshot chunks and installs are among the messages.
        params: { 'snapshot-every': '16', 'chunk-size': '256' },
        workload: { ops: 150 },
      });
      assert.ok(seen.count > 500, `${system.name} seed ${seed}: only ${seen.count} messages`);
      assert.deepEqual(seen.bad.slice(0, 3), [], `${system.name} seed ${seed}`);
    }
  }
  // The runs exercised the kinds a schema could most easily get wrong.
  for (const t of ['append', 'append-resp', 'heartbeat', 'pre-vote', 'vote', 'snapshot']) {
    assert.ok(types.has(t), `no ${t} message was sent (saw ${[...types].join(', ')})`);
  }
});
