/**
 * `truthkit sweep`: sweeps that run as shards elsewhere. `merge` combines the JSONL files of a
 * sweep's shards (`truthkit sim … --shard i/n --jsonl FILE`) into one summary; `k8s` writes a
 * Kubernetes Indexed Job that runs the shards. See docs/sweeps.md.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { getSystem } from '../../systems/index.js';
import type { CliIo } from '../cli-io.js';
import { intIn } from '../option-parsers.js';
import { UsageError } from '../usage-error.js';
import { checkOutputPath, writeOutput } from '../output-path.js';
import { DEFAULTS, jobManifest } from '../sweep/k8s.js';
import { mergeShards, SweepMismatchError } from '../sweep/merge.js';
import { parseShardFile, SweepFileError, type ShardFile } from '../sweep/record.js';
import { formatMerged, mergedExit } from '../sweep/report.js';
import { MAX_SHARDS } from '../sweep/shard.js';
import { simCommand, simParams, type SimFlags } from './sim.js';

/** Flags `sweep k8s` sets itself, or that record one run rather than a sweep. */
const NOT_IN_A_JOB = ['--shard', '--jsonl', '--trace', '--history'];

interface K8sFlags {
  shards: number;
  parallelism?: number;
  name: string;
  image: string;
  cpu: string;
  memory: string;
  claim: string;
  retries: number;
  output?: string;
}

/**
 * Parses `truthkit sim` arguments with sim's own option definitions (so a typo fails now, not
 * in a thousand pods) and returns the sweep's seed count.
 */
async function checkSimArgs(simArgs: readonly string[]): Promise<number> {
  for (const a of simArgs) {
    const flag = a.split('=')[0] as string;
    if (NOT_IN_A_JOB.includes(flag)) {
      throw new UsageError(`${flag} is not for a Job's sim arguments (sweep k8s sets the shard)`);
    }
  }
  const probe = new Command('truthkit')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  const quiet: CliIo = { out: () => {}, err: () => {}, interactive: false };
  simCommand(probe, quiet, () => {});
  const sim = probe.commands.find((c) => c.name() === 'sim');
  if (sim === undefined) throw new Error('the sim command did not register');
  let seeds = 0;
  sim.action((systemName: string, flags: SimFlags) => {
    const system = getSystem(systemName);
    if (system === undefined) throw new UsageError(`sim arguments: unknown system '${systemName}'`);
    if (flags.mutant !== undefined && !system.mutants.some((m) => m.name === flags.mutant)) {
      throw new UsageError(`sim arguments: ${system.name} has no mutant '${flags.mutant}'`);
    }
    const nodes = flags.nodes ?? system.defaultNodes;
    if (nodes < system.minNodes) {
      throw new UsageError(`sim arguments: ${system.name} needs at least ${system.minNodes} nodes`);
    }
    try {
      simParams(system, flags, nodes);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`sim arguments: ${e.message}`);
      throw e;
    }
    seeds = flags.seeds;
  });
  try {
    await probe.parseAsync(['sim', ...simArgs], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      throw new UsageError(`sim arguments: ${e.message.replace(/^error: /, '').split('\n')[0]}`);
    }
    throw e;
  }
  return seeds;
}

function readShard(file: string): ShardFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    throw new UsageError(`${file}: cannot read it (${code})`);
  }
  try {
    return parseShardFile(file, text);
  } catch (e) {
    if (e instanceof SweepFileError) throw new UsageError(`not a sweep shard file: ${e.message}`);
    throw e;
  }
}

export function sweepCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const sweep = program
    .command('sweep')
    .description('merge the JSONL shards of a seed sweep; write a Kubernetes Job that runs them');

  sweep
    .command('merge')
    .description(
      'combine shard files (sim --shard i/n --jsonl FILE) into one summary; exit 0 all valid, ' +
        '1 a seed invalid, 3 a seed unknown, 4 shards missing or unfinished',
    )
    .argument('<files...>', 'the JSONL files of every shard')
    .option('--json', 'print the summary as one JSON object')
    .action((files: string[], flags: { json?: boolean }) => {
      const shards = files.map(readShard);
      let merged;
      try {
        merged = mergeShards(shards);
      } catch (e) {
        if (e instanceof SweepMismatchError) throw new UsageError(e.message);
        throw e;
      }
      io.out(flags.json ? JSON.stringify(merged) + '\n' : formatMerged(merged));
      setExit(mergedExit(merged));
    });

  sweep
    .command('k8s')
    .description(
      'write a Kubernetes Indexed Job running `truthkit sim ARGS… --shard i/n` per completion index',
    )
    .argument('<sim-args...>', 'the sweep: `truthkit sim` arguments after `--`, system first')
    .requiredOption('--shards <n>', 'completions: how many shards', intIn(1, MAX_SHARDS))
    .option('--parallelism <n>', 'pods at once (default: every shard)', intIn(1, MAX_SHARDS))
    .option('--name <name>', 'the Job name (also the folder under /out)', 'truthkit-sweep')
    .option('--image <ref>', 'a container image with truthkit on its PATH', DEFAULTS.image)
    .option('--cpu <q>', 'CPU request per pod (a sweep shard uses one core)', DEFAULTS.cpu)
    .option('--memory <q>', 'memory request and limit per pod', DEFAULTS.memory)
    .option('--claim <pvc>', 'PersistentVolumeClaim mounted at /out for the shards', DEFAULTS.claim)
    .option('--retries <n>', 'failed pods allowed per shard', intIn(0, 100), DEFAULTS.retries)
    .option('-o, --output <file>', 'write the manifest to a file instead of stdout')
    .action(async (simArgs: string[], flags: K8sFlags) => {
      const seeds = await checkSimArgs(simArgs);
      if (flags.shards > seeds) {
        throw new UsageError(`--shards ${flags.shards} exceeds the sweep's ${seeds} seed(s)`);
      }
      if (flags.output !== undefined) checkOutputPath('--output', flags.output);
      const manifest = jobManifest({
        name: flags.name,
        image: flags.image,
        shards: flags.shards,
        parallelism: flags.parallelism ?? flags.shards,
        simArgs,
        cpu: flags.cpu,
        memory: flags.memory,
        claim: flags.claim,
        retries: flags.retries,
      });
      if (flags.output !== undefined) writeOutput('--output', flags.output, manifest);
      else io.out(manifest);
    });
}
