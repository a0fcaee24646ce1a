/**
 * Membership changes on real processes: Debian's etcdctl 3.4 adds a spare node as a learner,
 * sees it catch up, promotes it, removes members (one refused for want of a live majority, the
 * leader itself), against a truthkit etcd-raft cluster; and `truthkit cluster rejoin` brings a
 * member whose data directory was wiped back through a membership change.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../src/core/json.js';
import { clusterDown, clusterStatus, readClusterFile } from '../../src/runtime/cluster.js';
import { KvClient, parseAddress } from '../../src/runtime/kv-client.js';
import { cli } from '../cli/run-cli.js';
import { sleep, waitFor } from './wait-for.js';
import { needTool, probe } from '../support/tools.js';

interface CtlMember {
  ID: number | string;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

const hasEtcdctl = probe.etcdctl();

describe("etcdctl's member commands on truthkit etcd-raft", { timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-members-'));
  after(async () => {
    if (existsSync(join(dir, 'cluster.json'))) await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test(
    'add --learner, catch up, promote, remove (refused without a live majority), remove the leader',
    { skip: needTool('etcdctl', hasEtcdctl) },
    async () => {
      const up = await cli(
        'cluster',
        ...['up', '--system', 'etcd-raft', '--nodes', '3', '--spares', '2', '--dir', dir],
      );
      assert.equal(up.code, 0, up.err);
      assert.match(up.out, /^n4 .* spare, not started/m);
      const nodes = readClusterFile(dir).nodes;
      const etcdOf = (id: string): string => nodes.find((n) => n.id === id)?.etcd as string;
      const env = { ...process.env, ETCDCTL_API: '3' };
      const ctlAt = (ids: string[], args: string[]) =>
        spawnSync(
          'etcdctl',
          [`--endpoints=${ids.map(etcdOf).join(',')}`, '--command-timeout=8s', ...args],
          { env, encoding: 'utf8', timeout: 20_000 },
        );
      const ctl = (ids: string[], args: string[]): string => {
        const r = ctlAt(ids, args);
        assert.equal(r.status, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const list = (ids: string[]): CtlMember[] =>
        (JSON.parse(ctl(ids, ['member', 'list', '-w', 'json'])) as { members: CtlMember[] })
          .members;
      const hex = (m: CtlMember | undefined): string => BigInt(m?.ID ?? 0).toString(16);
      const byName = (ms: CtlMember[], peer: string) =>
        ms.find((m) => m.peerURLs?.includes(`http://${peer}`));
      const founders = ['n1', 'n2', 'n3'];
      for (let i = 0; i < 20; i++) ctl(founders, ['put', `m/${i}`, `v${i}`]);

      // member add --learner of the spare: etcd's output, and the member unstarted until it runs.
      const n4 = nodes.find((n) => n.id === 'n4');
      assert.ok(n4 !== undefined && n4.spare === true);
      const added = ctl(founders, [
        'member',
        'add',
        'n4',
        `--peer-urls=http://${n4.peer}`,
        '--learner',
      ]);
      assert.match(added, /^Member +[0-9a-f]+ added to cluster +[0-9a-f]+$/m);
      assert.match(added, new RegExp(`ETCD_INITIAL_CLUSTER=".*n4=http://${n4.peer}"`));
      assert.match(added, /ETCD_INITIAL_CLUSTER_STATE="existing"/);
      let members = list(founders);
      assert.equal(members.length, 4);
      const learner = byName(members, n4.peer);
      assert.deepEqual([learner?.isLearner, learner?.name ?? ''], [true, ''], 'unstarted learner');
      // Not started, so not in sync: etcd's refusal, word for word.
      const early = ctlAt(founders, ['member', 'promote', hex(learner)]);
      assert.notEqual(early.status, 0);
      assert.match(
        early.stderr,
        /etcdserver: can only promote a learner member which is in sync with leader/,
      );
      const again = ctlAt(founders, ['member', 'add', 'n4', `--peer-urls=http://${n4.peer}`]);
      assert.match(again.stderr, /etcdserver: Peer URLs already exists/);
      const stranger = ctlAt(founders, ['member', 'add', 'n9', '--peer-urls=http://127.0.0.1:1']);
      assert.notEqual(stranger.status, 0);

      // Started as a joining server, it catches up as a learner.
      const join = await cli('cluster', 'join', 'n4', '--learner', '--dir', dir);
      assert.equal(join.code, 0, join.err);
      assert.match(join.out, /n4 was a member already/);
      assert.equal(readClusterFile(dir).nodes.find((n) => n.id === 'n4')?.spare, undefined);
      await waitFor('n4 to catch up', () =>
        ctl(['n4'], ['get', 'm/19', '--consistency=s', '--print-value-only']) === 'v19\n'
          ? true
          : undefined,
      );
      members = list(founders);
      const started = byName(members, n4.peer);
      assert.equal(started?.name, 'n4');
      assert.equal(started?.isLearner, true, 'member list shows the learner');
      assert.equal(started?.clientURLs?.[0], `http://${n4.etcd}`);
      const promoted = await waitFor('the promotion', () => {
        const r = ctlAt(founders, ['member', 'promote', hex(started)]);
        return r.status === 0 ? r.stdout : undefined;
      });
      assert.match(promoted, /^Member +[0-9a-f]+ promoted in cluster +[0-9a-f]+$/m);
      assert.equal(byName(list(founders), n4.peer)?.isLearner ?? false, false);
      const twice = ctlAt(founders, ['member', 'promote', hex(started)]);
      assert.match(twice.stderr, /etcdserver: can only promote a learner member\b/);

      // member add without --learner: a learner the leader promotes once it has caught up.
      const n5 = nodes.find((n) => n.id === 'n5');
      assert.ok(n5 !== undefined);
      ctl(founders, ['member', 'add', 'n5', `--peer-urls=http://${n5.peer}`]);
      assert.equal(byName(list(founders), n5.peer)?.isLearner, true, 'a learner first');
      const join5 = await cli('cluster', 'join', 'n5', '--dir', dir);
      assert.equal(join5.code, 0, join5.err);
      const voter5 = byName(list(founders), n5.peer);
      assert.equal(voter5?.isLearner ?? false, false, 'then a voter');
      // Removing a live voter while all are up: allowed.
      assert.match(ctl(founders, ['member', 'remove', hex(voter5)]), /removed from cluster/);
      assert.equal(list(founders).length, 4);
      assert.equal((await cli('cluster', 'kill', 'n5', '--dir', dir)).code, 0);

      // Remove a member that is down: allowed (the live voters left are a majority of the rest).
      const killed = await cli('cluster', 'kill', 'n3', '--dir', dir);
      assert.equal(killed.code, 0, killed.err);
      await sleep(400);
      const n3 = byName(list(['n1']), nodes[2]?.peer as string);
      assert.match(
        ctl(['n1', 'n2'], ['member', 'remove', hex(n3)]),
        /^Member +[0-9a-f]+ removed from cluster +[0-9a-f]+$/m,
      );
      assert.deepEqual(
        list(['n1']).map((m) => m.name),
        ['n1', 'n2', 'n4'],
      );
      // Now {n1, n2, n4} with n4 down: removing n2 would leave n1 alone of {n1, n4}.
      assert.equal((await cli('cluster', 'kill', 'n4', '--dir', dir)).code, 0);
      await sleep(400);
      const n2 = byName(list(['n1']), nodes[1]?.peer as string);
      const refused = ctlAt(['n1', 'n2'], ['member', 'remove', hex(n2)]);
      assert.notEqual(refused.status, 0);
      assert.match(
        refused.stderr,
        /etcdserver: re-configuration failed due to not enough started members/,
      );
      assert.equal(list(['n1']).length, 3, 'nothing was removed');
      const missing = ctlAt(['n1'], ['member', 'remove', hex(n3)]);
      assert.match(missing.stderr, /etcdserver: member not found/);

      // Back to three live voters; removing the leader itself: it steps down, the rest go on.
      assert.equal((await cli('cluster', 'restart', 'n4', '--dir', dir)).code, 0);
      const leaderId = await waitFor('a leader', async () => {
        const states = await clusterStatus(dir);
        const s = states.find(
          (x) => (x.status as { node?: { role?: Json } })?.node?.role === 'leader',
        );
        return s?.id;
      });
      const leader = byName(
        list(['n1', 'n2', 'n4']),
        nodes.find((n) => n.id === leaderId)?.peer as string,
      );
      const rest = ['n1', 'n2', 'n4'].filter((id) => id !== leaderId);
      assert.match(ctl(rest, ['member', 'remove', hex(leader)]), /removed from cluster/);
      assert.deepEqual(
        list(rest).map((m) => m.name),
        rest,
      );
      assert.equal(ctl(rest, ['put', 'm/after', 'leader-removed']), 'OK\n');
      assert.equal(ctl(rest, ['get', 'm/0', '--print-value-only']), 'v0\n');
    },
  );
});

describe('truthkit cluster rejoin of a wiped member', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-rejoin-'));
  after(async () => {
    if (existsSync(join(dir, 'cluster.json'))) await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test('refused as it is, rejoined as a learner first, with every write intact', async () => {
    const up = await cli('cluster', 'up', '--system', 'kv-raft', '--nodes', '3', '--dir', dir);
    assert.equal(up.code, 0, up.err);
    const nodes = readClusterFile(dir).nodes;
    const endpoints = nodes.map((n) => ({ id: n.id, ...parseAddress(n.client) }));
    const client = new KvClient({ endpoints });
    try {
      for (let i = 0; i < 30; i++) {
        const r = await client.call({ f: 'append', key: 'h', value: `${i},` });
        assert.equal(r.outcome, 'ok', JSON.stringify(r));
      }
    } finally {
      client.close();
    }
    const history = Array.from({ length: 30 }, (_, i) => `${i},`).join('');
    assert.equal((await cli('cluster', 'kill', 'n2', '--dir', dir)).code, 0);
    rmSync(join(dir, 'n2', 'data'), { recursive: true, force: true });
    const refused = await cli('cluster', 'restart', 'n2', '--dir', dir);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /n2 has been a member of its cluster/);

    const rejoin = await cli('cluster', 'rejoin', 'n2', '--dir', dir);
    assert.equal(rejoin.code, 0, rejoin.err);
    assert.deepEqual(rejoin.out.trim().split('\n'), [
      'n2 removed from the configuration (committed)',
      'n2 started empty, joining',
      'n2 added as a learner',
      'n2 promoted to voter',
    ]);
    // n2 itself answers a read (a follower read after a read index): the whole history.
    const n2 = endpoints.filter((e) => e.id === 'n2');
    const only = new KvClient({ endpoints: n2 });
    try {
      const r = await only.call({ f: 'get', key: 'h' });
      assert.deepEqual(r, { outcome: 'ok', value: history, node: 'n2' });
    } finally {
      only.close();
    }
    const status = await cli('cluster', 'status', '--dir', dir);
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /^n2 .* voter$/m);
    // Its own log says how it came back: joining (no configuration), then a learner, then voter.
    const states = await clusterStatus(dir);
    const view = (states.find((s) => s.id === 'n2')?.status as { node?: Record<string, Json> })
      ?.node;
    assert.deepEqual(view?.voters, ['n1', 'n2', 'n3']);
    assert.deepEqual(view?.learners, []);
  });

  test('spares, join and rejoin are refused where they cannot work', async () => {
    const spares = await cli(
      ...['cluster', 'up', '--system', 'kv-single', '--spares', '1', '--dir', join(dir, 'x')],
    );
    assert.equal(spares.code, 2, spares.err);
    assert.match(spares.err, /--spares: kv-single has no membership changes/);
    // A join asked again of a member that runs — the leader, whose followers can only point at
    // it: nothing to start, nothing to change.
    const leaderId = await waitFor('a leader', async () => {
      const states = await clusterStatus(dir);
      return states.find((x) => (x.status as { node?: { role?: Json } })?.node?.role === 'leader')
        ?.id;
    });
    const running = await cli('cluster', 'join', leaderId, '--dir', dir);
    assert.equal(running.code, 0, running.err);
    assert.deepEqual(running.out.trim().split('\n'), [
      `${leaderId} is running`,
      `${leaderId} was a member already`,
      `${leaderId} is a voter`,
    ]);
    const unknown = await cli('cluster', 'rejoin', 'n7', '--dir', dir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no node 'n7'/);
  });

  test('a system without membership changes cannot start joining', async () => {
    const r = await cli(
      ...['node', '--system', 'kv-single', '--id', 'n1', '--listen', '127.0.0.1:0'],
      ...['--data', join(dir, 'solo'), '--initial-state', 'join'],
    );
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /--initial-state join: kv-single has no membership changes/);
  });
});
