import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sfc32 } from '../../../src/core/random.js';
import { OpLogStore } from '../../../src/core/storage.js';
import { MultiRaftError, MultiRaftHost } from '../../../src/protocols/multiraft/multi-raft-host.js';
import { RaftNode } from '../../../src/protocols/raft/raft-node.js';
import { runChecked } from '../../../src/sim/checked-run.js';
import { KvMachine } from '../../../src/systems/kv/kv-raft.js';
import { GROUPS, groupOfKey, kvMultiRaftSystem } from './kv-multiraft-system.js';

test('multi-raft host: the test keys spread over every group', () => {
  const used = new Set(['k0', 'k1', 'k2', 'k3', 'k4'].map(groupOfKey));
  assert.deepEqual([...used].sort(), [...GROUPS]);
});

test('multi-raft host: three Raft groups sharing each node stay linearizable per key under every nemesis', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const run = runChecked(
      { system: kvMultiRaftSystem, seed, nemesis: 'all', workload: { ops: 200 } },
      { checkTimeoutMs: 10_000 },
    );
    assert.equal(
      run.verdict,
      'valid',
      `seed ${seed}: ${JSON.stringify(run.failure ?? run.judgement)}`,
    );
    assert.equal(run.failure, null, `seed ${seed}: ${JSON.stringify(run.failure)}`);
    assert.ok(run.ops.ok > 100, `seed ${seed}: only ${run.ops.ok} operations succeeded`);
  }
});

test('multi-raft host: swarm seeds stay valid', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const run = runChecked(
      { system: kvMultiRaftSystem, seed, swarm: true, workload: { ops: 200 } },
      { checkTimeoutMs: 10_000 },
    );
    assert.notEqual(
      run.verdict,
      'invalid',
      `seed ${seed}: ${JSON.stringify(run.failure ?? run.judgement)}`,
    );
    assert.equal(run.failure, null, `seed ${seed}: ${JSON.stringify(run.failure)}`);
  }
});

test('multi-raft host: a Raft mutant inside one group is caught, and names its group (no-sync-before-ack, crash seed 3)', () => {
  const run = runChecked(
    {
      system: kvMultiRaftSystem,
      seed: 3,
      mutant: 'no-sync-before-ack',
      nemesis: 'crash',
      workload: { ops: 200 },
    },
    { checkTimeoutMs: 10_000 },
  );
  assert.equal(run.verdict, 'invalid');
  assert.match(run.failure?.message ?? '', /^group g\d: leader completeness/);
});

test('multi-raft host: bad group ids, groups without this node, double opens and stray envelopes are refused or dropped with a reason', () => {
  class Mem extends OpLogStore {
    readonly unsyncedWrites = 0;
    protected keep(): void {}
    sync(done: () => void): void {
      done();
    }
  }
  const sent: unknown[] = [];
  const env = {
    id: 'n1',
    cluster: ['n1', 'n2', 'n3'],
    peers: ['n2', 'n3'],
    now: () => 0,
    random: new Sfc32(1, 'host'),
    send: (_to: string, m: unknown) => sent.push(m),
    setTimer: () => 0,
    cancelTimer: () => {},
    storage: new Mem(),
    reply: () => {},
    log: () => {},
    metric: () => {},
  };
  const host = new MultiRaftHost(env, (groupEnv) => new RaftNode(groupEnv, new KvMachine()));
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof MultiRaftError ? e.code : String(e);
    }
    return 'none';
  };
  assert.equal(
    code(() => host.openGroup({ id: 'a|b', replicas: ['n1'] }, { recovered: false })),
    'bad-group-id',
  );
  assert.equal(
    code(() => host.openGroup({ id: 'r1', replicas: ['n2', 'n3'] }, { recovered: false })),
    'not-a-replica',
  );
  host.openGroup({ id: 'r1', replicas: ['n1', 'n2'] }, { recovered: false });
  assert.equal(
    code(() => host.openGroup({ id: 'r1', replicas: ['n1', 'n2'] }, { recovered: false })),
    'already-open',
  );
  const vote = { type: 'vote-resp', term: 1, granted: true } as const;
  assert.match(
    host.onMessage('n2', { type: 'group', group: 'r9', msg: vote }) ?? '',
    /no replica of group r9/,
  );
  assert.match(
    host.onMessage('n3', { type: 'group', group: 'r1', msg: vote }) ?? '',
    /n3 is not a replica/,
  );
  assert.match(
    host.onMessage('n2', {
      type: 'group',
      group: 'r1',
      msg: { type: 'vote-resp', term: -1 } as never,
    }) ?? '',
    /group r1: /,
  );
  assert.equal(host.onMessage('n2', { type: 'group', group: 'r1', msg: vote }), undefined);
  assert.equal(host.onTimer('election', undefined), false);
  assert.deepEqual(host.storedGroups(), host.groups());
});
