/**
 * Brokers for the broker tests: in this process (LocalBackend + KafkaPort on loopback), or as a
 * child process running `truthkit kafka serve` so a test can stop it, kill -9 it and start it
 * again on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LocalBackend,
  type LocalBackendOptions,
} from '../../../../src/runtime/kafka/broker/local-backend.js';
import { KafkaPort, type KafkaPortOptions } from '../../../../src/runtime/kafka/broker/server.js';

const BIN = fileURLToPath(new URL('../../../../../bin/truthkit.js', import.meta.url));

export function tempDir(tag: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tk-kafka-${tag}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface InProcessBroker {
  readonly port: number;
  readonly backend: LocalBackend;
  readonly kafka: KafkaPort;
  readonly logs: string[];
  close(): Promise<void>;
}

export async function startBroker(
  o: Omit<LocalBackendOptions, 'log'>,
  port: Partial<Omit<KafkaPortOptions, 'backend'>> = {},
): Promise<InProcessBroker> {
  const logs: string[] = [];
  const log = (m: string, f: unknown) => void logs.push(`${m} ${JSON.stringify(f)}`);
  const backend = await LocalBackend.open({ groupInitialRebalanceDelayMs: 0, ...o, log });
  const kafka = new KafkaPort({ backend, log, ...port });
  const at = await kafka.start();
  return {
    port: at.port,
    backend,
    kafka,
    logs,
    close: async () => {
      await kafka.close(200);
      await backend.close();
    },
  };
}

export interface ChildBroker {
  readonly port: number;
  readonly child: ChildProcess;
  stderr(): string;
  /** SIGTERM, resolving to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no flush, no close. */
  kill9(): Promise<void>;
}

export function spawnBroker(dir: string, extra: readonly string[] = []): Promise<ChildBroker> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'kafka',
      'serve',
      '--dir',
      dir,
      '--port',
      '0',
      '--group-initial-rebalance-delay-ms',
      '0',
      ...extra,
    ],
    { env: { ...process.env, TRUTHKIT_BUNDLE: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not start in 15 s: ${err}`));
    }, 15_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code}) before listening: ${err}`));
    };
    child.once('exit', early);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^kafka \S+:(\d+)\n/m.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        port: Number(m[1]),
        child,
        stderr: () => err,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
        kill9: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}
