/**
 * `truthkit sim`: run a system in the simulator over one or many seeds, judge each run, and
 * print a line per seed (or JSON). Exits 1 when any seed is invalid, naming it for replay.
 */
// PBFT's Ed25519 signatures (node:crypto, so not part of the protocol code the lab bundles).
import '../../protocols/pbft/ed25519.js';
import '../../runtime/evm/install.js';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { formatEvidence } from '../../check/index.js';
import { historyToJsonLines } from '../../core/history.js';
import {
  DEFAULT_CHECK_STEPS,
  DEFAULT_CHECK_TIMEOUT_MS,
  runChecked,
  type CheckedRun,
} from '../../sim/checked-run.js';
import { formatLatency, type Latency } from '../../sim/latency.js';
import { parseNemesis } from '../../sim/nemesis.js';
import { describeSwarm } from '../../sim/swarm.js';
import { traceToJsonLines } from '../../sim/trace.js';
import type { SystemDefinition } from '../../core/system.js';
import { getSystem, systems } from '../../systems/index.js';
import type { CliIo } from '../cli-io.js';
import { latency } from '../latency-option.js';
import { collect, duration, intIn, numberIn, positiveDuration } from '../option-parsers.js';
import { checkOutputPath, writeOutput } from '../output-path.js';
import { systemParams } from '../system-params.js';
import { EXIT, UsageError } from '../usage-error.js';
import {
  addRunCoverage,
  emptySweepCoverage,
  formatSweepCoverage,
  sweepCoverageSorted,
} from '../../sim/coverage.js';
import { formatShard, parseShard, shardSeeds, WHOLE, type Shard } from '../sweep/shard.js';
import { SWEEP_FORMAT, type SweepSpec } from '../sweep/record.js';
import { seedRecord, SweepWriter } from '../sweep/writer.js';

export interface SimFlags {
  nodes?: number;
  seed: number;
  seeds: number;
  ops: number;
  clients: number;
  keys: number;
  skew: number;
  timeout: number;
  nemesis: string;
  mutant?: string;
  latency?: Latency;
  json?: boolean;
  trace?: string;
  history?: string;
  checkTimeout: number;
  checkSteps: number;
  duration?: number;
  param: string[];
  realPow?: boolean;
  byzantine?: string;
  strategy?: string;
  shard?: Shard;
  jsonl?: string;
  swarm?: boolean;
}

/** What decides the runs of a sweep: the header of its JSONL shards (see sweep/record.ts). */
function sweepSpec(
  system: SystemDefinition,
  flags: SimFlags,
  nodes: number,
  params: Record<string, string> | undefined,
): SweepSpec {
  return {
    system: system.name,
    mutant: flags.mutant ?? null,
    nemesis: flags.nemesis,
    nodes,
    params: params ?? null,
    workload: {
      ops: flags.ops,
      clients: flags.clients,
      keys: flags.keys,
      skew: flags.skew,
      timeoutMs: flags.timeout,
      durationMs: flags.duration ?? null,
    },
    latency: flags.latency !== undefined ? formatLatency(flags.latency) : null,
    checkTimeoutMs: flags.checkTimeout,
    checkSteps: flags.checkSteps,
    firstSeed: flags.seed,
    seeds: flags.seeds,
    swarm: flags.swarm === true,
  };
}

/** `--param name=value` (repeatable) and the shorthands it has in sim, checked alike. */
export function simParams(
  system: SystemDefinition,
  flags: SimFlags,
  nodes: number,
): Record<string, string> | undefined {
  const implied: [string, string][] = [];
  if (flags.realPow) implied.push(['real-pow', 'true']);
  if (flags.byzantine !== undefined) implied.push(['byzantine', flags.byzantine]);
  if (flags.strategy !== undefined) implied.push(['strategy', flags.strategy]);
  const cluster = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  return systemParams(system, flags.param, cluster, implied);
}

/** The per-seed JSON line: everything but the bulky history and trace. */
export function summarize(run: CheckedRun): Record<string, unknown> {
  const { history: _h, trace: _t, check, coverage, ...rest } = run;
  const count = (name: string): number | undefined => run.metrics[name]?.count;
  const commit = run.metrics['commit-latency'];
  return {
    ...rest,
    // The consensus figures people compare first, lifted out of `metrics` when a system reports
    // them (NodeEnv.metric 'elections', 'leader-changes', 'commit-latency').
    ...(count('elections') !== undefined ? { elections: count('elections') } : {}),
    ...(count('leader-changes') !== undefined ? { leaderChanges: count('leader-changes') } : {}),
    ...(commit !== undefined ? { commitLatency: { p50: commit.p50, p99: commit.p99 } } : {}),
    ...(coverage !== null ? { coverage } : {}),
    check:
      check === null
        ? null
        : {
            verdict: check.verdict,
            partitions: check.partitions,
            wallMs: check.wallMs,
            ...(check.evidence !== undefined ? { evidence: check.evidence } : {}),
          },
  };
}

function humanLine(run: CheckedRun, withEvidence: boolean): string {
  const m = run.mutant !== null ? ` mutant=${run.mutant}` : '';
  const failure = run.failure !== null ? `  ${run.failure.kind}: ${run.failure.message}` : '';
  const ev = run.check?.evidence;
  const where =
    ev === undefined
      ? ''
      : `  violation in ${ev.partition === null ? 'the history' : `key ${JSON.stringify(ev.partition)}`}`;
  const evidence = ev !== undefined && withEvidence ? '\n' + indent(formatEvidence(ev)) : '';
  const judged = run.judgement !== null ? `  judge: ${run.judgement.message}` : '';
  return (
    `seed ${run.seed}: ${run.verdict.toUpperCase()}  ${run.system}${m} nodes=${run.nodes} ` +
    `nemesis=${run.nemesis}  ops ok=${run.ops.ok} fail=${run.ops.fail} unknown=${run.ops.unknown}  ` +
    `msgs ${messageCounts(run.messages)}  ` +
    `latency p50=${run.latency.p50}ms p99=${run.latency.p99}ms  virtual=${run.virtualMs}ms ` +
    `wall=${Math.round(run.wallMs)}ms  digest=${run.traceDigest}${failure}${judged}${where}${evidence}`
  );
}

/**
 * Duplicated copies are delivered too, so delivered can exceed sent; showing them (and what was
 * still in flight when the run stopped) makes the counts add up.
 */
function messageCounts(m: CheckedRun['messages']): string {
  const inFlight = m.sent + m.duplicated - m.delivered - m.dropped;
  return (
    `sent=${m.sent} duplicated=${m.duplicated} delivered=${m.delivered} dropped=${m.dropped}` +
    (inFlight > 0 ? ` in-flight=${inFlight}` : '')
  );
}

/** The command that replays one seed with every option that shaped the run. */
function replayCommand(system: string, seed: number, flags: SimFlags, nodes: number): string {
  const parts = ['truthkit sim', system, '--seed', String(seed)];
  if (!flags.swarm || flags.nodes !== undefined) parts.push('--nodes', String(nodes));
  if (flags.swarm) parts.push('--swarm');
  const add = (flag: string, value: string | number | undefined, byDefault?: string | number) => {
    if (value !== undefined && value !== byDefault) parts.push(flag, String(value));
  };
  add('--nemesis', flags.nemesis, 'none');
  add('--mutant', flags.mutant);
  add('--ops', flags.ops, 1000);
  add('--clients', flags.clients, 5);
  add('--keys', flags.keys, 5);
  add('--skew', flags.skew, 1);
  add('--timeout', flags.timeout, 1000);
  add('--duration', flags.duration);
  add('--check-timeout', flags.checkTimeout, DEFAULT_CHECK_TIMEOUT_MS);
  add('--check-steps', flags.checkSteps, DEFAULT_CHECK_STEPS);
  for (const p of flags.param) parts.push('--param', p);
  if (flags.realPow) parts.push('--real-pow');
  add('--byzantine', flags.byzantine);
  add('--strategy', flags.strategy);
  if (flags.latency !== undefined) add('--latency', formatLatency(flags.latency));
  return parts.join(' ');
}

const indent = (text: string): string =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

export function simCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('sim')
    .description('simulate a system under faults, check every run, print a summary per seed')
    .argument(
      '<system>',
      `one of: ${systems()
        .map((s) => s.name)
        .join(', ')}`,
    )
    .option('--nodes <n>', "cluster size (default: the system's own)", intIn(1, 101))
    .option('--seed <s>', 'first seed', intIn(0, Number.MAX_SAFE_INTEGER), 1)
    .option('--seeds <n>', 'number of seeds to run, from --seed on', intIn(1, 10_000_000), 1)
    .option('--ops <n>', 'client operations per run', intIn(1, 10_000_000), 1000)
    .option('--clients <n>', 'concurrent clients', intIn(1, 10_000), 5)
    .option('--keys <n>', 'size of the key space', intIn(1, 1_000_000), 5)
    .option('--skew <z>', 'Zipf exponent of key popularity (0 = uniform)', numberIn(0, 10), 1)
    .option('--timeout <d>', 'client operation timeout', positiveDuration, 1000)
    .option('--nemesis <plans>', 'fault plans, comma-separated (see `truthkit list`)', 'none')
    .option('--mutant <name>', 'run a deliberately broken variant')
    .option(
      '--latency <dist>',
      'link latency: constant:MS, uniform:A-B, exp:MEAN[,floor=MS]',
      latency,
    )
    .option(
      '--check-steps <n>',
      'checker budget per run in search steps (the verdict replays anywhere)',
      intIn(1, Number.MAX_SAFE_INTEGER),
      DEFAULT_CHECK_STEPS,
    )
    .option(
      '--check-timeout <d>',
      'wall-clock guard on the checker per run',
      duration,
      DEFAULT_CHECK_TIMEOUT_MS,
    )
    .option(
      '--duration <d>',
      'virtual length of a run for systems without clients (nakamoto)',
      positiveDuration,
    )
    .option(
      '--param <name=value>',
      "a system's own parameter (repeatable; see `truthkit list`)",
      collect,
      [] as string[],
    )
    .option('--real-pow', 'nakamoto: really hash nonces (a tiny target) instead of sampling')
    .option('--byzantine <k>', 'pbft: how many replicas are Byzantine (= --param byzantine=K)')
    .option(
      '--strategy <s>',
      'pbft: what Byzantine replicas do (= --param strategy=S; see `truthkit list`)',
    )
    .option(
      '--swarm',
      'each seed draws its own fault mix, triggers, latency, workload and cluster size (see docs/simulator.md)',
    )
    .option(
      '--shard <i/n>',
      'run only the i-th (from 0) of n strided slices of the seeds: seed+i, seed+i+n, …',
      parseShard,
    )
    .option('--jsonl <file>', 'also write the sweep as JSON lines for `truthkit sweep merge`')
    .addOption(
      new Option(
        '--no-coverage',
        "don't count what a sweep reached (up to ~30% of its time: docs/sweeps.md)",
      ),
    )
    .option('--json', 'one JSON object per line per seed')
    .option('--trace <file>', 'write the trace as JSON lines (one seed only)')
    .option('--history <file>', 'write the history as JSON lines (one seed only)')
    .addOption(new Option('--no-progress', 'never show a progress bar'))
    .action((systemName: string, flags: SimFlags & { progress: boolean; coverage: boolean }) => {
      const system = getSystem(systemName);
      if (system === undefined) {
        throw new UsageError(
          `unknown system '${systemName}' (choose from ${systems()
            .map((s) => s.name)
            .join(', ')})`,
        );
      }
      try {
        parseNemesis(flags.nemesis);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const nodes = flags.nodes ?? system.defaultNodes;
      if (nodes < system.minNodes) {
        throw new UsageError(`${system.name} needs at least ${system.minNodes} nodes`);
      }
      const params = simParams(system, flags, nodes);
      // Params may bring mutants of their own (a 2PC system's list-append workload).
      const mutants = (system.configure?.(params ?? {}) ?? system).mutants;
      if (flags.mutant !== undefined && !mutants.some((m) => m.name === flags.mutant)) {
        const known = mutants.map((m) => m.name);
        throw new UsageError(
          `${system.name} has no mutant '${flags.mutant}'` +
            (known.length > 0 ? ` (choose from ${known.join(', ')})` : ' (it has none)'),
        );
      }
      const shard = flags.shard ?? WHOLE;
      const seeds = shardSeeds(flags.seed, flags.seeds, shard);
      if (flags.seeds > 1 && (flags.trace !== undefined || flags.history !== undefined)) {
        throw new UsageError('--trace and --history record one run: replay one seed with --seed S');
      }
      // Found out before the run, not after it.
      for (const [option, file] of [
        ['--trace', flags.trace],
        ['--history', flags.history],
        ['--jsonl', flags.jsonl],
      ] as const) {
        if (file !== undefined) checkOutputPath(option, file);
      }
      const bar =
        flags.seeds > 1 && io.interactive && flags.progress
          ? new cliProgress.SingleBar(
              { format: 'seeds {bar} {value}/{total}  invalid: {invalid}', stream: process.stderr },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      bar?.start(seeds.length, 0, { invalid: 0 });
      const failing: number[] = [];
      const counts = { valid: 0, invalid: 0, unknown: 0, unchecked: 0 };
      // What a sweep reached (docs/sweeps.md has its cost); one run needs none of it.
      const withCoverage = flags.coverage && (flags.seeds > 1 || flags.jsonl !== undefined);
      const coverage = emptySweepCoverage();
      const writer =
        flags.jsonl === undefined
          ? undefined
          : new SweepWriter('--jsonl', flags.jsonl, {
              kind: 'sweep',
              format: SWEEP_FORMAT,
              sweep: sweepSpec(system, flags, nodes, params),
              shard,
              startedAt: Date.now(),
            });
      for (const seed of seeds) {
        const run = runChecked(
          {
            system,
            seed,
            // Under --swarm the seed draws the cluster size unless --nodes fixed it.
            ...(flags.swarm && flags.nodes === undefined ? {} : { nodes }),
            ...(flags.swarm ? { swarm: true } : {}),
            nemesis: flags.nemesis,
            keepTrace: flags.trace !== undefined,
            coverage: withCoverage,
            ...(flags.mutant !== undefined ? { mutant: flags.mutant } : {}),
            ...(flags.latency !== undefined ? { latency: flags.latency } : {}),
            ...(params !== undefined ? { params } : {}),
            workload: {
              ...(flags.duration !== undefined ? { durationMs: flags.duration } : {}),
              ops: flags.ops,
              clients: flags.clients,
              keys: flags.keys,
              skew: flags.skew,
              timeoutMs: flags.timeout,
            },
          },
          { checkSteps: flags.checkSteps, checkTimeoutMs: flags.checkTimeout },
        );
        counts[run.verdict]++;
        if (run.verdict === 'invalid') failing.push(seed);
        if (run.coverage !== null) addRunCoverage(coverage, run.coverage);
        writer?.seed(seedRecord(run, replayCommand(system.name, seed, flags, nodes)));
        if (flags.trace !== undefined && run.trace !== null) {
          writeOutput('--trace', flags.trace, traceToJsonLines(run.trace));
        }
        if (flags.history !== undefined) {
          writeOutput('--history', flags.history, historyToJsonLines(run.history));
        }
        const line = flags.json
          ? JSON.stringify(summarize(run))
          : humanLine(run, flags.seeds === 1) +
            (run.swarm !== undefined ? `\n    ${describeSwarm(run.swarm)}` : '');
        if (bar !== undefined) bar.increment(1, { invalid: failing.length });
        if (bar === undefined || run.verdict === 'invalid') {
          if (bar !== undefined) io.err('\n');
          io.out(line + '\n');
        }
        if (run.verdict === 'invalid') setExit(EXIT.invalid);
        else if (run.verdict === 'unknown') setExit(EXIT.unknown);
      }
      bar?.stop();
      writer?.end(Date.now());
      if (flags.seeds > 1 || failing.length > 0) {
        const ofShard = flags.shard !== undefined ? ` (shard ${formatShard(shard)})` : '';
        const summary =
          `${seeds.length} seed(s)${ofShard}: ${counts.valid} valid, ${counts.invalid} invalid, ` +
          `${counts.unknown} unknown, ${counts.unchecked} unchecked`;
        const replay =
          failing.length > 0
            ? `\ninvalid seeds: ${failing.slice(0, 50).join(' ')}${failing.length > 50 ? ' …' : ''}` +
              `\nreplay: ${replayCommand(system.name, failing[0] as number, flags, nodes)}`
            : '';
        const reached = withCoverage
          ? '\n' + formatSweepCoverage(sweepCoverageSorted(coverage), seeds.length)
          : '';
        (flags.json ? io.err : io.out)(summary + replay + reached + '\n');
      }
    });
}
