/**
 * etcd's Auth end to end: a real 3-node `etcd-raft` cluster (`truthkit cluster up`) driven by
 * Debian's etcdctl 3.4 (user, role, auth enable/disable, --user on kv commands, over all three
 * endpoints, so a token made at one member is used at others) and by the npm etcd3 client's
 * `auth` option and a watch.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Metadata, status } from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, EtcdAuthenticationFailedError, EtcdPermissionDeniedError } from 'etcd3';
import { cli } from '../cli/run-cli.js';
import { clusterDown, readClusterFile } from '../../src/runtime/cluster.js';
import { getSystem } from '../../src/systems/index.js';
import { AuthFront } from '../../src/runtime/etcd/auth-front.js';
import { faultOfText } from '../../src/runtime/etcd/codec.js';
import { etcdServices } from '../../src/runtime/etcd/proto.js';
import { EtcdMachine } from '../../src/systems/etcd/etcd-machine.js';
import { needTool, probe } from '../support/tools.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const SKIP =
  getSystem('etcd-raft') === undefined
    ? 'etcd-raft is not registered'
    : needTool('etcdctl', probe.etcdctl());

interface Ctl {
  readonly status: number | null;
  readonly out: string;
  readonly err: string;
}

/** One request on a node's plain client port (newline JSON), and its reply. */
function clientPort(at: string, op: unknown): Promise<Record<string, unknown>> {
  const [host, port] = [
    at.slice(0, at.lastIndexOf(':')),
    Number(at.slice(at.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      sock.destroy();
      resolve((JSON.parse(buf.slice(0, nl)) as { reply: Record<string, unknown> }).reply);
    });
    sock.on('error', reject);
    sock.write(JSON.stringify({ rid: 1, client: 'intruder', seq: 1, op }) + '\n');
  });
}

describe('etcd auth with etcdctl and etcd3', { timeout: 120_000, skip: SKIP }, () => {
  let dir = '';
  let endpoints: string[] = [];

  const run = (args: string[], input?: string): Ctl => {
    const r = spawnSync('etcdctl', [`--endpoints=${endpoints.join(',')}`, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      encoding: 'utf8',
      timeout: 20_000,
      ...(input !== undefined ? { input } : {}),
    });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  const ok = (args: string[], input?: string): string => {
    const r = run(args, input);
    assert.equal(r.status, 0, `etcdctl ${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  const fails = (args: string[], text: string): void => {
    const r = run(args);
    assert.notEqual(r.status, 0, `etcdctl ${args.join(' ')} should fail: ${r.out}`);
    assert.ok(r.err.includes(text), `etcdctl ${args.join(' ')}: want "${text}", got ${r.err}`);
  };
  const root = ['--user', 'root:rootpw'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'truthkit-etcd-auth-'));
    const up = await cli('cluster', 'up', '--nodes', '3', '--system', 'etcd-raft', '--dir', dir);
    assert.equal(up.code, 0, up.err);
    const line = /^etcd endpoints: (.+)$/m.exec(up.out);
    assert.ok(line, up.out);
    endpoints = (line[1] as string).split(',');
    for (let i = 0; ; i++) {
      if (run(['put', 'boot', '1']).status === 0) break;
      assert.ok(i < 100, 'no leader');
      await sleep(100);
    }
  });

  after(async () => {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test('users, roles, enable, --user on kv commands, passwd, revoke, disable', () => {
    assert.equal(ok(['user', 'add', 'root:rootpw']), 'User root created\n');
    assert.equal(ok(['user', 'add', 'u:upw']), 'User u created\n');
    fails(['user', 'add', 'u:again'], 'etcdserver: user name already exists');
    assert.equal(ok(['role', 'add', 'r']), 'Role r created\n');
    ok(['role', 'grant-permission', 'r', 'read', 'a/', '--prefix=true']);
    ok(['role', 'grant-permission', 'r', 'readwrite', 'w1', 'w3']);
    assert.equal(ok(['user', 'grant-role', 'u', 'r']), 'Role r is granted to user u\n');
    fails(['user', 'grant-role', 'u', 'nope'], 'etcdserver: role name not found');
    ok(['put', 'a/x', 'before']);

    // root has no root role yet: etcdctl adds it on "root user does not have root role".
    assert.equal(ok(['auth', 'enable']), 'Authentication Enabled\n');

    assert.equal(ok([...root, 'put', 'a/x', '1']), 'OK\n');
    assert.equal(ok(['--user', 'u:upw', 'get', 'a/x']), 'a/x\n1\n');
    assert.equal(ok(['--user', 'u:upw', 'get', 'a/', '--prefix', '--print-value-only']), '1\n');
    fails(['--user', 'u:upw', 'put', 'a/x', '2'], 'etcdserver: permission denied');
    fails(['--user', 'u:upw', 'get', 'b'], 'etcdserver: permission denied');
    fails(['--user', 'u:upw', 'get', '', '--from-key'], 'etcdserver: permission denied');
    assert.equal(ok(['--user', 'u:upw', 'put', 'w2', 'v']), 'OK\n');
    fails(
      ['--user', 'u:wrong', 'get', 'a/x'],
      'etcdserver: authentication failed, invalid user ID or password',
    );
    fails(['--user', 'nobody:x', 'get', 'a/x'], 'etcdserver: authentication failed');
    fails(['get', 'a/x'], 'etcdserver: user name is empty');
    fails(['put', 'a/x', '3'], 'etcdserver: user name is empty');
    fails(['--user', 'u:upw', 'user', 'list'], 'etcdserver: permission denied');
    fails(['--user', 'u:upw', 'del', 'a/x'], 'etcdserver: permission denied');

    // a Txn is checked op by op, both branches
    const txn = run(
      ['--user', 'u:upw', 'txn'],
      'value("a/x") = "1"\n\nput w2 ok\n\nput a/x no\n\n',
    );
    assert.notEqual(txn.status, 0, txn.out);
    assert.match(txn.err, /permission denied/);
    const txnOk = run(['--user', 'u:upw', 'txn'], 'value("a/x") = "1"\n\nget a/x\n\nput w2 no\n\n');
    assert.equal(txnOk.status, 0, txnOk.err);
    assert.match(txnOk.out, /^SUCCESS\n/);

    // root reads the auth state
    assert.equal(ok([...root, 'user', 'list']), 'root\nu\n');
    assert.equal(ok([...root, 'role', 'list']), 'r\nroot\n');
    assert.equal(ok([...root, 'user', 'get', 'u']), 'User: u\nRoles: r\n');
    assert.equal(
      ok([...root, 'role', 'get', 'r']),
      'Role r\nKV Read:\n\t[a/, a0) (prefix a/)\n\t[w1, w3)\nKV Write:\n\t[w1, w3)\n',
    );
    assert.equal(ok(['--user', 'u:upw', 'user', 'get', 'u']), 'User: u\nRoles: r\n');
    fails(['--user', 'u:upw', 'user', 'get', 'root'], 'etcdserver: permission denied');
    fails([...root, 'user', 'delete', 'root'], 'etcdserver: invalid auth management');

    // a new password ends the old one
    assert.equal(
      ok([...root, 'user', 'passwd', 'u', '--interactive=false'], 'newpw\n'),
      'Password updated\n',
    );
    fails(['--user', 'u:upw', 'get', 'a/x'], 'etcdserver: authentication failed');
    assert.equal(ok(['--user', 'u:newpw', 'get', 'a/x', '--print-value-only']), '1\n');

    // revoking the permission is in force for the next request
    assert.equal(
      ok([...root, 'role', 'revoke-permission', 'r', 'a/', '--prefix=true']),
      'Permission of range [a/, a0) is revoked from role r\n',
    );
    fails(['--user', 'u:newpw', 'get', 'a/x'], 'etcdserver: permission denied');
    assert.equal(ok([...root, 'user', 'revoke-role', 'u', 'r']), 'Role r is revoked from user u\n');
    fails(['--user', 'u:newpw', 'put', 'w2', 'v'], 'etcdserver: permission denied');

    assert.equal(ok([...root, 'auth', 'disable']), 'Authentication Disabled\n');
    assert.equal(ok(['get', 'a/x', '--print-value-only']), '1\n');
    assert.equal(ok(['user', 'delete', 'u']), 'User u deleted\n');
    assert.equal(ok(['role', 'delete', 'r']), 'Role r deleted\n');
  });

  test('the etcd3 client: auth option, denied put, wrong password, watch refused', async () => {
    ok(['role', 'add', 'reader']);
    ok(['role', 'grant-permission', 'reader', 'read', 'n/', '--prefix=true']);
    ok(['user', 'add', 'v:vpw']);
    ok(['user', 'grant-role', 'v', 'reader']);
    ok(['put', 'n/k', 'hello']);
    ok(['auth', 'enable']);
    const v = new Etcd3({ hosts: endpoints, auth: { username: 'v', password: 'vpw' } });
    const bad = new Etcd3({ hosts: endpoints, auth: { username: 'v', password: 'nope' } });
    try {
      // A token made at one member works at every member (it went through the log).
      const { Auth, KV } = etcdServices();
      const unary = (c: grpc.Client, m: string, req: object, md = new Metadata()) =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const f = (c as unknown as Record<string, (...a: unknown[]) => void>)[m];
          f?.call(c, req, md, (e: Error | null, r: Record<string, unknown>) =>
            e ? reject(e) : resolve(r),
          );
        });
      const auth0 = new Auth(endpoints[0] as string, grpc.credentials.createInsecure());
      const { token } = await unary(auth0, 'Authenticate', { name: 'v', password: 'vpw' });
      auth0.close();
      const md = new Metadata();
      md.set('token', String(token));
      for (const ep of endpoints) {
        const kv = new KV(ep, grpc.credentials.createInsecure());
        // Another member learns the token when it applies the entry, which may be a moment after
        // the member that answered Authenticate (clients re-authenticate on "invalid auth token"
        // against etcd too); so a member is given a little while.
        let r: Record<string, unknown> | undefined;
        for (let i = 0; r === undefined; i++) {
          r = await unary(kv, 'Range', { key: Buffer.from('n/k') }, md).catch((e: unknown) => {
            if (i >= 40 || (e as { code?: number }).code !== status.UNAUTHENTICATED) throw e;
            return sleep(50).then(() => undefined);
          });
        }
        assert.equal((r.kvs as { value: Buffer }[])[0]?.value.toString(), 'hello', ep);
        const forged = new Metadata();
        forged.set('token', 'forged.1');
        await assert.rejects(unary(kv, 'Range', { key: Buffer.from('n/k') }, forged), {
          code: status.UNAUTHENTICATED,
          details: 'etcdserver: invalid auth token',
        });
        kv.close();
      }
      assert.equal(await v.get('n/k').string(), 'hello');
      await assert.rejects(v.put('n/k').value('x').exec(), EtcdPermissionDeniedError);
      await assert.rejects(bad.get('n/k').string(), EtcdAuthenticationFailedError);
      const w = await v.watch().prefix('n/').create();
      const seen = new Promise<string>((resolve) =>
        w.on('put', (kv) => resolve(kv.value.toString())),
      );
      ok([...root, 'put', 'n/k', 'again']);
      assert.equal(await seen, 'again');
      await w.cancel();
      // A watch outside the user's range is refused (etcd cancels it: permission denied). Last:
      // etcd3 (1.1) stops creating watchers on a stream after a refused create, as against etcd.
      await assert.rejects(v.watch().key('secret').create(), /permission denied/);
    } finally {
      v.close();
      bad.close();
      ok([...root, 'auth', 'disable']);
    }
  });

  test('the plain client port refuses what only the etcd front end may send', async () => {
    const at = readClusterFile(dir).nodes[0]?.client;
    assert.ok(typeof at === 'string', 'the cluster file names a client port');
    const put = { f: 'Put', key: 'n/k', value: 'bypass' };
    for (const op of [
      { f: 'etcd-as-user', user: 'root', op: put },
      { f: 'AuthUserHash', name: 'root' },
      { f: 'AuthAssignToken', name: 'root', hash: 'x', token: 't' },
    ]) {
      const reply = await clientPort(at, op);
      assert.equal(reply.ok, false, JSON.stringify(op));
      assert.match(String(reply.error), /only the etcd front end/);
    }
  });
});

describe('simple tokens in the front end (auth-front.ts)', () => {
  /** A front end over one in-process machine, with a clock the test moves. */
  function front(): { f: AuthFront; m: EtcdMachine; clock: { now: number } } {
    const m = new EtcdMachine();
    const clock = { now: 1_000_000 };
    let seq = 0;
    const f = new AuthFront({
      machine: () => m,
      submit: async (op) => {
        const r = (m.isRead(op) ? m.read(op) : m.apply({ client: 'fe', seq: ++seq, op })) as Record<
          string,
          unknown
        >;
        if (typeof r.error === 'string') throw faultOfText(r.error);
        return r;
      },
      header: () => ({ cluster_id: 1, member_id: 1, raft_term: 1 }),
      tokenTtlMs: 1000,
      now: () => clock.now,
    });
    return { f, m, clock };
  }
  type Handler = (call: unknown, cb: (e: unknown, v?: Record<string, unknown>) => void) => void;
  const call = (f: AuthFront, method: string, request: Record<string, unknown>, token?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const metadata = new Metadata();
      if (token !== undefined) metadata.set('token', token);
      const h = f.handlers(() => Date.now() + 5000)[method] as unknown as Handler;
      h({ request, metadata }, (e, v) => (e ? reject(e as Error) : resolve(v ?? {})));
    });
  const meta = (token?: string): Metadata => {
    const md = new Metadata();
    if (token !== undefined) md.set('token', token);
    return md;
  };
  const INVALID = { code: status.UNAUTHENTICATED, message: 'etcdserver: invalid auth token' };

  test('unknown, expired and password-changed tokens are invalid; use renews the TTL', async () => {
    const { f, clock } = front();
    try {
      await call(f, 'UserAdd', { name: 'root', password: 'rootpw' });
      await call(f, 'UserGrantRole', { user: 'root', role: 'root' });
      await call(f, 'UserAdd', { name: 'u', password: 'upw' });
      await assert.rejects(call(f, 'Authenticate', { name: 'u', password: 'upw' }), {
        details: 'etcdserver: authentication is not enabled',
      });
      await call(f, 'AuthEnable', {});
      await assert.rejects(call(f, 'Authenticate', { name: 'u', password: 'bad' }), {
        code: status.INVALID_ARGUMENT,
        details: 'etcdserver: authentication failed, invalid user ID or password',
      });
      const t = String((await call(f, 'Authenticate', { name: 'u', password: 'upw' })).token);
      assert.equal(f.userOf(meta(t)), 'u');
      assert.equal(f.userOf(meta()), undefined, 'no token: no user (the machine refuses)');
      assert.throws(() => f.userOf(meta('forged.1')), INVALID);
      clock.now += 900;
      assert.equal(f.userOf(meta(t)), 'u', 'used within its TTL, which renews it');
      clock.now += 900;
      assert.equal(f.userOf(meta(t)), 'u');
      clock.now += 1001;
      assert.throws(() => f.userOf(meta(t)), INVALID, 'expired');
      const rootToken = String(
        (await call(f, 'Authenticate', { name: 'root', password: 'rootpw' })).token,
      );
      const t2 = String((await call(f, 'Authenticate', { name: 'u', password: 'upw' })).token);
      await call(f, 'UserChangePassword', { name: 'u', password: 'new' }, rootToken);
      assert.throws(() => f.userOf(meta(t2)), INVALID, 'a new password ends old tokens');
      // Admin calls carry the token's user: without root's token they are refused.
      await assert.rejects(call(f, 'UserList', {}), { details: 'etcdserver: user name is empty' });
      assert.deepEqual((await call(f, 'UserList', {}, rootToken)).users, ['root', 'u']);
    } finally {
      f.close();
    }
  });
});
