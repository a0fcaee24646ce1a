/**
 * Params a swarm seed draws (src/sim/swarm-params.ts): drawn only for systems that declare
 * them, from a stream of their own, overridden by the user's --param, and reaching the run —
 * etcd-raft seeds that draw small snapshot parts write snapshots of several parts beside the
 * log, which its defaults never do in a simulated run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SystemDefinition } from '../../src/core/system.js';
import { Session } from '../../src/sim/run.js';
import { drawSwarm } from '../../src/sim/swarm.js';
import { drawSwarmParams, SwarmParamError, withSwarmParams } from '../../src/sim/swarm-params.js';
import { getSystem } from '../../src/systems/index.js';

function system(name: string): SystemDefinition {
  const s = getSystem(name);
  assert.ok(s !== undefined, name);
  return s;
}

test('etcd-raft draws small snapshot params on some seeds, kv-raft none', () => {
  const etcd = system('etcd-raft');
  const draws = Array.from({ length: 100 }, (_, i) => drawSwarmParams(etcd, i + 1));
  const drawn = draws.filter((p) => Object.keys(p).length > 0);
  assert.ok(drawn.length > 20 && drawn.length < 80, `${drawn.length} of 100 seeds drew params`);
  for (const p of drawn) {
    assert.deepEqual(Object.keys(p).sort(), ['snapshot-every', 'snapshot-part-bytes']);
  }
  assert.deepEqual(drawSwarmParams(etcd, 7), drawSwarmParams(etcd, 7), 'same seed, same draw');
  for (let seed = 1; seed <= 20; seed++) {
    assert.deepEqual(drawSwarmParams(system('kv-raft'), seed), {});
    assert.deepEqual(drawSwarm(system('kv-raft'), seed).params, {});
  }
});

test("the user's --param wins over a drawn one; with nothing drawn, the user's stand alone", () => {
  const drawn = { 'snapshot-every': '8', 'snapshot-part-bytes': '100' };
  assert.deepEqual(withSwarmParams(drawn, { 'snapshot-every': '500' }), {
    'snapshot-every': '500',
    'snapshot-part-bytes': '100',
  });
  assert.equal(withSwarmParams({}, undefined), undefined);
  const given = { retain: '5' };
  assert.equal(withSwarmParams({}, given), given);
});

test('a system that draws a param it does not accept is refused with a typed error', () => {
  const bad: SystemDefinition = { ...system('etcd-raft'), swarmParams: () => ({ nope: '1' }) };
  assert.throws(
    () => drawSwarmParams(bad, 1),
    (e: unknown) => e instanceof SwarmParamError && e.code === 'swarm-param-unknown',
  );
});

test('drawn params reach the run: etcd-raft writes snapshots of several parts beside the log', () => {
  const etcd = system('etcd-raft');
  const seed = Array.from({ length: 50 }, (_, i) => i + 1).find(
    (s) => drawSwarmParams(etcd, s)['snapshot-part-bytes'] === '100',
  );
  assert.ok(seed !== undefined);
  const files = (params?: Record<string, string>): number => {
    const session = new Session({
      system: etcd,
      seed,
      swarm: true,
      keepTrace: true,
      workload: { ops: 200 },
      ...(params !== undefined ? { params } : {}),
    });
    session.runToEnd();
    return (session.result().trace ?? []).filter((e) => e.e === 'file').length;
  };
  assert.ok(files() > 0, `seed ${seed}: no snapshot file written`);
  // The defaults given back by hand: no snapshot of several parts at all.
  assert.equal(files({ 'snapshot-every': '100000', 'snapshot-part-bytes': '1048576' }), 0);
});
