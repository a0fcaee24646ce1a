/**
 * ACLs through Zab's state machine (zk-machine.ts): the identities of the connection that sent
 * a write travel in its log entry (`a`), so every server prepares it to the same NOAUTH or the
 * same txn; entries with a malformed `a` are not valid log ops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { ZkMachine, isZkLogOp } from '../../../src/systems/zookeeper/zk-machine.js';
import { ZK_ERR } from '../../../src/systems/coordination/zk-codes.js';

const alice = { scheme: 'digest', id: 'alice:hashA' };
const bob = { scheme: 'digest', id: 'bob:hashB' };
const onlyAlice = [{ perms: 31, id: alice }];

test('two replicas applying the same entries decide NOAUTH alike from the logged identities', () => {
  const log: { client: string; seq: number; op: Json }[] = [
    { client: 'a', seq: 1, op: { w: { type: 'createSession', timeout: 500 }, t: 0 } },
    { client: 'b', seq: 1, op: { w: { type: 'createSession', timeout: 500 }, t: 0 } },
    {
      client: 'a',
      seq: 2,
      op: {
        w: { type: 'create', path: '/s', data: '', mode: 'persistent', acl: onlyAlice },
        t: 1,
        a: [alice],
      },
    },
    {
      client: 'b',
      seq: 2,
      op: { w: { type: 'setData', path: '/s', data: '', version: -1 }, t: 2, a: [bob] },
    },
    // No identities at all: the same refusal.
    {
      client: 'b',
      seq: 3,
      op: { w: { type: 'setData', path: '/s', data: '', version: -1 }, t: 3 },
    },
    {
      client: 'a',
      seq: 3,
      op: { w: { type: 'setData', path: '/s', data: '', version: -1 }, t: 4, a: [alice] },
    },
  ];
  const answers = [new ZkMachine({ tickMs: 50 }), new ZkMachine({ tickMs: 50 })].map((m) =>
    log.map((txn) => m.apply(txn)),
  );
  assert.deepEqual(answers[0], answers[1]);
  assert.deepEqual(
    (answers[0] ?? []).map((r) => (r as { code: number }).code),
    [0, 0, 0, ZK_ERR.NOAUTH, ZK_ERR.NOAUTH, 0],
  );
});

test('a log entry’s identities are shape-checked', () => {
  const w = { type: 'setData', path: '/s', data: '', version: -1 };
  assert.equal(isZkLogOp({ w, t: 0, a: [bob] }), true);
  assert.equal(isZkLogOp({ w, t: 0, a: [{ scheme: 'digest' }] }), false);
  assert.equal(isZkLogOp({ w, t: 0, a: 'bob' }), false);
  assert.equal(isZkLogOp({ w, t: 0, x: 1 }), false);
});
