/** Child processes of a benchmarked cluster, and waiting until its endpoints answer. */
import type { ChildProcess } from 'node:child_process';
import { Etcd3 } from 'etcd3';

export interface RunningCluster {
  readonly name: string;
  /** host:port of every member's etcd v3 gRPC endpoint. */
  readonly endpoints: readonly string[];
  stop(): Promise<void>;
}

function stopAll(children: readonly ChildProcess[]): Promise<void> {
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
  return { name, endpoints, stop: () => stopAll(children) };
}
