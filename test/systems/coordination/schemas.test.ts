import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SingleServer } from '../../../src/systems/coordination/single-server.js';
import {
  readRequestProblem,
  requestProblem,
  txnProblem,
} from '../../../src/systems/coordination/coord-schemas.js';

test('schemas: every txn a run commits passes the txn schema; malformed ones are named', () => {
  const s = new SingleServer();
  const ops = [
    { session: 0, op: { type: 'createSession', timeout: 5000 } },
    { session: 1, op: { type: 'create', path: '/a', data: 'eA==', mode: 'persistent' } },
    { session: 1, op: { type: 'create', path: '/a/e-', data: '', mode: 'ephemeralSequential' } },
    { session: 1, op: { type: 'create', path: '/t', data: '', mode: 'persistentWithTtl', ttl: 9 } },
    { session: 1, op: { type: 'setData', path: '/a', data: '', version: 0 } },
    {
      session: 1,
      op: {
        type: 'multi',
        ops: [
          { type: 'check', path: '/a', version: 1 },
          { type: 'delete', path: '/t', version: -1 },
        ],
      },
    },
    { session: 1, op: { type: 'closeSession' } },
  ] as const;
  for (const r of ops) {
    assert.equal(requestProblem(r), undefined, JSON.stringify(r));
    assert.ok(s.write(r.session, r.op, 10).ok, JSON.stringify(r));
  }
  assert.equal(s.log.length, ops.length);
  for (const txn of s.log) assert.equal(txnProblem(JSON.parse(JSON.stringify(txn))), undefined);

  assert.match(
    requestProblem({ session: 1, op: { type: 'create', path: '/a', data: '', mode: 'weird' } }) ??
      '',
    /mode/,
  );
  assert.match(requestProblem({ session: -1, op: { type: 'closeSession' } }) ?? '', /session/);
  assert.notEqual(requestProblem({ session: 1, op: { type: 'nope' } }), undefined);
  assert.notEqual(
    requestProblem({ session: 1, op: { type: 'closeSession', extra: 1 } }),
    undefined,
  );
  assert.notEqual(
    txnProblem({ zxid: 1, time: 0, session: 0, body: { type: 'delete' } }),
    undefined,
  );
  assert.equal(
    readRequestProblem({ type: 'getChildren', path: '/', watch: true, withStat: true }),
    undefined,
  );
  assert.notEqual(readRequestProblem({ type: 'getChildren', path: 5 }), undefined);
});
