/**
 * `truthkit kafka serve`: one durable Kafka broker (src/runtime/kafka/broker) that Kafka's own
 * clients (kafkajs, librdkafka's kcat and confluent-kafka) use unchanged. Runs until SIGTERM or
 * SIGINT, then answers what is in progress, flushes and closes its logs.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { LocalBackend } from '../../runtime/kafka/broker/local-backend.js';
import { KafkaPort } from '../../runtime/kafka/broker/server.js';
import type { CliIo } from '../cli-io.js';
import { intIn } from '../option-parsers.js';
import { UsageError } from '../usage-error.js';

interface ServeFlags {
  dir: string;
  host: string;
  advertisedHost?: string;
  port: number;
  partitions: number;
  autoCreate: boolean;
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  retentionCheckMs: number;
  groupInitialRebalanceDelayMs: number;
}

const INT32_MAX = 0x7fffffff;

/** The data dir, created if missing; a dir we cannot write is the caller's mistake. */
function usableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK | constants.R_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`--dir ${dir}: not a writable directory (${code})`);
  }
}

export function kafkaCommand(program: Command, io: CliIo): void {
  const kafka = program.command('kafka').description("Kafka's broker protocol");
  kafka
    .command('serve')
    .description(
      'serve a single durable Kafka broker (every acknowledged write fsync’d) until SIGTERM/SIGINT',
    )
    .requiredOption('--dir <dir>', 'data directory (one subdirectory per partition)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--advertised-host <host>',
      'host clients are told to connect to (advertised.listeners; default: --host)',
    )
    .option('--port <n>', 'port (0: any free one)', intIn(0, 65535), 9092)
    .option(
      '--partitions <n>',
      'partitions of a topic created without a count (num.partitions)',
      intIn(1, 10_000),
      1,
    )
    .option(
      '--auto-create',
      'create unknown topics on Metadata and Produce (auto.create.topics.enable)',
      false,
    )
    .option(
      '--retention-ms <ms>',
      'default retention.ms (-1: keep for ever)',
      intIn(-1, Number.MAX_SAFE_INTEGER),
      604_800_000,
    )
    .option(
      '--retention-bytes <n>',
      'default retention.bytes per partition (-1: no bound)',
      intIn(-1, Number.MAX_SAFE_INTEGER),
      -1,
    )
    .option('--segment-bytes <n>', 'default segment.bytes', intIn(1024, INT32_MAX), 1_073_741_824)
    .option(
      '--retention-check-ms <ms>',
      'log.retention.check.interval.ms',
      intIn(1, INT32_MAX),
      300_000,
    )
    .option(
      '--group-initial-rebalance-delay-ms <ms>',
      'group.initial.rebalance.delay.ms: how long a new group waits for more members',
      intIn(0, INT32_MAX),
      3000,
    )
    .action(async (flags: ServeFlags) => {
      usableDir(flags.dir);
      const log = (message: string, fields: Record<string, unknown>) =>
        io.err(`${message} ${JSON.stringify(fields)}\n`);
      const backend = await LocalBackend.open({
        dir: flags.dir,
        defaultPartitions: flags.partitions,
        autoCreateTopics: flags.autoCreate,
        topicDefaults: {
          retentionMs: flags.retentionMs,
          retentionBytes: flags.retentionBytes,
          segmentBytes: flags.segmentBytes,
        },
        retentionCheckMs: flags.retentionCheckMs,
        groupInitialRebalanceDelayMs: flags.groupInitialRebalanceDelayMs,
        log,
      });
      const port = new KafkaPort({ backend, listen: { host: flags.host, port: flags.port }, log });
      let at;
      try {
        at = await port.start();
      } catch (e) {
        await backend.close();
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          throw new UsageError(`cannot listen on ${flags.host}:${flags.port} (${code})`);
        }
        throw e;
      }
      // Metadata and FindCoordinator name this address: 0.0.0.0 is no place to connect to.
      if (flags.advertisedHost !== undefined) {
        backend.advertise({ host: flags.advertisedHost, port: at.port });
      }
      // Listening for the signals before saying where we listen: a supervisor that reads the
      // line and stops us at once must find the handlers in place (else SIGTERM kills unflushed).
      const stop = new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      io.out(`kafka ${at.host}:${at.port}\n`);
      await stop;
      await port.close();
      await backend.close();
    });
}
