/**
 * `truthkit zk serve`: ZooKeeper's client port on one server, in memory, served by the
 * coordination state machine (docs/zookeeper.md, "Serving ZooKeeper's clients"). Runs until
 * SIGTERM or SIGINT. It keeps nothing on disk and serves alone, so it listens on loopback only
 * (ACLs and the connection caps apply as on any ZooKeeper port).
 */
import type { Command } from 'commander';
import { CoordinationBackend } from '../../runtime/zookeeper/coordination-backend.js';
import { ZkServer } from '../../runtime/zookeeper/server.js';
import type { CliIo } from '../cli-io.js';
import { intIn } from '../option-parsers.js';
import { UsageError } from '../usage-error.js';
import { isLoopback } from './node.js';

interface ServeFlags {
  host: string;
  port: number;
  tickMs: number;
}

export function zkCommand(program: Command, io: CliIo): void {
  const zk = program.command('zk').description("ZooKeeper's client protocol");
  zk.command('serve')
    .description(
      "serve ZooKeeper's client port from one in-memory server (no replication, no " +
        'durability yet) until SIGTERM/SIGINT',
    )
    .option('--host <host>', 'loopback address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one)', intIn(0, 65535), 2181)
    .option(
      '--tick-ms <ms>',
      "ZooKeeper's tickTime: session timeouts are clamped to 2–20 ticks",
      intIn(1, 3_600_000),
      2000,
    )
    .action(async (flags: ServeFlags) => {
      if (!isLoopback(flags.host)) {
        throw new UsageError(
          `--host ${flags.host}: one in-memory server, not durable: loopback only`,
        );
      }
      const backend = new CoordinationBackend({ tickMs: flags.tickMs });
      const server = new ZkServer({
        backend,
        listen: { host: flags.host, port: flags.port },
        log: (message, fields) => io.err(`${message} ${JSON.stringify(fields)}\n`),
      });
      const at = await server.start();
      // The handlers go in before the line is printed: a supervisor that stops the server as
      // soon as it reads the line must reach the close below, not Node's default exit.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      io.out(`zookeeper client port on ${at.host}:${at.port} (standalone, in memory)\n`);
      await stopped;
      await server.close();
      backend.close();
    });
}
