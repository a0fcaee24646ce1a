import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, Session } from '../../../src/sim/run.js';
import { dynamoSystem } from '../../../src/systems/dynamo/dynamo.js';
import { divergentKeys, judgeDynamo } from '../../../src/systems/dynamo/dynamo-judge.js';
import { dynamoParamsFrom } from '../../../src/systems/dynamo/dynamo-params.js';
import { DynamoNode } from '../../../src/systems/dynamo/dynamo-node.js';
import { cartOps } from '../../../src/systems/dynamo/dynamo-judge.js';
import { sessionViolations } from '../../../src/systems/dynamo/session-guarantees.js';
import { Ring } from '../../../src/systems/dynamo/ring.js';
import { Cluster, ctxOf, siblings } from './harness.js';

const CART = { n: '3', r: '2', w: '1', sloppy: 'off' };

/** The cart scenario under a mutant: two adds in a partition, heal, read, merge, write back. */
function cartUnder(mutant?: string): ReturnType<typeof judgeDynamo> {
  const c = new Cluster(3, CART, mutant);
  c.partition(['n1'], ['n2'], ['n3']);
  c.run(0, 'n1', { f: 'put', key: 'cart', value: 'Book' });
  c.run(1, 'n2', { f: 'put', key: 'cart', value: 'Pen' });
  c.heal();
  c.advance(1500);
  const read = c.run(2, 'n3', { f: 'get', key: 'cart' });
  const items = new Set(siblings(read).flatMap((v) => v.split(' ')));
  items.add('Hat');
  c.run(2, 'n3', { f: 'put', key: 'cart', value: [...items].sort().join(' '), ctx: ctxOf(read) });
  c.advance(1500);
  return judgeDynamo(c.ops(), c.sim.liveNodes(), dynamoParamsFrom(CART));
}

for (const mutant of ['no-merge', 'drop-siblings', 'vv-compare-bug']) {
  test(`mutant ${mutant}: the cart loses an acknowledged item and the judge says so`, () => {
    const j = cartUnder(mutant);
    assert.equal(j.verdict, 'invalid');
    assert.match(j.message, /lost update: item (Book|Pen) of acknowledged put/);
  });
}

test('the correct store keeps all three items of the same script', () => {
  const j = cartUnder();
  assert.equal(j.verdict, 'valid', j.message);
});

/** A write that reaches two of three replicas; the third is repaired by a read or by anti-entropy. */
function repairTime(mutant?: string): number | null {
  const c = new Cluster(3, { n: '3', r: '3', w: '1', sloppy: 'off', 'ae-ms': '1500' }, mutant);
  c.partition(['n1', 'n2'], ['n3']);
  assert.equal(c.run(0, 'n1', { f: 'put', key: 'cart', value: 'Book' }).outcome, 'ok');
  c.advance(20);
  c.heal();
  assert.deepEqual(c.divergent(), ['cart']);
  c.run(1, 'n1', { f: 'get', key: 'cart' });
  return c.convergeWithin(10_000);
}

test('no-read-repair: the stale replica still converges, by anti-entropy alone, later', () => {
  const repaired = repairTime();
  const entropyOnly = repairTime('no-read-repair');
  assert.ok(repaired !== null && repaired <= 10, `read repair converged in ${repaired} ms`);
  console.log(
    `# converged ${repaired} ms after the read with read repair, ${entropyOnly} ms without`,
  );
  assert.ok(entropyOnly !== null, 'anti-entropy converges without read repair');
  assert.ok(
    entropyOnly > 5 * repaired + 20,
    `read repair ${repaired} ms vs anti-entropy ${entropyOnly} ms`,
  );
});

/** Five nodes; the key's preference list cut off from the two others, who coordinate. */
function sloppyScenario(sloppy: 'on' | 'off') {
  const params = { n: '3', r: '2', w: '2', sloppy };
  const c = new Cluster(5, params);
  const owners = new Ring(c.ids, 8).preferenceList('cart', 3);
  const others = c.ids.filter((id) => !owners.includes(id));
  c.partition([...owners], others);
  const write = c.run(0, others[0]!, { f: 'put', key: 'cart', value: 'Book' });
  const read = c.run(1, owners[0]!, { f: 'get', key: 'cart' });
  return { c, owners, others, write, read };
}

test('sloppy quorum: a write succeeds on stand-ins with hints, a read on the owners misses it, and the hint is handed off after the heal', () => {
  const { c, owners, write, read } = sloppyScenario('on');
  assert.equal(write.outcome, 'ok');
  assert.equal(read.outcome, 'ok');
  assert.deepEqual(siblings(read), [], 'the owners never saw the write');
  // R + W > N, yet the read is not regular: the quorums did not intersect.
  const stale = sessionViolations(cartOps(c.ops())).filter((v) => v.guarantee === 'regular');
  assert.deepEqual(
    stale.map((v) => [v.read, v.because, v.missing]),
    [[read.id, write.id, 'Book']],
  );
  const hinted = (): number =>
    [...c.sim.liveNodes().values()].reduce((s, n) => s + Number(n.inspect().hints), 0);
  assert.ok(hinted() >= 2, 'the stand-ins hold hints');
  c.heal();
  c.advance(300);
  assert.equal(hinted(), 0, 'every hint handed off');
  for (const id of owners) {
    const node = c.sim.node(id);
    assert.ok(node instanceof DynamoNode);
    assert.ok(
      JSON.stringify(node.replicas().get('cart')).includes('Book'),
      `${id} holds the write`,
    );
  }
});

test('strict quorum: the same write cannot succeed, so no read is stale', () => {
  const { c, write } = sloppyScenario('off');
  assert.notEqual(write.outcome, 'ok');
  assert.deepEqual(
    sessionViolations(cartOps(c.ops())).filter((v) => v.guarantee === 'regular'),
    [],
  );
});

test('replicas converge after the final heal of a faulted run, with no client reading', () => {
  for (const [seed, swarm] of [
    [1, false],
    [2, false],
    [3, true],
    [4, true],
  ] as const) {
    const s = new Session({
      system: dynamoSystem,
      seed,
      nemesis: 'all',
      swarm,
      workload: { ops: 300 },
    });
    s.runToEnd();
    s.continueAfterWorkload();
    const n = dynamoParamsFrom(s.options.params ?? {}).n;
    s.runUntil(s.sim.now + 3000);
    assert.deepEqual(divergentKeys(s.sim.liveNodes(), n), [], `seed ${seed}`);
    const r = s.result();
    const j = dynamoSystem.judge!(r.history, s.sim.nodeIds, s.sim.liveNodes());
    assert.equal(j.verdict, 'valid', `seed ${seed}: ${j.message}`);
  }
});

test('params: a bad value is one usage error naming it', () => {
  assert.throws(() => dynamoParamsFrom({ r: '4' }), /r=4 and w=2 must each be at most n=3/);
  assert.throws(
    () => dynamoParamsFrom({ clocks: 'hlc' }),
    /--param clocks wants one of dvv, vv, lww/,
  );
  assert.throws(() => dynamoParamsFrom({ n: '5' }, 3), /n=5 needs at least 5 nodes, got 3/);
  assert.throws(() => dynamoParamsFrom({ typo: '1' }), /dynamo has no parameter 'typo'/);
});

test('the same seed replays the same run, trace for trace', () => {
  for (const swarm of [false, true]) {
    const run = (): ReturnType<typeof runSimulation> =>
      runSimulation({
        system: dynamoSystem,
        seed: 7,
        nemesis: 'all',
        swarm,
        keepTrace: true,
        workload: { ops: 200 },
      });
    const [a, b] = [run(), run()];
    assert.equal(a.traceDigest, b.traceDigest);
    assert.deepEqual(a.trace, b.trace);
  }
});
