/**
 * The zookeeper system's wire writes (zk-wire-ops.ts), which a real node's ZooKeeper port sends:
 * which ops are accepted, and how the machine applies them under the session they name, with the
 * whole result and every txn shown to its observer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { Txn } from '../../../src/systems/coordination/txns.js';
import { ZK_ERR } from '../../../src/systems/coordination/zk-codes.js';
import { ZkMachine } from '../../../src/systems/zookeeper/zk-machine.js';
import { parseWireOp, wireResultOf } from '../../../src/systems/zookeeper/zk-wire-ops.js';

test('a wire op names its session; leader-only requests and a named createSession are refused', () => {
  const create = { type: 'create', path: '/a', data: '', mode: 'persistent' };
  assert.ok(parseWireOp({ f: 'wire', s: 5, seen: 0, w: create }));
  assert.ok(parseWireOp({ f: 'wire', s: 0, seen: 3, w: { type: 'createSession', timeout: 100 } }));
  const refused: Json[] = [
    { f: 'wire', s: 5, seen: 0, w: { type: 'createSession', timeout: 100 } },
    { f: 'wire', s: 0, seen: 0, w: { type: 'expireSession', target: 5 } },
    { f: 'wire', s: 0, seen: 0, w: { type: 'deleteContainer', path: '/a' } },
    { f: 'wire', s: -1, seen: 0, w: create },
    { f: 'wire', s: 5, seen: 0, w: create, extra: 1 },
    { f: 'wire', s: 5, seen: 0, w: { type: 'create', path: '/a' } },
    { f: 'getData', key: '/a', seen: 0 },
  ];
  for (const bad of refused) assert.equal(parseWireOp(bad), undefined, JSON.stringify(bad));
});

test('the machine applies wire writes under the named session and shows each txn', () => {
  const m = new ZkMachine({ tickMs: 100 });
  const seen: Txn[] = [];
  m.subscribe((txn) => seen.push(txn));
  const apply = (seq: number, w: Json, s: number): ReturnType<typeof wireResultOf> =>
    wireResultOf(m.apply({ client: 'lane0', seq, op: { w, t: 1000, s } }));
  const opened = apply(1, { type: 'createSession', timeout: 1000 }, 0);
  assert.equal(opened?.code, ZK_ERR.OK);
  assert.equal(opened?.r?.type, 'createSession');
  const session = opened?.r?.type === 'createSession' ? opened.r.session : 0;
  const made = apply(2, { type: 'create', path: '/e', data: '', mode: 'ephemeral' }, session);
  assert.equal(made?.r?.type, 'create');
  assert.equal(made?.r?.type === 'create' ? made.r.stat.ephemeralOwner : -1, session);
  assert.equal(made?.zxid, 2);
  // The same lane's next request, under another (unknown) session: refused by prepare.
  assert.deepEqual(apply(3, { type: 'delete', path: '/e', version: -1 }, 999), {
    code: ZK_ERR.SESSIONEXPIRED,
    zxid: 3,
  });
  const multi = apply(
    4,
    {
      type: 'multi',
      ops: [
        { type: 'check', path: '/', version: -1 },
        { type: 'delete', path: '/missing', version: -1 },
      ],
    },
    session,
  );
  assert.deepEqual(multi, {
    code: ZK_ERR.NONODE,
    zxid: 4,
    opCodes: [ZK_ERR.OK, ZK_ERR.NONODE],
  });
  assert.deepEqual(
    seen.map((t) => t.body.type),
    ['createSession', 'create'],
  );
  // A lane's latest answer is recalled for a retry, so it takes effect once.
  assert.deepEqual(m.recall('lane0', 4)?.result, multi);
  assert.equal(m.state.nodes.has('/e'), true);
});
