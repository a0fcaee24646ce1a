import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryOp } from '../../src/core/history.js';
import { jsonSizeBound, type Json } from '../../src/core/json.js';
import type { ClientReply, NodeId } from '../../src/core/node.js';
import { CATCHUP_MAX_SIZE } from '../../src/protocols/paxos/multi-paxos.js';
import { Simulator } from '../../src/sim/simulator.js';
import { runChecked } from '../../src/sim/checked-run.js';
import { nemesisNames } from '../../src/sim/nemesis.js';
import { getSystem } from '../../src/systems/index.js';
import { judgeAgreement } from '../../src/systems/paxos/agreement.js';

const paxos = getSystem('paxos')!;
const kvPaxos = getSystem('kv-paxos')!;

/** Crashes that come and go quickly on a slowish network: promises get forgotten mid-ballot. */
const HARSH = {
  nemesis: 'crash',
  nemesisTiming: { faultMs: [10, 40], healMs: [10, 40] },
  latency: { kind: 'uniform', min: 1, max: 10 },
  workload: { ops: 500, clients: 10 },
} as const;

test('paxos: agreement and validity hold under every nemesis plan', () => {
  for (const nemesis of nemesisNames()) {
    for (let seed = 1; seed <= 4; seed++) {
      const run = runChecked({ system: paxos, seed, nemesis, workload: { ops: 300 } });
      assert.equal(
        run.verdict,
        'valid',
        `paxos --nemesis ${nemesis} --seed ${seed}: ${run.judgement?.message ?? run.failure?.message}`,
      );
      assert.ok(run.ops.ok > 0, `paxos --nemesis ${nemesis} --seed ${seed} decided nothing`);
    }
  }
});

test('paxos: the correct acceptors survive the harsh crash schedule that catches forget-promise', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const run = runChecked({ system: paxos, seed, ...HARSH });
    assert.equal(
      run.verdict,
      'valid',
      `seed ${seed}: ${run.failure?.message ?? run.judgement?.message}`,
    );
  }
});

test('paxos: the forget-promise mutant lets two values be chosen', () => {
  const caught: number[] = [];
  for (let seed = 1; seed <= 60; seed++) {
    const run = runChecked({ system: paxos, mutant: 'forget-promise', seed, ...HARSH });
    if (run.verdict === 'invalid') caught.push(seed);
  }
  assert.ok(caught.length >= 1, 'forget-promise was never caught');
});

test('paxos: the accept-lower-ballot mutant is caught without any fault', () => {
  let caught = 0;
  for (let seed = 1; seed <= 5; seed++) {
    const run = runChecked({
      system: paxos,
      mutant: 'accept-lower-ballot',
      seed,
      workload: { ops: 300 },
    });
    if (run.verdict === 'invalid') caught++;
  }
  assert.ok(caught >= 3, `accept-lower-ballot caught in only ${caught}/5 seeds`);
});

test('paxos: the same seed gives the same run', () => {
  const a = runChecked({ system: paxos, seed: 7, nemesis: 'all', workload: { ops: 200 } });
  const b = runChecked({ system: paxos, seed: 7, nemesis: 'all', workload: { ops: 200 } });
  assert.equal(a.traceDigest, b.traceDigest);
});

const op = (id: number, key: string, value: string, result?: string): HistoryOp => ({
  id,
  process: id,
  f: 'propose',
  key,
  value,
  invoke: id,
  complete: id + 1,
  outcome: result === undefined ? 'unknown' : 'ok',
  ...(result !== undefined ? { result } : {}),
});

test('the agreement judge rejects disagreement and invented values, accepts agreement', () => {
  assert.equal(judgeAgreement([op(0, 'i0', 'a', 'b'), op(1, 'i0', 'b', 'b')]).verdict, 'valid');
  assert.match(
    judgeAgreement([op(0, 'i0', 'a', 'a'), op(1, 'i0', 'b', 'b')]).message,
    /^agreement/,
  );
  assert.match(judgeAgreement([op(0, 'i0', 'a', 'z')]).message, /^validity/);
  // An unanswered proposal may still be the chosen value.
  assert.equal(judgeAgreement([op(0, 'i0', 'a'), op(1, 'i0', 'b', 'a')]).verdict, 'valid');
});

test('kv-paxos is linearizable under every nemesis plan', () => {
  // Twenty keys keep the checker fast under `all`, where many operations end unknown.
  for (const nemesis of nemesisNames()) {
    for (let seed = 1; seed <= 3; seed++) {
      const run = runChecked({ system: kvPaxos, seed, nemesis, workload: { ops: 300, keys: 20 } });
      assert.equal(run.verdict, 'valid', `kv-paxos --nemesis ${nemesis} --seed ${seed} --ops 300`);
    }
  }
});

test('kv-paxos on five nodes survives crashes and partitions, and recovers after the heal', () => {
  for (const nemesis of ['crash', 'partition-halves', 'kill-minority,lossy']) {
    const run = runChecked({ system: kvPaxos, nodes: 5, seed: 3, nemesis, workload: { ops: 400 } });
    assert.equal(run.verdict, 'valid', nemesis);
    assert.ok(run.recovery.firstOkAt !== null, `${nemesis}: nothing succeeded after the heal`);
    assert.ok(run.recovery.firstOkAt! - run.recovery.healedAt! < 1500, `${nemesis}: slow recovery`);
  }
});

test('multi-paxos: a node far behind on large commands catches up in messages of bounded size', () => {
  const ids = ['n1', 'n2', 'n3'];
  const sim = new Simulator({
    seed: 1,
    nodeIds: ids,
    factory: kvPaxos.createNode({}),
    latency: { kind: 'constant', ms: 1 },
    keepTrace: true,
  });
  sim.start();
  const role = (id: NodeId): string | undefined =>
    (sim.liveNodes().get(id)?.inspect() as { role?: string } | undefined)?.role;
  const applied = (id: NodeId): number =>
    (sim.liveNodes().get(id)?.inspect() as { applied: number }).applied;
  let leader: NodeId | undefined;
  while (leader === undefined && sim.now < 5000) {
    sim.runUntil(sim.now + 10);
    leader = ids.find((id) => role(id) === 'leader');
  }
  assert.ok(leader !== undefined, 'a leader');
  const lagger = ids.find((id) => id !== leader) as NodeId;
  sim.crash(lagger);
  // Each command is up to ~0.9 MB by jsonSizeBound: two pass CATCHUP_MAX_SIZE.
  for (let i = 0; i < 12; i++) {
    let reply: ClientReply | undefined;
    sim.request(
      leader,
      'c1',
      i + 1,
      { f: 'put', key: `big/${i}`, value: 'x'.repeat(150_000) },
      (r) => {
        reply = r;
      },
    );
    while (reply === undefined && sim.now < 20_000) sim.runUntil(sim.now + 5);
    assert.equal(reply?.ok, true, JSON.stringify(reply));
  }
  sim.restart(lagger);
  sim.runUntil(sim.now + 3000);
  assert.equal(applied(lagger), applied(leader));
  const answers = (sim.trace.events ?? []).flatMap((e) =>
    e.e === 'send' && e.type === 'chosen' && e.to === lagger
      ? [(e.msg as { entries: { cmd: Json }[] }).entries]
      : [],
  );
  assert.ok(answers.length >= 12, `one catch-up answer per command (${answers.length})`);
  for (const entries of answers) {
    const size = entries.reduce((n, e) => n + jsonSizeBound(e.cmd), 0);
    assert.ok(entries.length <= 1 || size <= CATCHUP_MAX_SIZE, `an answer of ${size}`);
  }
  assert.equal(sim.failure, undefined, JSON.stringify(sim.failure));
});
