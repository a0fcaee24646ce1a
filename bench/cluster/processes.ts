/** Child processes of a benchmarked cluster, and waiting until its endpoints answer. */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';

export interface RunningCluster {
  readonly name: string;
  /** host:port of every member's etcd v3 gRPC endpoint. */
  readonly endpoints: readonly string[];
  /** The members' process ids (their CPU time is read from /proc). */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * CPU time (user + system, ms) the processes have used so far, from /proc; NaN where /proc is
 * not there (not Linux), so the figures derived from it print as such rather than as zero.
 */
export function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // After the command's closing parenthesis: state is field 0, utime 11, stime 12.
      const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(rest[11]) + Number(rest[12]);
    } catch {
      return NaN;
    }
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

export function stopAll(children: readonly ChildProcess[]): Promise<void> {
  return Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 5000).unref();
        }),
    ),
  ).then(() => undefined);
}

/** Resolves once a put and a get through every endpoint succeed (a leader exists). */
export async function waitForEndpoints(
  name: string,
  endpoints: readonly string[],
  children: readonly ChildProcess[],
  timeoutMs = 30_000,
): Promise<RunningCluster> {
  const stderr: string[] = [];
  for (const c of children) c.stderr?.on('data', (b: Buffer) => stderr.push(b.toString()));
  const deadline = Date.now() + timeoutMs;
  for (const endpoint of endpoints) {
    const client = new Etcd3({ hosts: `http://${endpoint}` });
    try {
      for (;;) {
        const dead = children.find((c) => c.exitCode !== null);
        if (dead !== undefined) {
          throw new Error(
            `${name} member exited (${dead.exitCode}): ${stderr.join('').slice(-500)}`,
          );
        }
        try {
          await client.put('bench/ready').value(endpoint);
          if ((await client.get('bench/ready').string()) !== null) break;
        } catch (e) {
          if (Date.now() > deadline) {
            throw new Error(`${name} at ${endpoint} not ready: ${(e as Error).message}`);
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      client.close();
    }
  }
  return {
    name,
    endpoints,
    pids: children.map((c) => c.pid ?? -1),
    stop: () => stopAll(children),
  };
}
