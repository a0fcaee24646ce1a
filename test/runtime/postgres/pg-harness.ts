/** A PgServer on loopback over a fresh in-memory store, and node-postgres clients for it. */
import pg from 'pg';
import { PgServer, type PgServerOptions } from '../../../src/runtime/postgres/server.js';
import { MemoryTxnKv } from '../../../src/systems/sql/memory-txn-kv.js';

export interface Harness {
  readonly server: PgServer;
  readonly kv: MemoryTxnKv;
  readonly port: number;
  client(o?: { user?: string; password?: string; database?: string }): Promise<pg.Client>;
  close(): Promise<void>;
}

export async function startServer(o: Partial<PgServerOptions> = {}): Promise<Harness> {
  const kv = new MemoryTxnKv({ now: () => Date.now() });
  const server = new PgServer({ kv, ...o });
  const { port } = await server.start();
  const clients: pg.Client[] = [];
  return {
    server,
    kv,
    port,
    async client(c = {}) {
      const cl = new pg.Client({
        host: '127.0.0.1',
        port,
        user: c.user ?? 'root',
        database: c.database ?? 'defaultdb',
        ...(c.password !== undefined ? { password: c.password } : {}),
        connectionTimeoutMillis: 5000,
      });
      // A refused connection is reported by connect(); later socket errors must not crash.
      cl.on('error', () => {});
      await cl.connect();
      clients.push(cl);
      return cl;
    },
    async close() {
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
      await server.close();
    },
  };
}

/** The SQLSTATE of what `p` rejected with ('' if it resolved). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return '';
  } catch (e) {
    return typeof e === 'object' && e !== null && 'code' in e
      ? String(e.code)
      : `not a pg error: ${String(e)}`;
  }
}
