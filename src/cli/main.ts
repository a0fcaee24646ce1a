/**
 * The `truthkit` command. Each subcommand lives in commands/<name>.ts and registers itself on
 * the program; this file only wires them up and turns every error into one readable line.
 */
import { Command, CommanderError } from 'commander';
import type { CliIo } from './cli-io.js';
import { addCommandSummaries } from './command-summaries.js';
import { packageVersion } from './package-version.js';
import { UsageError, EXIT } from './usage-error.js';
import { commanderErrorLine } from './commander-errors.js';

/** Adds one subcommand to the program (commands/<name>.ts each export one). */
type Register = (program: Command, io: CliIo, setExit: (code: number) => void) => void;

/**
 * Every subcommand, loaded only when it is the one run (or `help NAME` asks about it): a
 * command's modules (the simulator, the systems, gRPC, the checker…) cost start-up time that
 * every other command would pay for nothing. The top-level help and an unknown command list
 * them from command-summaries.ts instead.
 */
export const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  list: async () => (await import('./commands/list.js')).listCommand,
  sim: async () => (await import('./commands/sim.js')).simCommand,
  check: async () => (await import('./commands/check.js')).checkCommand,
  chain: async () => (await import('./commands/chain.js')).chainCommand,
  merkle: async () => (await import('./commands/merkle.js')).merkleCommand,
  experiment: async () => (await import('./commands/experiment.js')).experimentCommand,
  node: async () => (await import('./commands/node.js')).nodeCommand,
  cluster: async () => (await import('./commands/cluster.js')).clusterCommand,
  kv: async () => (await import('./commands/kv.js')).kvCommand,
  txn: async () => (await import('./commands/txn.js')).txnCommand,
  wal: async () => (await import('./commands/wal.js')).walCommand,
  chaos: async () => (await import('./commands/chaos.js')).chaosCommand,
  sweep: async () => (await import('./commands/sweep.js')).sweepCommand,
  zk: async () => (await import('./commands/zk.js')).zkCommand,
  kafka: async () => (await import('./commands/kafka.js')).kafkaCommand,
  sql: async () => (await import('./commands/sql.js')).sqlCommand,
};

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  interactive: Boolean(process.stderr.isTTY),
};

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  // What commander writes to stderr: only shown when it is a group's help (see the catch).
  let commanderErr = '';
  const program = new Command('truthkit')
    .description('Consensus and truth mechanisms: simulate, break, check, measure.')
    .version(packageVersion())
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (t) => io.out(t),
      // Commander's own messages become our one-line errors (see the catch below).
      writeErr: (t) => {
        commanderErr += t;
      },
    });
  const setExit = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  const named = argv[0] === 'help' ? argv[1] : argv[0];
  const load = named !== undefined && Object.hasOwn(COMMANDS, named) ? COMMANDS[named] : undefined;
  try {
    if (load === undefined) addCommandSummaries(program, Object.keys(COMMANDS));
    else (await load())(program, io, setExit);
    if (argv.length === 0) {
      // Commander would print this help through writeErr, which is silenced for one-line errors.
      io.err(program.helpInformation());
      return EXIT.usage;
    }
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      if (e.code === 'commander.help') {
        // A command group named without a subcommand: commander wrote its help as an error.
        if (e.exitCode === 0) return EXIT.ok;
        io.err(commanderErr);
        return EXIT.usage;
      }
      io.err(`truthkit: ${commanderErrorLine(e.message)}\n`);
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      io.err(`truthkit: ${e.message}\n`);
      return EXIT.usage;
    }
    const err = e as Error;
    io.err(`truthkit: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.TRUTHKIT_DEBUG) io.err(`${err?.stack ?? ''}\n`);
    return 70;
  }
  return exitCode;
}
