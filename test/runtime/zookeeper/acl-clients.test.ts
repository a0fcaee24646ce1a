/**
 * ACLs over ZooKeeper's wire, driven by real clients against the coordination backend on
 * loopback: node-zookeeper-client (npm) with digest auth creates a node only its owner may
 * touch, another session is refused with NOAUTH, setACL/getACL round-trip with aversion and
 * BADVERSION on a stale one, getACL hides digest hashes from a reader without ADMIN, `auth`
 * without an identity is INVALIDACL, and `ip` entries match the connection's address. kazoo
 * (Debian python3-kazoo, under /usr/bin/python3) runs the same basic scenario, skipping when
 * absent. A few seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import zookeeper from 'node-zookeeper-client';
import { serveCoordination, type Served } from './coord-harness.js';
import { upZk } from './zk-cluster.js';
import { needTool, probe } from '../../support/tools.js';

type Client = ReturnType<typeof zookeeper.createClient>;
const { ACL, Id, Permission, CreateMode, Exception } = zookeeper;
type AclT = InstanceType<typeof ACL>;

const digestId = (user: string, password: string): string =>
  `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;

/** A connected client of `where` (a port on loopback, or a connect string). */
async function client(where: number | string, auth?: string): Promise<Client> {
  const connectString = typeof where === 'number' ? `127.0.0.1:${where}` : where;
  const c = zookeeper.createClient(connectString, {
    sessionTimeout: 10_000,
    spinDelay: 50,
    retries: 0,
  });
  const connected = new Promise<void>((resolve) => c.once('connected', () => resolve()));
  c.connect();
  await connected;
  if (auth !== undefined) c.addAuthInfo('digest', Buffer.from(auth));
  return c;
}

function call<T>(f: (cb: (e: Error | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v))));
}
const code = (e: unknown): number => (e as zookeeper.ZkException).getCode();
async function refused(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    return code(e);
  }
  return 0;
}

const create = (c: Client, path: string, acls: AclT[]): Promise<string> =>
  call((cb) => c.create(path, Buffer.from('hidden'), acls, CreateMode.PERSISTENT, cb));
const getData = (c: Client, path: string): Promise<string> =>
  new Promise((resolve, reject) =>
    c.getData(path, undefined, (e, data) => (e ? reject(e) : resolve(data.toString()))),
  );
const setData = (c: Client, path: string): Promise<unknown> =>
  call((cb) => c.setData(path, Buffer.from('x'), -1, cb));
const getACL = (c: Client, path: string) =>
  new Promise<{ acls: AclT[]; aversion: number }>((resolve, reject) =>
    c.getACL(path, (e, acls, stat) => (e ? reject(e) : resolve({ acls, aversion: stat.aversion }))),
  );
const setACL = (c: Client, path: string, acls: AclT[], version: number) =>
  call<{ aversion: number }>((cb) => c.setACL(path, acls, version, cb));
const plain = (acls: AclT[]): [number, string, string][] =>
  acls.map((a) => [a.permission, a.id.scheme, a.id.id]);

async function served(f: (s: Served, clients: Client[]) => Promise<void>): Promise<void> {
  const s = await serveCoordination({ tickMs: 100 });
  const clients: Client[] = [];
  try {
    await f(s, clients);
  } finally {
    for (const c of clients) c.close();
    await s.stop();
  }
}

/** A digest owner's node, NOAUTH for others, setACL/getACL with aversion, served at `where`. */
async function ownerScenario(where: number | string, clients: Client[]): Promise<void> {
  const alice = await client(where, 'alice:secret');
  const bob = await client(where, 'bob:hunter2');
  const anon = await client(where);
  const impostor = await client(where, 'alice:wrong');
  clients.push(alice, bob, anon, impostor);
  const aliceId = digestId('alice', 'secret');

  // CREATOR_ALL_ACL is ALL for `auth`: the node is stored with alice's digest identity.
  assert.equal(await create(alice, '/owned', ACL.CREATOR_ALL_ACL), '/owned');
  assert.equal(await getData(alice, '/owned'), 'hidden');
  for (const other of [bob, anon, impostor]) {
    assert.equal(await refused(getData(other, '/owned')), Exception.NO_AUTH);
    assert.equal(await refused(setData(other, '/owned')), Exception.NO_AUTH);
  }
  // exists needs no permission.
  const seen = await call<zookeeper.ZkStat | null>((cb) => anon.exists('/owned', undefined, cb));
  assert.ok(seen !== null);

  const first = await getACL(alice, '/owned');
  assert.deepEqual(plain(first.acls), [[Permission.ALL, 'digest', aliceId]]);
  assert.equal(first.aversion, 0);

  const shared = [
    new ACL(Permission.ALL, new Id('digest', aliceId)),
    new ACL(Permission.READ, new Id('digest', digestId('bob', 'hunter2'))),
  ];
  assert.equal((await setACL(alice, '/owned', shared, 0)).aversion, 1);
  assert.equal(await refused(setACL(alice, '/owned', shared, 0)), Exception.BAD_VERSION);
  assert.equal((await getACL(alice, '/owned')).aversion, 1);
  // bob may now read, not write nor change the ACL; he sees names without hashes.
  assert.equal(await getData(bob, '/owned'), 'hidden');
  assert.equal(await refused(setData(bob, '/owned')), Exception.NO_AUTH);
  assert.equal(await refused(setACL(bob, '/owned', shared, -1)), Exception.NO_AUTH);
  assert.deepEqual(
    (await getACL(bob, '/owned')).acls.map((a) => a.id.id),
    ['alice:x', 'bob:x'],
  );
  assert.equal(await refused(getACL(anon, '/owned')), Exception.NO_AUTH);
}

test('node-zookeeper-client: a digest owner’s node, NOAUTH for others, setACL/getACL with aversion', () =>
  served(({ port }, clients) => ownerScenario(port, clients)));

// The replicated cluster checks ACLs as the log's servers all do: a write carries its
// connection's identities into the Zab log, and reads are checked by the connected server.
test('the same on a 3-node replicated cluster through its connect string', async (t) => {
  const cluster = await upZk(t, { params: { tick: '100' } });
  const clients: Client[] = [];
  try {
    await ownerScenario(cluster.connectString, clients);
  } finally {
    for (const c of clients) c.close();
  }
});

test('node-zookeeper-client: `auth` without an identity is INVALIDACL; ip ACLs match the address', () =>
  served(async ({ port }, clients) => {
    const anon = await client(port);
    clients.push(anon);
    assert.equal(await refused(create(anon, '/mine', ACL.CREATOR_ALL_ACL)), Exception.INVALID_ACL);
    // The connection holds ip:127.0.0.1, as ZooKeeper's connections hold their address.
    await create(anon, '/here', [new ACL(Permission.ALL, new Id('ip', '127.0.0.0/8'))]);
    assert.equal(await getData(anon, '/here'), 'hidden');
    await create(anon, '/there', [new ACL(Permission.ALL, new Id('ip', '10.1.2.3'))]);
    assert.equal(await refused(getData(anon, '/there')), Exception.NO_AUTH);
    assert.equal(
      await refused(create(anon, '/bad', [new ACL(Permission.ALL, new Id('ip', '10.1.2.300'))])),
      Exception.INVALID_ACL,
    );
  }));

const PYTHON = '/usr/bin/python3';
const kazooMissing = (): string | false => needTool('kazoo', probe.kazoo());

/** kazoo's side of the scenario: prints one JSON object of what it saw. */
const KAZOO_ACL = `
import json, sys
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError, BadVersionError
from kazoo.security import make_digest_acl, make_acl

hosts = sys.argv[1]
out = {}
alice = KazooClient(hosts=hosts, timeout=5, auth_data=[("digest", "alice:secret")])
alice.start(timeout=5)
other = KazooClient(hosts=hosts, timeout=5, auth_data=[("digest", "bob:pw")])
other.start(timeout=5)
alice.create("/k", b"mine", acl=[make_digest_acl("alice", "secret", all=True)])
out["ownerRead"] = alice.get("/k")[0].decode()
try:
    other.get("/k")
    out["otherRead"] = "allowed"
except NoAuthError:
    out["otherRead"] = "NoAuthError"
acls, stat = alice.get_acls("/k")
out["acl"] = [[a.perms, a.id.scheme, a.id.id] for a in acls]
out["aversion0"] = stat.aversion
st = alice.set_acls("/k", [make_digest_acl("alice", "secret", all=True),
                           make_digest_acl("bob", "pw", read=True)], version=0)
out["aversion1"] = st.aversion
try:
    alice.set_acls("/k", [make_acl("world", "anyone", all=True)], version=0)
    out["stale"] = "accepted"
except BadVersionError:
    out["stale"] = "BadVersionError"
out["otherReadAfter"] = other.get("/k")[0].decode()
alice.stop(); other.stop()
print(json.dumps(out))
`;

test(
  'kazoo: digest ACL, NoAuthError for another client, set_acls with aversion',
  { skip: kazooMissing() },
  async () => {
    const s = await serveCoordination({ tickMs: 100 });
    try {
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          PYTHON,
          ['-c', KAZOO_ACL, `127.0.0.1:${s.port}`],
          { timeout: 30_000, encoding: 'utf8' },
          (e, out, err) =>
            e ? reject(new Error(`kazoo failed: ${e.message}\n${err}`)) : resolve(out),
        ),
      );
      const seen = JSON.parse(stdout) as Record<string, unknown>;
      assert.deepEqual(seen, {
        ownerRead: 'mine',
        otherRead: 'NoAuthError',
        acl: [[31, 'digest', digestId('alice', 'secret')]],
        aversion0: 0,
        aversion1: 1,
        stale: 'BadVersionError',
        otherReadAfter: 'mine',
      });
    } finally {
      await s.stop();
    }
  },
);
