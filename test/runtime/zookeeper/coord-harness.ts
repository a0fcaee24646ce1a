/**
 * What the real-client tests of the coordination backend share: a ZooKeeper client port on
 * loopback served by a CoordinationBackend, and a TCP proxy a test can cut (every connection
 * through it dropped, new ones refused) to make a client go silent without closing its session.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import {
  CoordinationBackend,
  type CoordinationBackendOptions,
} from '../../../src/runtime/zookeeper/coordination-backend.js';
import { ZkServer } from '../../../src/runtime/zookeeper/server.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, probe: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export interface Served {
  readonly backend: CoordinationBackend;
  readonly server: ZkServer;
  readonly port: number;
  stop(): Promise<void>;
}

export async function serveCoordination(o: CoordinationBackendOptions = {}): Promise<Served> {
  const backend = new CoordinationBackend(o);
  const server = new ZkServer({ backend });
  const { port } = await server.start();
  return {
    backend,
    server,
    port,
    stop: async () => {
      await server.close();
      backend.close();
    },
  };
}

export interface Proxy {
  readonly port: number;
  /** Drops every connection through the proxy and refuses new ones until `heal`. */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function proxy(target: number): Promise<Proxy> {
  let open = true;
  const live = new Set<Socket>();
  const server: Server = createServer((down) => {
    if (!open) {
      down.destroy();
      return;
    }
    const up = connect({ host: '127.0.0.1', port: target });
    for (const s of [down, up]) {
      live.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        live.delete(s);
        down.destroy();
        up.destroy();
      });
    }
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('proxy has no port');
  return {
    port: addr.port,
    cut: () => {
      open = false;
      for (const s of live) s.destroy();
    },
    heal: () => {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        server.close(() => resolve());
      }),
  };
}
