/**
 * The `truthkit` command. Each subcommand lives in commands/<name>.ts and registers itself on
 * the program; this file only wires them up and turns every error into one readable line.
 */
import { Command, CommanderError } from 'commander';
import type { CliIo } from './cli-io.js';
import { UsageError, EXIT } from './usage-error.js';
import { listCommand } from './commands/list.js';
import { simCommand } from './commands/sim.js';
import { checkCommand } from './commands/check.js';
import { chainCommand } from './commands/chain.js';
import { merkleCommand } from './commands/merkle.js';
import { experimentCommand } from './commands/experiment.js';
import { nodeCommand } from './commands/node.js';
import { clusterCommand } from './commands/cluster.js';
import { kvCommand } from './commands/kv.js';
import { walCommand } from './commands/wal.js';
// PBFT's Ed25519 signatures (node:crypto, so not part of the protocol code the lab bundles).
import '../protocols/pbft/ed25519.js';

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  interactive: Boolean(process.stderr.isTTY),
};

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('truthkit')
    .description('Consensus and truth mechanisms: simulate, break, check, measure.')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (t) => io.out(t),
      // Commander's own messages become our one-line errors (see the catch below).
      writeErr: () => {},
    });
  const setExit = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  listCommand(program, io);
  simCommand(program, io, setExit);
  checkCommand(program, io, setExit);
  chainCommand(program, io, setExit);
  merkleCommand(program, io, setExit);
  experimentCommand(program, io);
  nodeCommand(program, io, setExit);
  clusterCommand(program, io, setExit);
  kvCommand(program, io, setExit);
  walCommand(program, io, setExit);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      if (e.code === 'commander.help') return EXIT.ok;
      io.err(`truthkit: ${e.message.replace(/^error: /, '').split('\n')[0]}\n`);
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
