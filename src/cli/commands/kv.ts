/**
 * `truthkit kv put|get|del`: a client of a running KV cluster (local via --dir, or any nodes via
 * --endpoints). Finds the leader by following hints and retrying other nodes. Exit codes: 0 ok,
 * 1 failed (or `get` of an absent key), 3 outcome unknown (the write may or may not have taken
 * effect).
 *
 * `truthkit kv watch KEY [--prefix] [--rev N] [--count N] [--endpoint HOST:PORT]`: follows a
 * key (or prefix) through an etcd v3 gRPC endpoint (etcd-raft's, or a real etcd's), one line per
 * event, until Ctrl-C or --count events.
 */
import type { Command } from 'commander';
import type { Json } from '../../core/json.js';
import { ClusterError } from '../../runtime/cluster.js';
import { readClusterFile } from '../../runtime/cluster.js';
import type { WatchClient, WatchedEvent } from '../../runtime/etcd/watch-client.js';
import { KvClient, parseAddress } from '../../runtime/kv-client.js';
import type { Address } from '../../runtime/listen.js';
import type { CliIo } from '../cli-io.js';
import { targetEndpoints } from '../cluster-target.js';
import { intIn, positiveDuration } from '../option-parsers.js';
import { EXIT, UsageError } from '../usage-error.js';

interface KvFlags {
  dir: string;
  endpoints?: string;
  timeout: number;
}

export function kvCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const kv = program.command('kv').description('read and write a running KV cluster');
  const run = async (op: Json, flags: KvFlags, show: (value: Json) => void): Promise<void> => {
    const client = new KvClient({
      endpoints: targetEndpoints(flags),
      deadlineMs: flags.timeout,
      attemptTimeoutMs: Math.min(2000, flags.timeout),
    });
    try {
      const r = await client.call(op);
      if (r.outcome === 'ok') show(r.value);
      else if (r.outcome === 'fail') {
        io.err(`truthkit: failed: ${r.error}\n`);
        setExit(EXIT.invalid);
      } else {
        io.err(`truthkit: outcome unknown (it may or may not have taken effect): ${r.error}\n`);
        setExit(EXIT.unknown);
      }
    } finally {
      client.close();
    }
  };
  const common = (c: Command): Command =>
    c
      .option('--dir <dir>', 'a local cluster’s directory', '.truthkit')
      .option('--endpoints <list>', 'client addresses: id=host:port,… or host:port,…')
      .option(
        '--timeout <d>',
        'give up after this long, retries included',
        positiveDuration,
        10_000,
      );
  common(
    kv.command('put').description('set KEY to VALUE').argument('<key>').argument('<value>'),
  ).action((key: string, value: string, flags: KvFlags) =>
    run({ f: 'put', key, value }, flags, () => io.out('OK\n')),
  );
  common(
    kv.command('get').description('print the value of KEY (exit 1 when absent)').argument('<key>'),
  ).action((key: string, flags: KvFlags) =>
    run({ f: 'get', key }, flags, (v) => {
      if (v === null) setExit(EXIT.invalid);
      else io.out(`${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
    }),
  );
  common(kv.command('del').description('delete KEY').argument('<key>')).action(
    (key: string, flags: KvFlags) => run({ f: 'delete', key }, flags, () => io.out('OK\n')),
  );
  kv.command('watch')
    .description('print changes to KEY (or a prefix) as they happen, through an etcd endpoint')
    .argument('<key>')
    .option('--prefix', 'watch every key starting with KEY')
    .option('--rev <n>', 'start at this revision (replays history since)', intIn(1, 2 ** 53 - 1))
    .option('--count <n>', 'stop after this many events', intIn(1, 2 ** 31 - 1))
    .option('--endpoint <host:port>', 'an etcd v3 gRPC endpoint')
    .option('--dir <dir>', 'a local cluster’s directory (its first etcd endpoint)', '.truthkit')
    .action(
      async (
        key: string,
        flags: { prefix?: boolean; rev?: number; count?: number; endpoint?: string; dir: string },
      ) => {
        const endpoint = watchEndpoint(flags);
        let seen = 0;
        // Loaded only for `kv watch`: gRPC costs every other command ~130 ms to load.
        const { WatchClient } = await import('../../runtime/etcd/watch-client.js');
        const client: WatchClient = new WatchClient({
          endpoint,
          key,
          ...(flags.prefix === true ? { prefix: true } : {}),
          ...(flags.rev !== undefined ? { startRevision: flags.rev } : {}),
          onEvent: (e: WatchedEvent) => {
            if (flags.count !== undefined && seen >= flags.count) return;
            seen++;
            io.out(`${e.revision} ${e.type} ${e.key}${e.type === 'PUT' ? ` ${e.value}` : ''}\n`);
            if (flags.count !== undefined && seen >= flags.count) client.stop();
          },
        });
        const interrupt = (): void => client.stop();
        process.once('SIGINT', interrupt);
        try {
          await client.run();
        } catch (e) {
          io.err(`truthkit: ${(e as Error).message}\n`);
          setExit(EXIT.invalid);
        } finally {
          process.off('SIGINT', interrupt);
          client.close();
        }
      },
    );
}

function watchEndpoint(flags: { endpoint?: string; dir: string }): Address {
  if (flags.endpoint !== undefined) {
    try {
      return parseAddress(flags.endpoint);
    } catch (e) {
      throw new UsageError(`--endpoint: ${(e as Error).message}`);
    }
  }
  let etcd: string | undefined;
  try {
    etcd = readClusterFile(flags.dir).nodes.find((n) => n.etcd !== undefined)?.etcd;
  } catch (e) {
    if (e instanceof ClusterError) throw new UsageError(`${e.message}, or pass --endpoint`);
    throw e;
  }
  if (etcd === undefined) {
    throw new UsageError(`the cluster in ${flags.dir} serves no etcd endpoint; pass --endpoint`);
  }
  return parseAddress(etcd);
}
