import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordState, Overlay } from '../../../src/systems/coordination/data-tree.js';
import { prepare, type Request } from '../../../src/systems/coordination/requests.js';
import { applyTxn, type Txn } from '../../../src/systems/coordination/txns.js';
import { snapshotState } from '../../../src/systems/coordination/snapshot.js';
import { treeProblem } from '../../../src/systems/coordination/tree-invariants.js';

test('a leader prepares against its outstanding txns (an Overlay); replicas applying the log agree', () => {
  const committed = new CoordState();
  const follower = new CoordState();
  // The leader proposes several txns before any commits, as Zab pipelines proposals.
  const pending = new Overlay(committed);
  const log: Txn[] = [];
  const propose = (req: Request): Txn => {
    const p = prepare(pending, req, pending.lastZxid() + 1, 100);
    assert.ok(p.ok, JSON.stringify(req));
    applyTxn(pending, p.txn);
    log.push(p.txn);
    return p.txn;
  };
  propose({ session: 0, op: { type: 'createSession', timeout: 4000 } });
  propose({ session: 1, op: { type: 'create', path: '/q', data: '', mode: 'persistent' } });
  const seq = [0, 1, 2].map(() =>
    propose({
      session: 1,
      op: { type: 'create', path: '/q/x-', data: '', mode: 'persistentSequential' },
    }),
  );
  const names = seq.map((t) => (t.body.type === 'create' ? t.body.path : ''));
  assert.deepEqual(names, ['/q/x-0000000000', '/q/x-0000000001', '/q/x-0000000002']);
  // A request that conflicts with an outstanding txn is refused before anything commits.
  const dup = prepare(
    pending,
    { session: 1, op: { type: 'create', path: '/q', data: '', mode: 'persistent' } },
    pending.lastZxid() + 1,
    100,
  );
  assert.deepEqual(dup, { ok: false, code: -110 });
  assert.equal(committed.lastZxid(), 0, 'nothing committed yet');
  for (const txn of log) {
    applyTxn(committed, txn);
    applyTxn(follower, JSON.parse(JSON.stringify(txn)));
  }
  assert.equal(treeProblem(committed), undefined);
  assert.deepEqual(snapshotState(follower), snapshotState(committed));
  assert.throws(() => applyTxn(follower, log[0] as Txn), /zxid not above/);
});
