/**
 * `truthkit txn run|bank`: a client of a running transactional cluster (`cluster up --system
 * cockroach` or `spanner`; local via --dir, or any nodes via --endpoints).
 *
 * `txn run '<mops JSON>'` runs one transaction, e.g. `'[["r","k01",null],["w","k05",3]]'`, and
 * prints its results. Exit codes as `kv`: 0 ok, 1 failed (certainly not applied), 3 outcome
 * unknown. It is not retried after an unknown outcome: a transaction is not idempotent.
 *
 * `txn bank` moves money between accounts in interactive transactions for a while, retrying on
 * `retry`, then audits every account in one transaction (txn-bank.ts). Exit 1 if the audit fails.
 */
import type { Command } from 'commander';
import type { Json } from '../../core/json.js';
import { parseTxnClientOp, type Mop } from '../../systems/txndb/txn-client-ops.js';
import type { CliIo } from '../cli-io.js';
import { targetEndpoints } from '../cluster-target.js';
import { intIn, numberIn, positiveDuration } from '../option-parsers.js';
import { EXIT, UsageError } from '../usage-error.js';
import { BankError, runBank, TxnCallError, TxnClient, type BankResult } from './txn-bank.js';

interface TargetFlags {
  dir: string;
  endpoints?: string;
}

/** The micro-ops of `txn run`, checked as the node checks them; a usage error otherwise. */
export function parseMops(text: string): Mop[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`micro-ops: not JSON (e.g. '[["r","k01",null],["w","k05",3]]')`);
  }
  const parsed = parseTxnClientOp({ f: 'txn', value });
  if ('problem' in parsed) throw new UsageError(`micro-ops: ${parsed.problem}`);
  if (parsed.op.f !== 'txn') throw new Error('unreachable: parsed a txn op as another');
  return [...parsed.op.value];
}

const round = (x: number): string => x.toFixed(1);

export function txnCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const txn = program.command('txn').description('run transactions on a transactional cluster');
  const target = (c: Command): Command =>
    c
      .option('--dir <dir>', 'a local cluster’s directory', '.truthkit')
      .option('--endpoints <list>', 'client addresses: id=host:port,… or host:port,…');
  target(
    txn
      .command('run')
      .description('run one transaction of micro-ops and print their results')
      .argument('<mops>', `JSON list of ["r",key,null], ["w",key,value], ["append",key,value]`)
      .option('--timeout <d>', 'give up after this long', positiveDuration, 10_000),
  ).action(async (text: string, flags: TargetFlags & { timeout: number }) => {
    const mops = parseMops(text);
    const list = targetEndpoints(flags);
    const client = new TxnClient({
      endpoints: list,
      clientId: `txn-${process.pid}`,
      callTimeoutMs: flags.timeout,
    });
    try {
      // A definite failure (a node down or starting) is safe to try on the next node; the
      // first unknown outcome ends it.
      let last = 'no node answered';
      for (let i = 0; i < list.length; i++) {
        try {
          const v = await client.call(i, { f: 'txn', value: mops as unknown as Json });
          io.out(`${JSON.stringify(v)}\n`);
          return;
        } catch (e) {
          if (!(e instanceof TxnCallError)) throw e;
          last = e.message;
          if (!e.definite) {
            io.err(`truthkit: outcome unknown (it may or may not have taken effect): ${last}\n`);
            setExit(EXIT.unknown);
            return;
          }
          if (e.code === 'malformed') break;
        }
      }
      io.err(`truthkit: failed: ${last}\n`);
      setExit(EXIT.invalid);
    } finally {
      client.close();
    }
  });
  target(
    txn
      .command('bank')
      .description('move money between accounts in interactive transactions, then audit the total')
      .option('--accounts <n>', 'number of accounts', intIn(2, 1000), 8)
      .option('--clients <n>', 'concurrent clients', intIn(1, 256), 4)
      .option('--seconds <s>', 'how long to run transfers', numberIn(0.1, 3600), 10),
  ).action(async (flags: TargetFlags & { accounts: number; clients: number; seconds: number }) => {
    const list = targetEndpoints(flags);
    let r: BankResult;
    try {
      r = await runBank({
        endpoints: list,
        accounts: flags.accounts,
        clients: flags.clients,
        seconds: flags.seconds,
      });
    } catch (e) {
      if (!(e instanceof BankError)) throw e;
      io.err(`truthkit: ${e.message}\n`);
      setExit(EXIT.invalid);
      return;
    }
    const retried = Object.entries(r.retries)
      .map(([why, n]) => `${why} ${n}`)
      .join(', ');
    io.out(
      `bank: ${flags.accounts} accounts, ${flags.clients} clients, ${round(r.seconds)} s on ${list.length} node(s)\n` +
        `transfers: ${r.committed} committed (${round(r.perSecond)}/s), ${r.unknown.length} of unknown outcome\n` +
        `retried: ${retried === '' ? 'none' : retried}\n` +
        `latency: p50 ${round(r.p50Ms)} ms, p99 ${round(r.p99Ms)} ms (begin to commit, retries included)\n` +
        `audit: total ${r.totalAfter} (at the start ${r.totalBefore}): ` +
        `${r.violation === null ? 'conserved, every acknowledged transfer there' : `VIOLATED: ${r.violation}`}\n`,
    );
    if (r.violation !== null) setExit(EXIT.invalid);
  });
}
