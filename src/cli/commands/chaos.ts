/**
 * `truthkit chaos`: a fresh local cluster under a recorded client load while members are killed
 * with SIGKILL and restarted, and (with --partitions) cut off from each other and healed, on a
 * seeded schedule; then every key is read, the history is checked for linearizability and
 * every acknowledged write is audited. Exit codes: 0 valid, 1 invalid history or lost writes,
 * 3 not decided (checker budget, a member that would not come back, a final read that failed,
 * a cut that showed no sign of taking, an interrupted run). See docs/chaos.md.
 */
import type { Command } from 'commander';
import { historyToJsonLines } from '../../core/history.js';
import { ClusterError } from '../../runtime/cluster.js';
import { ScheduleError } from '../../runtime/chaos/schedule.js';
import { ChaosAbortedError, runChaos, type ChaosReport } from '../../runtime/chaos/run-chaos.js';
import type { CliIo } from '../cli-io.js';
import { collect, duration, intIn, positiveDuration } from '../option-parsers.js';
import { checkOutputPath, writeOutput } from '../output-path.js';
import { EXIT, UsageError } from '../usage-error.js';
import { resolveSystem } from './node.js';

/** The systems whose client port takes the KV operations the load issues. */
const CHAOS_SYSTEMS = ['kv-raft', 'etcd-raft', 'kv-single'] as const;
/** The systems whose members talk over peer links a partition can cut (Raft's). */
const PARTITION_SYSTEMS = ['kv-raft', 'etcd-raft'] as const;

interface ChaosFlags {
  system: string;
  nodes: number;
  kills: number;
  duration: number;
  seed: number;
  partitions?: number | true;
  dir?: string;
  history?: string;
  json?: boolean;
  mutant?: string;
  param: string[];
  clients: number;
  keys: number;
  checkTimeout: number;
}

function summaryLines(r: ChaosReport): string {
  const lines = [
    `${r.system}, ${r.nodes} node(s), seed ${r.seed}: ${r.kills} kills (${r.servingKills} of the serving member), ${r.restarts} restarts in ${(r.wallMs / 1000).toFixed(1)} s`,
    ...(r.partitions > 0
      ? [
          `partitions: ${r.partitions} (${r.stalledPartitions} stalled, ${r.partitions - r.stalledPartitions} severed; ${r.leaderPartitions} cut the leader off; a new leader was elected during ${r.newLeaders} of those); writes acknowledged by a cut-off member: ${r.cutOffAcks}`,
        ]
      : []),
    `ops: ${r.ops.ok} ok, ${r.ops.fail} failed, ${r.ops.unknown} unknown`,
    `acknowledged writes: ${r.acknowledgedWrites}, lost: ${r.lost.length}`,
    ...r.lost
      .slice(0, 5)
      .map(
        (l) =>
          `  lost: op ${l.id} wrote ${JSON.stringify(l.value)} to ${l.key}; final value ${JSON.stringify(l.found)}`,
      ),
    ...(r.lost.length > 5 ? [`  … and ${r.lost.length - 5} more`] : []),
    `linearizable: ${r.linearizable}`,
    ...r.problems.map((p) => `problem: ${p}`),
    `verdict: ${r.verdict.toUpperCase()}`,
  ];
  return lines.join('\n') + '\n';
}

export function chaosCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('chaos')
    .description(
      'kill and restart members of a real local cluster under load, then check the history',
    )
    .option('--system <name>', `the system: ${CHAOS_SYSTEMS.join(', ')}`, 'kv-raft')
    .option('--nodes <n>', 'cluster size', intIn(1, 9), 3)
    .option('--kills <n>', 'how many kill -9s (each followed by a restart)', intIn(0, 100_000), 10)
    .option(
      '--duration <d>',
      'how long the load runs (the kills are spread over it)',
      positiveDuration,
      30_000,
    )
    .option('--seed <n>', 'seed of the fault schedule and the load', intIn(0, 2 ** 32 - 1), 1)
    .option(
      '--partitions [n]',
      'also cut a minority off n times (default: as many as --kills), through proxies in front of the peer ports',
      intIn(0, 100_000),
    )
    .option('--dir <dir>', 'the cluster’s directory (default: a temporary one, removed after)')
    .option('--history <file>', 'write the history here as JSON lines')
    .option('--json', 'print the summary as one JSON object')
    .option('--mutant <name>', 'run a deliberately broken variant')
    .option(
      '--param <name=value>',
      "a system's own parameter, for every node (repeatable)",
      collect,
      [] as string[],
    )
    .option('--clients <n>', 'concurrent clients', intIn(1, 64), 4)
    .option('--keys <n>', 'keys the clients share', intIn(1, 1000), 5)
    .option('--check-timeout <d>', "the checker's budget", duration, 60_000)
    .action(async (flags: ChaosFlags) => {
      if (!(CHAOS_SYSTEMS as readonly string[]).includes(flags.system)) {
        throw new UsageError(
          `chaos runs ${CHAOS_SYSTEMS.join(', ')} (their clients speak KV), not '${flags.system}'`,
        );
      }
      if (flags.partitions === true && flags.kills === 0) {
        throw new UsageError('--partitions without a count means as many as --kills, which is 0');
      }
      const partitions = flags.partitions === true ? flags.kills : (flags.partitions ?? 0);
      if (partitions > 0 && !(PARTITION_SYSTEMS as readonly string[]).includes(flags.system)) {
        throw new UsageError(
          `--partitions cuts the peer links of ${PARTITION_SYSTEMS.join(' and ')}; ${flags.system} has no peers to cut`,
        );
      }
      const ids = Array.from({ length: flags.nodes }, (_, i) => `n${i + 1}`);
      const { system, params } = resolveSystem(flags.system, flags.mutant, flags.param, ids);
      if (flags.nodes < system.minNodes) {
        throw new UsageError(`${system.name} needs at least ${system.minNodes} nodes`);
      }
      if (flags.history !== undefined) checkOutputPath('--history', flags.history);
      // Ctrl-C (or a supervisor's SIGTERM) ends the run early; the cluster is still torn down.
      // A second Ctrl-C does not cut the teardown short (members are detached: they would stay).
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let report: ChaosReport;
      try {
        report = await runChaos({
          system: system.name,
          nodes: flags.nodes,
          kills: flags.kills,
          partitions,
          durationMs: flags.duration,
          seed: flags.seed,
          clients: flags.clients,
          keys: flags.keys,
          checkTimeoutMs: flags.checkTimeout,
          signal: abort.signal,
          ...(flags.dir !== undefined ? { dir: flags.dir } : {}),
          ...(flags.mutant !== undefined ? { mutant: flags.mutant } : {}),
          ...(params !== undefined ? { params } : {}),
          ...(flags.json === true ? {} : { log: (line: string) => io.err(`${line}\n`) }),
        });
      } catch (e) {
        if (e instanceof ScheduleError) throw new UsageError(e.message);
        if (e instanceof ChaosAbortedError || e instanceof ClusterError) {
          io.err(`truthkit: ${e.message}\n`);
          setExit(EXIT.unknown);
          return;
        }
        throw e;
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
      if (flags.history !== undefined) {
        writeOutput('--history', flags.history, historyToJsonLines(report.history));
      }
      if (flags.json === true) {
        const { history: _history, ...rest } = report;
        io.out(JSON.stringify(rest) + '\n');
      } else io.out(summaryLines(report));
      setExit(
        report.verdict === 'valid'
          ? EXIT.ok
          : report.verdict === 'invalid'
            ? EXIT.invalid
            : EXIT.unknown,
      );
    });
}
