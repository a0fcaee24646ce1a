/**
 * A member that lost its quorum, as etcd clients see it (issue 17, item 11): a 3-node
 * `etcd-raft` cluster with two members killed. Debian's etcdctl, as etcd 3.4.23 answers it
 * (docs/etcd.md): its watch (which requires a leader) is canceled with `etcdserver: no leader`
 * and a new one is refused, `endpoint status` shows no leader and the error, and `member list`
 * still has every member's client URL. A watch that does not require a leader (the npm etcd3
 * client's kind) stays open, as etcd leaves it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { cli } from '../cli/run-cli.js';
import { clusterDown } from '../../src/runtime/cluster.js';
import { etcdServices } from '../../src/runtime/etcd/proto.js';
import { needTool, probe } from '../support/tools.js';

const hasEtcdctl = probe.etcdctl();
const env = { ...process.env, ETCDCTL_API: '3' };

let dir = '';
let endpoints: string[] = [];

before(async () => {
  if (!hasEtcdctl) return;
  dir = mkdtempSync(join(tmpdir(), 'truthkit-etcd-quorum-'));
  const up = await cli('cluster', 'up', '--nodes', '3', '--system', 'etcd-raft', '--dir', dir);
  assert.equal(up.code, 0, up.err);
  const line = /^etcd endpoints: (.+)$/m.exec(up.out);
  assert.ok(line, up.out);
  endpoints = (line[1] as string).split(',');
});

after(async () => {
  if (!hasEtcdctl) return;
  await clusterDown(dir).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

function etcdctl(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync('etcdctl', [`--endpoints=${endpoints[0]}`, ...args], {
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test(
  'without quorum: watches requiring a leader end with "no leader", status and member list say so',
  { skip: needTool('etcdctl', hasEtcdctl), timeout: 60_000 },
  async (t) => {
    // A cluster that has a leader, answering at n1.
    for (let i = 0; etcdctl('put', 'q/k', 'v').code !== 0; i++) {
      if (i > 50) assert.fail('no leader');
      await new Promise((r) => setTimeout(r, 100));
    }
    const w = spawn('etcdctl', [`--endpoints=${endpoints[0]}`, 'watch', 'q/k'], { env });
    let watchOut = '';
    w.stdout.on('data', (d: Buffer) => (watchOut += d.toString()));
    w.stderr.on('data', (d: Buffer) => (watchOut += d.toString()));
    const exited = new Promise<number | null>((r) => w.on('exit', (code) => r(code)));
    // A watch without `hasleader`, as the npm etcd3 client opens one.
    const { Watch } = etcdServices();
    const plain = new Watch(endpoints[0] as string, grpc.credentials.createInsecure());
    const stream = (
      plain as unknown as { Watch(): grpc.ClientDuplexStream<object, object> }
    ).Watch();
    let plainEnded: string | null = null;
    stream.on('error', (e: grpc.ServiceError) => (plainEnded = e.details));
    stream.on('data', () => {});
    stream.write({ create_request: { key: Buffer.from('q/k') } });
    await new Promise((r) => setTimeout(r, 500));

    for (const n of ['n2', 'n3']) {
      const k = await cli('cluster', 'kill', n, '--dir', dir);
      assert.equal(k.code, 0, k.err);
    }
    const killedAt = Date.now();
    const code = await Promise.race([
      exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 10_000)),
    ]);
    if (code === 'still running') w.kill();
    assert.notEqual(code, 'still running', `the watch was not canceled: ${watchOut}`);
    assert.match(watchOut, /watch was canceled \(etcdserver: no leader\)/);
    // Reported, not judged (election timeout ≤ 300 ms + three checks of 300 ms is typical): the
    // race above fails loudly if the watch is never canceled.
    const tookMs = Date.now() - killedAt;
    t.diagnostic(`watch canceled ${tookMs} ms after the second kill`);

    const again = etcdctl('watch', 'q/k');
    assert.notEqual(again.code, 0);
    assert.match(again.out + again.err, /etcdserver: no leader/);

    const status = etcdctl('endpoint', 'status', '-w', 'json');
    assert.equal(status.code, 0, status.err);
    const s = (JSON.parse(status.out) as { Status: { leader?: unknown; errors?: unknown } }[])[0];
    assert.equal(s?.Status.leader ?? 0, 0, status.out);
    assert.deepEqual(s?.Status.errors, ['etcdserver: no leader']);

    const members = etcdctl('member', 'list', '-w', 'json');
    assert.equal(members.code, 0, members.err);
    const list = (JSON.parse(members.out) as { members: { name: string; clientURLs?: string[] }[] })
      .members;
    assert.deepEqual(
      list.map((m) => [m.name, m.clientURLs]).sort(),
      endpoints.map((e, i) => [`n${i + 1}`, [`http://${e}`]]),
    );

    assert.equal(plainEnded, null, 'a watch that did not ask for a leader stays open');
    stream.cancel();
    plain.close();
  },
);
