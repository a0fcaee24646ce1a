/**
 * truthkit's side, started through its own CLI as a user would start it:
 *
 * - `serve`: `truthkit zk serve`, one in-memory server (no replication, no fsync): what exists
 *   on main today, so the figures it gives are a single server's;
 * - `cluster`: `truthkit cluster up --system zookeeper --nodes 3`, Zab over fsync'd WALs, read
 *   from its `connect string: …` line and stopped with `cluster down`. This is the comparison the
 *   issue asks for, once that command exists.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopAll } from '../cluster/processes.js';
import { killAll, stopOnExit, tailOf, waitUntilServing, type RunningZooKeeper } from './servers.js';

export const TRUTHKIT_MODES = ['serve', 'cluster'] as const;
export type TruthkitMode = (typeof TRUTHKIT_MODES)[number];

const BIN = fileURLToPath(new URL('../../../bin/truthkit.js', import.meta.url));

export function startTruthkitZooKeeper(mode: TruthkitMode, dir: string): Promise<RunningZooKeeper> {
  return mode === 'serve' ? startServe() : startCluster(dir);
}

async function startServe(): Promise<RunningZooKeeper> {
  const child = spawn(process.execPath, [BIN, 'zk', 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = stopOnExit(killAll([child]), () => stopAll([child]));
  const tail = tailOf([child]);
  try {
    const server = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /client port on (127\.0\.0\.1:\d+) /.exec(out);
        if (m?.[1] !== undefined) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`zk serve exited (${code}): ${tail()}`)));
    });
    const version = await waitUntilServing('truthkit', [server], [child], tail);
    return { servers: [server], pids: [child.pid ?? -1], version, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function startCluster(dir: string): Promise<RunningZooKeeper> {
  const down = (): void => {
    spawnSync(process.execPath, [BIN, 'cluster', 'down', '--dir', dir], { stdio: 'ignore' });
  };
  // The nodes are detached: were the bench to crash, they would outlive it.
  const stop = stopOnExit(down, async () => down());
  const up = spawnSync(
    process.execPath,
    // tick 2000: ZooKeeper's tickTime in the zoo.cfg the other side runs, so both negotiate the
    // same session timeouts and heartbeat as often.
    [
      BIN,
      'cluster',
      'up',
      '--system',
      'zookeeper',
      '--nodes',
      '3',
      '--param',
      'tick=2000',
      '--dir',
      dir,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const servers = /^connect string: (\S+)$/m.exec(up.stdout ?? '')?.[1]?.split(',');
  if (up.status !== 0 || servers === undefined) {
    await stop();
    const why =
      up.status === 0
        ? 'it printed no `connect string:` line (no ZooKeeper client ports)'
        : `exit ${up.status}: ${(up.stderr ?? '').trim().split('\n')[0] ?? ''}`;
    throw new Error(`truthkit cluster up --system zookeeper: ${why}`);
  }
  const pids = readdirSync(dir)
    .map((id) => join(dir, id, 'pid'))
    .filter((f) => existsSync(f))
    .map((f) => Number(readFileSync(f, 'utf8')));
  try {
    const version = await waitUntilServing('truthkit', servers, [], () => '');
    return { servers, pids, version, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
