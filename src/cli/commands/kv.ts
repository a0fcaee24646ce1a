/**
 * `truthkit kv put|get|del`: a client of a running KV cluster (local via --dir, or any nodes via
 * --endpoints). Finds the leader by following hints and retrying other nodes. Exit codes: 0 ok,
 * 1 failed (or `get` of an absent key), 3 outcome unknown (the write may or may not have taken
 * effect).
 */
import type { Command } from 'commander';
import type { Json } from '../../core/json.js';
import { clusterEndpoints, ClusterError } from '../../runtime/cluster.js';
import { KvClient, parseEndpoints, type Endpoint } from '../../runtime/kv-client.js';
import type { CliIo } from '../main.js';
import { duration } from '../option-parsers.js';
import { EXIT, UsageError } from '../usage-error.js';

interface KvFlags {
  dir: string;
  endpoints?: string;
  timeout: number;
}

function endpoints(flags: KvFlags): Endpoint[] {
  if (flags.endpoints !== undefined) {
    try {
      return parseEndpoints(flags.endpoints);
    } catch (e) {
      throw new UsageError(`--endpoints: ${(e as Error).message}`);
    }
  }
  try {
    return clusterEndpoints(flags.dir);
  } catch (e) {
    if (e instanceof ClusterError) throw new UsageError(`${e.message}, or pass --endpoints`);
    throw e;
  }
}

export function kvCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const kv = program.command('kv').description('read and write a running KV cluster');
  const run = async (op: Json, flags: KvFlags, show: (value: Json) => void): Promise<void> => {
    const client = new KvClient({
      endpoints: endpoints(flags),
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
      .option('--timeout <d>', 'give up after this long, retries included', duration, 10_000);
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
}
