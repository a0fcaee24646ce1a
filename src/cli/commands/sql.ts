/**
 * `truthkit sql serve`: PostgreSQL's wire protocol on one node, its SQL layer over the in-memory
 * serializable store (docs/sql.md). Runs until SIGTERM or SIGINT. It keeps nothing on disk and
 * serves alone, so it listens on loopback only; `root` is let in without a password (from
 * loopback, as CockroachDB's insecure mode does) unless --user root --password … is given.
 */
import type { Command } from 'commander';
import { PgServer, PgServerOptionsError, type PgUser } from '../../runtime/postgres/server.js';
import { MemoryTxnKv } from '../../systems/sql/memory-txn-kv.js';
import type { CliIo } from '../cli-io.js';
import { intIn } from '../option-parsers.js';
import { UsageError } from '../usage-error.js';
import { isLoopback } from './node.js';

interface ServeFlags {
  host: string;
  port: number;
  user: string;
  password?: string;
}

/** The users a server admits: root trusted on loopback, plus the one configured. */
export function sqlUsers(user: string, password: string | undefined): PgUser[] {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/.test(user)) {
    throw new UsageError(`--user ${user}: a name of letters, digits, _ . - (at most 63)`);
  }
  if (password === '') throw new UsageError('--password: must not be empty');
  if (password === undefined && user !== 'root') {
    throw new UsageError(`--user ${user} needs --password (only root is trusted without one)`);
  }
  const users: PgUser[] = [{ name: user, password: password ?? null }];
  if (user !== 'root') users.push({ name: 'root', password: null });
  return users;
}

export function sqlCommand(program: Command, io: CliIo): void {
  const sql = program.command('sql').description("SQL over PostgreSQL's wire protocol");
  sql
    .command('serve')
    .description(
      "serve PostgreSQL's wire protocol (psql, node-postgres) from one in-memory, serializable " +
        'SQL node (not replicated, not durable) until SIGTERM/SIGINT',
    )
    .option('--host <host>', 'loopback address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one)', intIn(0, 65535), 26257)
    .option(
      '--user <name>',
      'the user that may connect (with --password: by SCRAM-SHA-256)',
      'root',
    )
    .option('--password <password>', "the user's password (root needs none on loopback)")
    .action(async (flags: ServeFlags) => {
      if (!isLoopback(flags.host)) {
        throw new UsageError(
          `--host ${flags.host}: one in-memory server, not durable: loopback only`,
        );
      }
      let server: PgServer;
      try {
        server = new PgServer({
          kv: new MemoryTxnKv({ now: () => Date.now() }),
          listen: { host: flags.host, port: flags.port },
          users: sqlUsers(flags.user, flags.password),
          log: (message, fields) => io.err(`${message} ${JSON.stringify(fields)}\n`),
        });
      } catch (e) {
        if (e instanceof PgServerOptionsError) throw new UsageError(e.message);
        throw e;
      }
      const at = await server.start();
      // Handlers first: a supervisor that stops the server on reading the line reaches close().
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      io.out(
        `sql ${at.host}:${at.port} (postgres wire protocol; standalone, in memory; database defaultdb)\n`,
      );
      await stopped;
      await server.close();
    });
}
