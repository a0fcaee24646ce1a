/**
 * The reference: a 3-member etcd cluster from Debian's `etcd-server` on loopback, fsync on (the
 * default; etcd has no switch that keeps its WAL unsynced but --unsafe-no-fsync, which we never
 * pass). Installed with apt when absent, so `npm run bench:cluster` works on a fresh machine.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from '../../src/runtime/cluster.js';
import { waitForEndpoints, type RunningCluster } from './processes.js';

function haveEtcd(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function ensureEtcdInstalled(): void {
  if (haveEtcd()) return;
  console.log('etcd not found: installing Debian etcd-server (apt-get) …');
  for (const args of [['update'], ['install', '-y', 'etcd-server']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  }
  if (!haveEtcd()) throw new Error('etcd-server installed but `etcd` is not on PATH');
}

export function etcdVersion(): string {
  const out = spawnSync('etcd', ['--version'], { encoding: 'utf8' }).stdout;
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
}

export async function startEtcd(dir: string): Promise<RunningCluster> {
  const ports = await freePorts(6);
  const names = ['m1', 'm2', 'm3'];
  const peerUrl = (i: number): string => `http://127.0.0.1:${ports[3 + i]}`;
  const clientUrl = (i: number): string => `http://127.0.0.1:${ports[i]}`;
  const initial = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  const children: ChildProcess[] = names.map((name, i) => {
    const data = join(dir, name);
    mkdirSync(data, { recursive: true });
    return spawn(
      'etcd',
      [
        `--name=${name}`,
        `--data-dir=${data}`,
        `--listen-client-urls=${clientUrl(i)}`,
        `--advertise-client-urls=${clientUrl(i)}`,
        `--listen-peer-urls=${peerUrl(i)}`,
        `--initial-advertise-peer-urls=${peerUrl(i)}`,
        `--initial-cluster=${initial}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=truthkit-bench',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  });
  const endpoints = names.map((_, i) => `127.0.0.1:${ports[i]}`);
  return waitForEndpoints('etcd', endpoints, children);
}
