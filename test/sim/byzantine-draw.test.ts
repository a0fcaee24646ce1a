/**
 * Byzantine replicas as a swarm feature (src/sim/byzantine-draw.ts): drawn only for systems that
 * declare them, never more than the cluster tolerates, from a stream of their own; and with them
 * the swarm catches PBFT's `quorum-2f-plus-1`, which no crash-only mix can (two quorums of 2f + 1
 * overlap only in the faulty replica when n > 3f + 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/protocols/pbft/ed25519.js';
import { BYZANTINE_STRATEGIES } from '../../src/protocols/pbft/byzantine.js';
import { faultsTolerated } from '../../src/protocols/pbft/quorums.js';
import { drawByzantine } from '../../src/sim/byzantine-draw.js';
import { runChecked } from '../../src/sim/checked-run.js';
import { swarmOptions } from '../../src/sim/run.js';
import { describeSwarm, drawSwarm } from '../../src/sim/swarm.js';
import { getSystem } from '../../src/systems/index.js';

const pbft = getSystem('pbft')!;
const kvRaft = getSystem('kv-raft')!;

test('pbft seeds draw 1 … f faulty replicas of every strategy; about half draw none', () => {
  const mixes = Array.from({ length: 300 }, (_, i) => drawSwarm(pbft, i + 1));
  const drawn = mixes.filter((m) => m.byzantine !== null);
  assert.ok(drawn.length > 100 && drawn.length < 200, `${drawn.length} of 300`);
  for (const m of drawn) {
    assert.ok(m.byzantine !== null);
    assert.ok(m.byzantine.count >= 1 && m.byzantine.count <= faultsTolerated(m.nodes));
  }
  assert.deepEqual(
    [...new Set(drawn.map((m) => m.byzantine?.strategy))].sort(),
    [...BYZANTINE_STRATEGIES].sort(),
  );
  // A cluster that tolerates no fault (only reachable with --nodes) gets no faulty replica.
  assert.equal(drawByzantine(pbft, 1, 3), null);
  assert.match(describeSwarm(drawn[0]!), / byzantine=1×[a-z-]+$/);
});

test('a system without Byzantine replicas never draws them, and its mix is unchanged', () => {
  for (let seed = 1; seed <= 50; seed++) assert.equal(drawSwarm(kvRaft, seed).byzantine, null);
});

test('the drawn replicas reach the run as the system parameters, unless the user gave some', () => {
  const seed = 34; // draws n = 5 with one colluding primary
  const drawn = swarmOptions({ system: pbft, seed, swarm: true });
  assert.deepEqual(drawn.mix.byzantine, { count: 1, strategy: 'collude' });
  assert.deepEqual(drawn.options.params, { byzantine: '1', strategy: 'collude' });
  const given = swarmOptions({ system: pbft, seed, swarm: true, params: { byzantine: '0' } });
  assert.equal(given.mix.byzantine, null);
  assert.deepEqual(given.options.params, { byzantine: '0' });
});

test('quorum-2f-plus-1 is caught with the drawn colluder and missed without it', () => {
  const seed = 34;
  const run = (params?: Record<string, string>): ReturnType<typeof runChecked> =>
    runChecked({
      system: pbft,
      seed,
      swarm: true,
      mutant: 'quorum-2f-plus-1',
      workload: { ops: 100 },
      ...(params !== undefined ? { params } : {}),
    });
  const caught = run();
  assert.equal(caught.verdict, 'invalid');
  assert.match(caught.failure?.message ?? '', /^seq \d+: n\d executed \w+, n\d executed \w+$/);
  // The same mix without the faulty replica: quorums of 3 of 5 overlap in one honest replica.
  assert.equal(run({ byzantine: '0' }).verdict, 'valid');
});
