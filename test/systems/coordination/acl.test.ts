/**
 * ZooKeeper's ACL rules in the coordination state machine: which permission each op needs and
 * where (CREATE/DELETE on the parent, WRITE for setData, READ for reads and check, ADMIN for
 * setACL, none for exists), the `auth`, `digest`, `ip` and `world` schemes, INVALIDACL,
 * setACL's aversion and BADVERSION, getACL's redaction, the order of refusals, snapshots, and
 * the `ignore-acl` mutant caught.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OPEN_ACL,
  PERMS,
  aclAllows,
  fixupAcl,
  type Acl,
  type AclId,
} from '../../../src/systems/coordination/acl.js';
import { requestProblem } from '../../../src/systems/coordination/coord-schemas.js';
import type {
  CoordMutant,
  OpRequest,
  WriteRequest,
} from '../../../src/systems/coordination/requests.js';
import { SingleServer, type WriteReply } from '../../../src/systems/coordination/single-server.js';
import { restoreState, snapshotState } from '../../../src/systems/coordination/snapshot.js';
import { treeProblem } from '../../../src/systems/coordination/tree-invariants.js';
import { ZK_ERR } from '../../../src/systems/coordination/zk-codes.js';
import type { ReadRequest } from '../../../src/systems/coordination/reads.js';

const alice: AclId = { scheme: 'digest', id: 'alice:hashA' };
const bob: AclId = { scheme: 'digest', id: 'bob:hashB' };
const aliceIp: AclId = { scheme: 'ip', id: '10.0.0.7' };
const acl = (perms: number, scheme: string, id: string): Acl => ({ perms, id: { scheme, id } });
const onlyAlice = [acl(PERMS.ALL, 'digest', alice.id)];

/** A server with sessions 1 (alice's connection) and 2 (bob's); checks invariants after writes. */
function server(mutant?: CoordMutant) {
  const s = new SingleServer(mutant === undefined ? {} : { mutant });
  for (const session of [1, 2]) {
    const r = s.write(0, { type: 'createSession', timeout: 10_000 }, 1000);
    assert.ok(r.ok && r.result.type === 'createSession' && r.result.session === session);
  }
  const as =
    (session: number, auth: readonly AclId[]) =>
    (op: WriteRequest): WriteReply => {
      const r = s.write(session, op, 1000, auth);
      assert.equal(treeProblem(s.state), undefined);
      return r;
    };
  const reads = (session: number, auth: readonly AclId[]) => (req: ReadRequest) =>
    s.read(session, req, 1000, auth);
  return {
    s,
    a: as(1, [alice, aliceIp]),
    b: as(2, [bob]),
    ra: reads(1, [alice, aliceIp]),
    rb: reads(2, [bob]),
  };
}

const code = (r: { ok: boolean; code?: number }): number => (r.ok ? 0 : (r.code ?? NaN));
const create = (path: string, a?: readonly Acl[]): OpRequest => ({
  type: 'create',
  path,
  data: '',
  mode: 'persistent',
  ...(a === undefined ? {} : { acl: a }),
});

test('a node readable only by its owner: every op needs its permission, exists needs none', () => {
  const { a, b, ra, rb } = server();
  assert.equal(code(a(create('/secret', onlyAlice))), 0);
  // bob: refused on every op that needs a permission on /secret…
  assert.equal(code(rb({ type: 'getData', path: '/secret' })), ZK_ERR.NOAUTH);
  assert.equal(code(rb({ type: 'getChildren', path: '/secret' })), ZK_ERR.NOAUTH);
  assert.equal(code(rb({ type: 'getAllChildrenNumber', path: '/secret' })), ZK_ERR.NOAUTH);
  assert.equal(code(rb({ type: 'getACL', path: '/secret' })), ZK_ERR.NOAUTH);
  assert.equal(code(b({ type: 'setData', path: '/secret', data: '', version: -1 })), ZK_ERR.NOAUTH);
  assert.equal(code(b({ type: 'check', path: '/secret', version: -1 })), ZK_ERR.NOAUTH);
  assert.equal(code(b(create('/secret/child'))), ZK_ERR.NOAUTH);
  assert.equal(
    code(b({ type: 'setACL', path: '/secret', acl: OPEN_ACL, version: -1 })),
    ZK_ERR.NOAUTH,
  );
  // …but exists needs none, and / is world:anyone, so bob may delete /secret itself.
  const seen = rb({ type: 'exists', path: '/secret' });
  assert.ok(seen.ok && seen.result.type === 'exists' && seen.result.stat !== null);
  // alice may do all of it.
  assert.equal(code(ra({ type: 'getData', path: '/secret' })), 0);
  assert.equal(code(a({ type: 'setData', path: '/secret', data: '', version: 0 })), 0);
  assert.equal(code(a(create('/secret/child'))), 0);
  // DELETE is checked on the parent: bob may not delete alice's child…
  assert.equal(code(b({ type: 'delete', path: '/secret/child', version: -1 })), ZK_ERR.NOAUTH);
  assert.equal(code(a({ type: 'delete', path: '/secret/child', version: -1 })), 0);
  // …and may delete /secret, whose parent / grants DELETE to anyone.
  assert.equal(code(b({ type: 'delete', path: '/secret', version: -1 })), 0);
});

test('each permission bit guards exactly its op', () => {
  const { a, b, rb } = server();
  const bits = [PERMS.READ, PERMS.WRITE, PERMS.CREATE, PERMS.DELETE, PERMS.ADMIN];
  for (const bit of bits) {
    const p = `/n${bit}`;
    // alice keeps everything; bob gets one bit.
    assert.equal(code(a(create(p, [...onlyAlice, acl(bit, 'digest', bob.id)]))), 0);
    assert.equal(code(a(create(`${p}/kid`))), 0);
    const has = (b2: number): number => (bit === b2 ? 0 : ZK_ERR.NOAUTH);
    assert.equal(code(rb({ type: 'getData', path: p })), has(PERMS.READ), `getData ${bit}`);
    assert.equal(code(b({ type: 'check', path: p, version: -1 })), has(PERMS.READ));
    assert.equal(code(b({ type: 'setData', path: p, data: '', version: -1 })), has(PERMS.WRITE));
    assert.equal(code(b(create(`${p}/b`))), has(PERMS.CREATE), `create ${bit}`);
    assert.equal(code(b({ type: 'delete', path: `${p}/kid`, version: -1 })), has(PERMS.DELETE));
    // getACL wants READ or ADMIN.
    const getAcl = code(rb({ type: 'getACL', path: p }));
    assert.equal(getAcl, bit === PERMS.READ || bit === PERMS.ADMIN ? 0 : ZK_ERR.NOAUTH);
    assert.equal(
      code(b({ type: 'setACL', path: p, acl: onlyAlice, version: -1 })),
      has(PERMS.ADMIN),
      `setACL ${bit}`,
    );
  }
});

test('the auth scheme stands for the asker’s authenticated ids; bad lists are INVALIDACL', () => {
  const { s, a, b } = server();
  const creator = [acl(PERMS.ALL, 'auth', '')];
  assert.equal(code(a(create('/mine', creator))), 0);
  // Replaced by alice's digest id only: ip identities are not authenticated ones.
  assert.deepEqual(s.state.node('/mine')?.acl, [acl(PERMS.ALL, 'digest', alice.id)]);
  // Someone with no digest identity cannot use `auth`.
  const anon = (op: WriteRequest): WriteReply => s.write(2, op, 1000, []);
  assert.equal(code(anon(create('/x', creator))), ZK_ERR.INVALIDACL);
  for (const bad of [
    [],
    [acl(PERMS.ALL, 'world', 'someone')],
    [acl(PERMS.ALL, 'nosuch', 'x')],
    [acl(PERMS.ALL, 'digest', 'no-colon')],
    [acl(PERMS.ALL, 'digest', 'a:b:c')],
    [acl(PERMS.ALL, 'digest', 'user:')],
    [acl(PERMS.ALL, 'ip', '10.0.0.256')],
    [acl(PERMS.ALL, 'ip', '10.0.0.0/33')],
  ]) {
    assert.equal(code(b(create('/bad', bad))), ZK_ERR.INVALIDACL, JSON.stringify(bad));
    assert.equal(
      code(b({ type: 'setACL', path: '/mine', acl: bad, version: -1 })),
      ZK_ERR.INVALIDACL,
    );
  }
  // Duplicates are dropped, as ZooKeeper's fixupACL does.
  const twice = fixupAcl([...onlyAlice, ...onlyAlice], []);
  assert.ok('acl' in twice && twice.acl.length === 1);
});

test('ip ACLs match the client address and CIDR ranges (IPv4, and IPv4-mapped IPv6)', () => {
  const range = [acl(PERMS.READ, 'ip', '10.0.0.0/24')];
  assert.ok(aclAllows(range, PERMS.READ, [{ scheme: 'ip', id: '10.0.0.200' }]));
  assert.ok(aclAllows(range, PERMS.READ, [{ scheme: 'ip', id: '::ffff:10.0.0.9' }]));
  assert.ok(!aclAllows(range, PERMS.READ, [{ scheme: 'ip', id: '10.0.1.1' }]));
  assert.ok(!aclAllows(range, PERMS.WRITE, [{ scheme: 'ip', id: '10.0.0.1' }]));
  const exact = [acl(PERMS.ALL, 'ip', '127.0.0.1')];
  assert.ok(aclAllows(exact, PERMS.ADMIN, [{ scheme: 'ip', id: '127.0.0.1' }]));
  assert.ok(!aclAllows(exact, PERMS.ADMIN, [{ scheme: 'ip', id: '127.0.0.2' }]));
  // A digest identity never satisfies an ip entry, nor the other way round.
  assert.ok(!aclAllows(exact, PERMS.READ, [{ scheme: 'digest', id: '127.0.0.1' }]));
  assert.ok(aclAllows([acl(PERMS.READ, 'ip', '0.0.0.0/0')], PERMS.READ, [aliceIp]));
  // An empty stored ACL allows everything (ZooKeeper's rule for nodes without one).
  assert.ok(aclAllows([], PERMS.ADMIN, []));
});

test('setACL bumps aversion only; a stale aversion is BADVERSION; getACL redacts for non-admins', () => {
  const { s, a, ra, rb } = server();
  assert.equal(code(a(create('/n', onlyAlice))), 0);
  const before = s.state.node('/n')?.stat;
  const next = [...onlyAlice, acl(PERMS.READ, 'digest', bob.id)];
  const r = a({ type: 'setACL', path: '/n', acl: next, version: 0 });
  assert.ok(r.ok && r.result.type === 'setACL');
  assert.equal(r.result.stat.aversion, 1);
  assert.equal(r.result.stat.version, before?.version);
  assert.equal(r.result.stat.mzxid, before?.mzxid, 'setACL is not a data change');
  assert.equal(code(a({ type: 'setACL', path: '/n', acl: next, version: 0 })), ZK_ERR.BADVERSION);
  assert.equal(code(a({ type: 'setACL', path: '/n', acl: next, version: 1 })), 0);
  assert.equal(code(a({ type: 'setACL', path: '/nope', acl: next, version: -1 })), ZK_ERR.NONODE);
  const mine = ra({ type: 'getACL', path: '/n' });
  assert.ok(mine.ok && mine.result.type === 'getACL');
  assert.deepEqual(mine.result.acl, next);
  assert.equal(mine.result.stat.aversion, 2);
  // bob may READ, not ADMIN: he sees who, not the hashes.
  const his = rb({ type: 'getACL', path: '/n' });
  assert.ok(his.ok && his.result.type === 'getACL');
  assert.deepEqual(
    his.result.acl.map((x) => x.id.id),
    ['alice:x', 'bob:x'],
  );
});

test('refusals come in ZooKeeper’s order', () => {
  const { a, b } = server();
  assert.equal(code(a(create('/locked', [acl(PERMS.READ, 'world', 'anyone')]))), 0);
  // create: INVALIDACL before NONODE before NOAUTH before NODEEXISTS.
  assert.equal(code(b(create('/missing/x', []))), ZK_ERR.INVALIDACL);
  assert.equal(code(b(create('/missing/x', OPEN_ACL))), ZK_ERR.NONODE);
  assert.equal(code(a(create('/locked/x', OPEN_ACL))), ZK_ERR.NOAUTH);
  assert.equal(code(b(create('/locked', OPEN_ACL))), ZK_ERR.NODEEXISTS);
  // delete: the parent's DELETE comes before the node's existence and version.
  assert.equal(code(b({ type: 'delete', path: '/locked/none', version: 5 })), ZK_ERR.NOAUTH);
  // setData: NONODE, then NOAUTH before BADVERSION.
  assert.equal(code(b({ type: 'setData', path: '/none', data: '', version: 0 })), ZK_ERR.NONODE);
  assert.equal(code(b({ type: 'setData', path: '/locked', data: '', version: 9 })), ZK_ERR.NOAUTH);
  // setACL: NOAUTH before BADVERSION.
  assert.equal(
    code(b({ type: 'setACL', path: '/locked', acl: OPEN_ACL, version: 9 })),
    ZK_ERR.NOAUTH,
  );
});

test('a multi is refused whole when one op lacks permission', () => {
  const { s, a, b } = server();
  assert.equal(code(a(create('/owned', onlyAlice))), 0);
  const r = b({
    type: 'multi',
    ops: [create('/free'), { type: 'setData', path: '/owned', data: '', version: -1 }],
  });
  assert.ok(!r.ok);
  assert.deepEqual(r.opCodes, [ZK_ERR.OK, ZK_ERR.NOAUTH]);
  assert.equal(s.state.node('/free'), undefined);
});

test('ACLs survive a snapshot; schemas take them; a stored `auth` entry is a broken invariant', () => {
  const { s, a } = server();
  assert.equal(code(a(create('/k', onlyAlice))), 0);
  const back = restoreState(JSON.parse(JSON.stringify(snapshotState(s.state))));
  assert.deepEqual(back.node('/k')?.acl, onlyAlice);
  assert.deepEqual(back.node('/')?.acl, OPEN_ACL);
  assert.equal(
    requestProblem({ session: 1, op: create('/k', onlyAlice), auth: [alice] }),
    undefined,
  );
  assert.equal(
    requestProblem({ session: 1, op: { type: 'setACL', path: '/k', acl: onlyAlice, version: 0 } }),
    undefined,
  );
  const node = s.state.node('/k');
  assert.ok(node);
  node.acl = [acl(PERMS.ALL, 'auth', '')];
  assert.match(treeProblem(s.state) ?? '', /auth scheme/);
});

test('mutant ignore-acl: setData skips the WRITE check, and this test sees it', () => {
  for (const mutant of [undefined, 'ignore-acl'] as const) {
    const { a, b } = server(mutant);
    assert.equal(code(a(create('/w', onlyAlice))), 0);
    const r = b({ type: 'setData', path: '/w', data: '', version: -1 });
    // The real rule refuses bob; the mutant lets him write alice's node.
    assert.equal(code(r), mutant === undefined ? ZK_ERR.NOAUTH : 0);
  }
});
