/**
 * A benchmarked ZooKeeper service (Apache's or truthkit's): where its client ports are, which
 * processes to charge CPU time to, and how to stop it; and waiting until every server says,
 * through the `srvr` four-letter word, that it serves (leader, follower or standalone).
 */
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

export interface RunningZooKeeper {
  /** host:port of every server's client port. */
  readonly servers: readonly string[];
  /** The servers' process ids (their CPU time is read from /proc). */
  readonly pids: readonly number[];
  /** What `srvr` says of the first server: `Zookeeper version: …`. */
  readonly version: string;
  stop(): Promise<void>;
}

/** The connect string node-zookeeper-client takes: every server, comma-separated. */
export const connectString = (zk: RunningZooKeeper): string => zk.servers.join(',');

/** Sends a four-letter word and resolves with the whole answer (the server then closes). */
export function fourLetter(hostPort: string, word: string, timeoutMs = 2000): Promise<string> {
  const at = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, at);
  const port = Number(hostPort.slice(at + 1));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(word));
    let answer = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`${word} timed out`)));
    socket.on('data', (b: Buffer) => (answer += b.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

/** The server's role from a `srvr` answer, or undefined while it is not serving. */
export function modeOf(srvr: string): string | undefined {
  return /^Mode: (leader|follower|standalone)$/m.exec(srvr)?.[1];
}

/**
 * Resolves with the first server's `srvr` version line once every server serves; rejects when
 * one of `children` exits first (with the tail of what it wrote) or after `timeoutMs`.
 */
export async function waitUntilServing(
  name: string,
  servers: readonly string[],
  children: readonly ChildProcess[],
  stderrTail: () => string,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let version = '';
  for (const server of servers) {
    for (;;) {
      const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead !== undefined) {
        throw new Error(`${name}: a server exited (${dead.exitCode}): ${stderrTail()}`);
      }
      const answer = await fourLetter(server, 'srvr').catch(() => '');
      if (modeOf(answer) !== undefined) {
        if (version === '') version = /^Zookeeper version: (.*)$/m.exec(answer)?.[1] ?? '';
        break;
      }
      if (Date.now() > deadline) throw new Error(`${name} at ${server} not serving in time`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return version;
}

/** Keeps the last `max` characters a child writes to stderr, for an error message. */
export function tailOf(children: readonly ChildProcess[], max = 800): () => string {
  let tail = '';
  for (const c of children) {
    c.stderr?.on('data', (b: Buffer) => {
      tail = (tail + b.toString()).slice(-max);
    });
  }
  return () => tail.trim();
}

/**
 * Runs `kill` if this process exits while the servers still run — a crash of the bench (an
 * uncaught exception skips every `finally`) must not leave servers behind — and returns the
 * normal stop, which drops that guard once they are down. `kill` runs in the 'exit' event, so
 * it must be synchronous.
 */
export function stopOnExit(kill: () => void, stop: () => Promise<void>): () => Promise<void> {
  process.once('exit', kill);
  return () => stop().finally(() => process.removeListener('exit', kill));
}

/** SIGKILL to those of `children` still running. */
export function killAll(children: readonly ChildProcess[]): () => void {
  return () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
}
