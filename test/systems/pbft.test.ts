import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecked } from '../../src/sim/checked-run.js';
import type { NodeEnv } from '../../src/core/node.js';
import { signAs, verifySigned } from '../../src/protocols/pbft/crypto.js';
import '../../src/protocols/pbft/ed25519.js';
import { PbftNode, type PbftMsg } from '../../src/protocols/pbft/pbft.js';
import { getSystem } from '../../src/systems/index.js';

const pbft = getSystem('pbft')!;

test('pbft is linearizable with no fault and under each nemesis', () => {
  for (const nemesis of [
    undefined,
    'partition-one',
    'crash',
    'lossy',
    'duplicate',
    'reorder',
    'pause',
  ]) {
    for (let seed = 1; seed <= 2; seed++) {
      const run = runChecked({
        system: pbft,
        seed,
        ...(nemesis !== undefined ? { nemesis } : {}),
        workload: { ops: 300 },
      });
      const what = `pbft --nemesis ${nemesis ?? 'none'} --seed ${seed}`;
      assert.equal(
        run.verdict,
        'valid',
        `${what}: ${run.failure?.message ?? run.judgement?.message}`,
      );
      assert.ok(run.ops.ok > 100, `${what}: only ${run.ops.ok} ops succeeded`);
    }
  }
});

test('pbft: one silent backup (K = f = 1) changes nothing', () => {
  for (let seed = 1; seed <= 2; seed++) {
    const params = { byzantine: '1', strategy: 'silent' };
    const run = runChecked({ system: pbft, seed, params, workload: { ops: 300 } });
    assert.equal(run.verdict, 'valid', `seed ${seed}: ${run.failure?.message}`);
    assert.ok(run.ops.ok > 100, `seed ${seed}: only ${run.ops.ok} ops succeeded`);
  }
});

test('pbft: an equivocating primary (K = 1) never makes honest replicas diverge', () => {
  for (let seed = 1; seed <= 3; seed++) {
    const params = { byzantine: '1', strategy: 'equivocate' };
    const run = runChecked({ system: pbft, seed, params, workload: { ops: 300 } });
    assert.equal(run.verdict, 'valid', `seed ${seed}: ${run.failure?.message}`);
  }
});

test('pbft: the prepare-quorum-f mutant is caught by an equivocating primary', () => {
  let caught = 0;
  for (let seed = 1; seed <= 3; seed++) {
    const run = runChecked({
      system: pbft,
      mutant: 'prepare-quorum-f',
      seed,
      params: { byzantine: '1', strategy: 'equivocate' },
      workload: { ops: 300 },
    });
    if (run.verdict === 'invalid') caught++;
  }
  assert.equal(caught, 3, `prepare-quorum-f caught in only ${caught}/3 seeds`);
});

test('pbft: the same seed gives the same run', () => {
  const a = runChecked({ system: pbft, seed: 5, nemesis: 'lossy', workload: { ops: 150 } });
  const b = runChecked({ system: pbft, seed: 5, nemesis: 'lossy', workload: { ops: 150 } });
  assert.equal(a.traceDigest, b.traceDigest);
});

test('pbft: a message signed with the wrong key is dropped and counted', () => {
  const cluster = ['n1', 'n2', 'n3', 'n4'];
  const body = { t: 'prepare', i: 'n2', v: 0, n: 1, d: 'x' };
  const genuine = signAs('n2', body);
  const forged = signAs('n3', body); // n3 claims to be n2
  assert.equal(verifySigned('n2', genuine), true);
  assert.equal(verifySigned('n2', forged), false);
  assert.equal(verifySigned('n2', { ...genuine, p: genuine.p.replace('"n":1', '"n":2') }), false);
  const metrics: string[] = [];
  const sent: unknown[] = [];
  const env = {
    id: 'n1',
    cluster,
    peers: cluster.slice(1),
    now: () => 0,
    send: (_to: string, m: unknown) => sent.push(m),
    metric: (name: string) => metrics.push(name),
  } as unknown as NodeEnv<PbftMsg>;
  const node = new PbftNode(env);
  node.onMessage('n2', forged);
  node.onMessage('n2', { type: 'pbft', p: '{not json', s: '' });
  assert.deepEqual(metrics, ['pbft.rejected', 'pbft.rejected']);
  assert.equal(sent.length, 0);
  assert.equal(node.inspect().log, 0);
  // The genuine prepare is accepted (it opens a log entry) and only once however often it comes.
  node.onMessage('n2', genuine);
  node.onMessage('n2', genuine);
  assert.equal(node.inspect().log, 1);
  assert.deepEqual(metrics, ['pbft.rejected', 'pbft.rejected']);
});
