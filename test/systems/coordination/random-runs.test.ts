import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sfc32 } from '../../../src/core/random.js';
import { SingleServer } from '../../../src/systems/coordination/single-server.js';
import type { CreateMode } from '../../../src/systems/coordination/zk-codes.js';
import type { WriteRequest } from '../../../src/systems/coordination/requests.js';
import { treeProblem } from '../../../src/systems/coordination/tree-invariants.js';
import { snapshotState } from '../../../src/systems/coordination/snapshot.js';
import { sequenceOf } from '../../../src/systems/coordination/znode-paths.js';

const PATHS = ['/a', '/a/b', '/a/b/c', '/d', '/d/e'];
const MODES: CreateMode[] = [
  'persistent',
  'ephemeral',
  'persistentSequential',
  'ephemeralSequential',
  'container',
];

/** A seeded run of random writes, reads with watches, pings and expiries by several sessions. */
function run(
  seed: number,
  watchMutant?: 'one-shot-stays',
): { s: SingleServer; fired: Map<string, number>; registered: Map<string, number> } {
  const rng = new Sfc32(seed, 'zk-random-run');
  const s = new SingleServer({
    config: { tickMs: 100 },
    ...(watchMutant === undefined ? {} : { watchMutant }),
  });
  const sessions: number[] = [];
  const fired = new Map<string, number>();
  const registered = new Map<string, number>();
  let now = 0;
  for (let step = 0; step < 400; step++) {
    now += rng.int(60);
    const k = rng.int(10);
    if (k === 0 || sessions.length === 0) {
      const r = s.write(0, { type: 'createSession', timeout: 200 + rng.int(800) }, now);
      if (r.ok && r.result.type === 'createSession') sessions.push(r.result.session);
    } else {
      const session = rng.pick(sessions);
      const path = rng.pick(PATHS);
      if (k <= 5) {
        const mode = rng.pick(MODES);
        const op: WriteRequest =
          k <= 2
            ? {
                type: 'create',
                path: mode.endsWith('Sequential') ? `${path}/s-` : path,
                data: '',
                mode,
              }
            : k === 3
              ? { type: 'delete', path, version: -1 }
              : k === 4
                ? { type: 'setData', path, data: 'eg==', version: rng.int(3) - 1 }
                : {
                    type: 'multi',
                    ops: [
                      { type: 'create', path: `${path}/m`, data: '', mode: 'persistent' },
                      { type: 'delete', path, version: -1 },
                    ],
                  };
        s.write(session, op, now);
      } else if (k <= 7) {
        const type = rng.pick(['exists', 'getData', 'getChildren'] as const);
        const before = [
          s.watches.has(session, path, 'data'),
          s.watches.has(session, path, 'exist'),
          s.watches.has(session, path, 'child'),
        ];
        const r = s.read(session, { type, path, watch: true }, now);
        const after = [
          s.watches.has(session, path, 'data'),
          s.watches.has(session, path, 'exist'),
          s.watches.has(session, path, 'child'),
        ];
        if (r.ok && after.some((x, i) => x && !before[i])) {
          const key = `${session} ${path}`;
          registered.set(key, (registered.get(key) ?? 0) + 1);
        }
      } else {
        s.ping(session, now);
      }
    }
    s.tick(now);
    assert.equal(treeProblem(s.state), undefined, `seed ${seed} step ${step}`);
    for (const id of sessions) {
      for (const e of s.watches.take(id)) {
        const key = `${id} ${e.path}`;
        fired.set(key, (fired.get(key) ?? 0) + 1);
      }
    }
  }
  // Everyone falls silent: the leader ends every session and no ephemeral is left.
  now += 10_000;
  s.tick(now);
  assert.equal(s.state.sessions.size, 0);
  for (const n of s.state.nodes.values()) assert.notEqual(n.kind, 'ephemeral');
  return { s, fired, registered };
}

/** A session told more often about a path than it registered one-shot watches there. */
function overFired(
  fired: Map<string, number>,
  registered: Map<string, number>,
): string | undefined {
  for (const [key, n] of fired) {
    if (n > (registered.get(key) ?? 0))
      return `${key} fired ${n} for ${registered.get(key) ?? 0} registrations`;
  }
  return undefined;
}

test('random runs: the one-shot-stays mutant is caught by the at-most-once count', () => {
  let caught = 0;
  for (let seed = 1; seed <= 4; seed++) {
    const { fired, registered } = run(seed, 'one-shot-stays');
    if (overFired(fired, registered) !== undefined) caught++;
  }
  assert.ok(caught > 0, 'mutant not caught');
});

test('random runs: invariants hold after every step, sequential names are unique, ephemerals end with their sessions, one-shot watches fire at most once per registration, and a seed replays', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const { s, fired, registered } = run(seed);
    const seen = new Map<string, Set<string>>();
    for (const txn of s.log) {
      const ops = txn.body.type === 'multi' ? txn.body.ops : [txn.body];
      for (const op of ops) {
        if (op.type !== 'create' || sequenceOf(op.path) === undefined || !op.path.includes('/s-'))
          continue;
        const parent = op.path.slice(0, op.path.lastIndexOf('/'));
        const names = seen.get(parent) ?? new Set();
        assert.ok(!names.has(op.path), `seed ${seed}: ${op.path} named twice`);
        names.add(op.path);
        seen.set(parent, names);
      }
    }
    assert.equal(overFired(fired, registered), undefined, `seed ${seed}`);
    if (seed <= 2) assert.deepEqual(snapshotState(run(seed).s.state), snapshotState(s.state));
  }
});
