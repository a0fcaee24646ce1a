/**
 * The zookeeper system: ZooKeeper's state machine on Zab in the simulator. Its checkers must
 * fail on the histories they exist to refuse, and its runs under faults must pass them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistory, getModel } from '../../../src/check/index.js';
import type { HistoryOp } from '../../../src/core/history.js';
import { runChecked } from '../../../src/sim/checked-run.js';
import { ZkMachine } from '../../../src/systems/zookeeper/zk-machine.js';
import { judgeZk } from '../../../src/systems/zookeeper/zk-judge.js';
import { zkMessageProblem } from '../../../src/systems/zookeeper/zk-messages.js';
import { zookeeperSystem } from '../../../src/systems/zookeeper/zookeeper.js';
import { history } from '../../check/helpers.js';

const znode = getModel('znode');

test('znode model: a create answered NODEEXISTS after a delete completed is no linearizable history', () => {
  assert.ok(znode);
  const good = history(
    {
      process: 0,
      f: 'create',
      key: '/a',
      value: 'AAAA',
      result: { code: 0 },
      invoke: 0,
      complete: 1,
    },
    {
      process: 1,
      f: 'setData',
      key: '/a',
      value: ['BBBB', 0],
      result: { code: 0, version: 1 },
      invoke: 2,
      complete: 3,
    },
    {
      process: 0,
      f: 'setData',
      key: '/a',
      value: ['CCCC', 0],
      result: { code: -103 },
      invoke: 4,
      complete: 5,
    },
    { process: 1, f: 'delete', key: '/a', value: 1, result: { code: 0 }, invoke: 6, complete: 7 },
    {
      process: 0,
      f: 'create',
      key: '/a',
      value: 'DDDD',
      result: { code: 0 },
      invoke: 8,
      complete: 9,
    },
    // A read is never constrained: ZooKeeper's reads are not linearizable.
    {
      process: 2,
      f: 'getData',
      key: '/a',
      result: { code: -101, zxid: 1 },
      invoke: 10,
      complete: 11,
    },
  );
  assert.equal(checkHistory(good, znode).verdict, 'valid');
  const stale = history(
    {
      process: 0,
      f: 'create',
      key: '/a',
      value: 'AAAA',
      result: { code: 0 },
      invoke: 0,
      complete: 1,
    },
    { process: 1, f: 'delete', key: '/a', value: -1, result: { code: 0 }, invoke: 2, complete: 3 },
    {
      process: 0,
      f: 'create',
      key: '/a',
      value: 'BBBB',
      result: { code: -110 },
      invoke: 4,
      complete: 5,
    },
  );
  assert.equal(checkHistory(stale, znode).verdict, 'invalid');
  const wrongVersion = history(
    {
      process: 0,
      f: 'create',
      key: '/b',
      value: 'AAAA',
      result: { code: 0 },
      invoke: 0,
      complete: 1,
    },
    {
      process: 0,
      f: 'setData',
      key: '/b',
      value: ['BBBB', -1],
      result: { code: 0, version: 2 },
      invoke: 2,
      complete: 3,
    },
  );
  assert.equal(checkHistory(wrongVersion, znode).verdict, 'invalid');
});

test('znode model: an unknown write may or may not have happened; SESSIONEXPIRED did nothing', () => {
  assert.ok(znode);
  const h = history(
    {
      process: 0,
      f: 'create',
      key: '/a',
      value: 'AAAA',
      outcome: 'unknown',
      invoke: 0,
      complete: 1,
    },
    {
      process: 1,
      f: 'setData',
      key: '/a',
      value: ['BBBB', 0],
      result: { code: 0, version: 1 },
      invoke: 2,
      complete: 3,
    },
    {
      process: 2,
      f: 'delete',
      key: '/a',
      value: -1,
      result: { code: -112 },
      invoke: 4,
      complete: 5,
    },
    {
      process: 1,
      f: 'setData',
      key: '/a',
      value: ['CCCC', 1],
      result: { code: 0, version: 2 },
      invoke: 6,
      complete: 7,
    },
  );
  assert.equal(checkHistory(h, znode).verdict, 'valid');
});

const op = (id: number, process: number, f: string, zxid: number): HistoryOp => ({
  id,
  process,
  f,
  invoke: id,
  complete: id + 0.5,
  outcome: 'ok',
  result: { code: 0, zxid },
});

test('judge: a client answered from an older zxid than it has seen is caught', () => {
  assert.equal(
    judgeZk([op(0, 0, 'connect', 1), op(1, 0, 'getData', 1), op(2, 1, 'getData', 0)]).verdict,
    'valid',
  );
  const back = judgeZk([op(0, 0, 'connect', 3), op(1, 0, 'getData', 2)]);
  assert.equal(back.verdict, 'invalid');
  assert.match(back.message, /went back in time/);
});

test('judge: two writes at one zxid are caught', () => {
  const twice = judgeZk([op(0, 0, 'setData', 4), op(1, 1, 'create', 4)]);
  assert.equal(twice.verdict, 'invalid');
  assert.match(twice.message, /both took effect at zxid 4/);
});

test('the machine: a write without a live session is refused; a retry takes effect once', () => {
  const m = new ZkMachine({ tickMs: 50 });
  const create = { w: { type: 'create', path: '/a', data: '', mode: 'persistent' }, t: 0 };
  assert.deepEqual(m.apply({ client: 'c0', seq: 1, op: create }), { code: -112, zxid: 1 });
  const connect = { w: { type: 'createSession', timeout: 500 }, t: 0 };
  assert.deepEqual(m.apply({ client: 'c0', seq: 2, op: connect }), {
    code: 0,
    zxid: 2,
    session: 1,
  });
  assert.deepEqual(m.apply({ client: 'c0', seq: 3, op: create }), { code: 0, zxid: 3, version: 0 });
  // Delivered again (proposed twice): the same answer, no second create.
  assert.deepEqual(m.apply({ client: 'c0', seq: 3, op: create }), { code: 0, zxid: 3, version: 0 });
  assert.equal(m.position, 4);
  const expire = { w: { type: 'expireSession', target: 1 }, t: 900 };
  assert.deepEqual(m.apply({ client: 'expire:1', seq: 1, op: expire }), { code: 0, zxid: 5 });
  assert.equal(m.sessionFor('c0'), 0);
});

test('zk-touch messages are checked; Zab messages pass through to Zab schema', () => {
  const cluster = ['n1', 'n2', 'n3'];
  assert.equal(
    zkMessageProblem({ type: 'zk-touch', epoch: 1, sessions: [1, 2] }, cluster),
    undefined,
  );
  assert.notEqual(
    zkMessageProblem({ type: 'zk-touch', epoch: 1, sessions: [-1] }, cluster),
    undefined,
  );
  assert.notEqual(zkMessageProblem({ type: 'proposal', epoch: 'x' }, cluster), undefined);
});

test('a bad --param is a usage error', () => {
  assert.throws(
    () => zookeeperSystem.createNode({ params: { 'session-timeout': '0' } }),
    /session-timeout/,
  );
  assert.throws(() => zookeeperSystem.createNode({ params: { nope: '1' } }), /no parameter 'nope'/);
});

test('under every nemesis: valid, and the leader expires sessions that went silent', () => {
  let expiries = 0;
  for (const seed of [1, 2, 3, 4, 5]) {
    const r = runChecked({ system: zookeeperSystem, seed, nemesis: 'all', workload: { ops: 400 } });
    assert.equal(r.verdict, 'valid', `seed ${seed}: ${r.failure?.message ?? r.judgement?.message}`);
    expiries += r.metrics['zk.expiry-proposed']?.count ?? 0;
  }
  assert.ok(expiries > 0, 'no leader proposed an expiry under faults');
});

test('serve-stale: a server that answers a client ahead of it is caught by the judge', () => {
  const r = runChecked({
    system: zookeeperSystem,
    mutant: 'serve-stale',
    seed: 5,
    swarm: true,
    workload: { ops: 300 },
  });
  assert.equal(r.verdict, 'invalid');
  assert.match(r.judgement?.message ?? '', /went back in time/);
});
