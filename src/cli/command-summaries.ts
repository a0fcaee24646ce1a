/**
 * What the top-level help lists for each command, known without loading the command: loading
 * every command (the simulator, the systems, gRPC…) made `truthkit --help` and a mistyped command
 * take some 300 ms. test/cli/help.test.ts holds each line to what the command itself registers.
 */
import type { Command } from 'commander';

export interface CommandSummary {
  /** The command as help shows it: name, `[options]` if it has any, its arguments. */
  readonly term: string;
  readonly description: string;
}

export const COMMAND_SUMMARIES: Readonly<Record<string, CommandSummary>> = {
  list: {
    term: 'list [options]',
    description: 'list the systems, nemeses, checker models and mutants',
  },
  sim: {
    term: 'sim [options] <system>',
    description: 'simulate a system under faults, check every run, print a summary per seed',
  },
  check: {
    term: 'check [options] <file>',
    description:
      'check a history for linearizability, or transactions for isolation (exit 0 valid, 1 invalid, 3 unknown)',
  },
  chain: {
    term: 'chain',
    description: "Bitcoin's proof of work: headers, retargets, double-spend odds",
  },
  merkle: { term: 'merkle', description: 'Merkle roots and inclusion proofs, Bitcoin style' },
  experiment: {
    term: 'experiment [options] <name>',
    description: 'measure a claim from the case studies: `experiment list`, `experiment NAME`',
  },
  node: {
    term: 'node [options]',
    description: 'run one node of a system as this process (TCP peers, fsynced storage)',
  },
  cluster: { term: 'cluster', description: 'run a local cluster of node processes' },
  kv: { term: 'kv', description: 'read and write a running KV cluster' },
  txn: { term: 'txn', description: 'run transactions on a transactional cluster' },
  wal: { term: 'wal', description: "a node's write-ahead log" },
  chaos: {
    term: 'chaos [options]',
    description:
      'kill and restart members of a real local cluster under load, then check the history',
  },
  sweep: {
    term: 'sweep',
    description: 'merge the JSONL shards of a seed sweep; write a Kubernetes Job that runs them',
  },
  zk: { term: 'zk', description: "ZooKeeper's client protocol" },
  kafka: { term: 'kafka', description: "Kafka's broker protocol" },
  sql: { term: 'sql', description: "SQL over PostgreSQL's wire protocol" },
};

/**
 * Adds a placeholder for each of `names` that help lists by its summary and that commander can
 * suggest for a mistyped command; none of them can run (main.ts loads the real command first).
 */
export function addCommandSummaries(program: Command, names: readonly string[]): void {
  for (const name of names) {
    const summary = COMMAND_SUMMARIES[name];
    if (summary === undefined) throw new Error(`no help summary for the command "${name}"`);
    program.command(name).description(summary.description);
  }
  const help = program.createHelp();
  program.configureHelp({
    subcommandTerm: (cmd) => COMMAND_SUMMARIES[cmd.name()]?.term ?? help.subcommandTerm(cmd),
  });
}
