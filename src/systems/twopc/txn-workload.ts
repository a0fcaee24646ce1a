/**
 * The transactional workloads of the 2PC systems (`--param workload=list-append|rw-register`):
 * each client operation is a transaction of micro-ops over the eight accounts, now keys holding
 * lists (Elle's list-append, Kingsbury & Alvaro, VLDB 2020) or registers (Elle's rw-register). A
 * transaction appends (writes) values to some keys and reads others; 2PC with strict two-phase
 * locking must make every history serializable.
 */
import type { Json } from '../../core/json.js';
import type { Random } from '../../core/random.js';
import { ACCOUNTS } from '../../protocols/twopc/two-phase-commit.js';
import type { MopKind } from './txn-messages.js';

export const WORKLOADS = ['transfer', 'list-append', 'rw-register'] as const;
export type TwoPcWorkload = (typeof WORKLOADS)[number];
/** The workloads of transactions, judged by the transactional checker. */
export type TwoPcTxnWorkload = Exclude<TwoPcWorkload, 'transfer'>;

/** Each transactional workload's micro-ops: a read, and what changes a key. */
export const MOP_KINDS: Readonly<Record<TwoPcTxnWorkload, readonly MopKind[]>> = {
  'list-append': ['r', 'append'],
  'rw-register': ['r', 'w'],
};

export class TwoPcParamError extends Error {
  readonly code = 'bad-workload';
}

/** `--param workload=…`: `transfer` (the default: transfers and audits), `list-append` or `rw-register`. */
export function twoPcWorkload(params: Readonly<Record<string, string>>): TwoPcWorkload {
  const raw = params['workload'] ?? 'transfer';
  const known = WORKLOADS.find((w) => w === raw);
  if (known === undefined) {
    throw new TwoPcParamError(
      `workload must be one of ${WORKLOADS.join(', ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return known;
}

/** The most micro-ops in one transaction. */
const MAX_MOPS = 4;
/**
 * Micro-ops land on the first HOT_KEYS keys four times in five, so transactions meet on keys
 * often enough for dependency cycles to be possible (and for lock conflicts to abort some).
 */
const HOT_KEYS = 4;
/** Distinct values per (client, transaction): room for every micro-op's index. */
const VALUE_SLOTS = 10;
/** Distinct clients a value can name: more than any run has (the swarm draws at most a few). */
const CLIENT_SLOTS = 10_000;

/**
 * A transaction of 1 to MAX_MOPS micro-ops, each an append (half the time) or a read of a key.
 * Appended values are unique across the run, as Elle requires: they encode the client, its
 * operation count and the micro-op's place (client 2's 7th transaction's first append is 7_0002_1).
 */
export function nextListAppendTxn(random: Random, process: number, issued: number): Json {
  checkClient(process);
  const n = 1 + random.int(MAX_MOPS);
  const mops: Json[] = [];
  for (let i = 0; i < n; i++) {
    const key = random.chance(0.8)
      ? (ACCOUNTS[random.int(HOT_KEYS)] as string)
      : random.pick(ACCOUNTS);
    if (random.chance(0.5)) {
      mops.push(['append', key, (issued * CLIENT_SLOTS + process) * VALUE_SLOTS + i + 1]);
    } else {
      mops.push(['r', key, null]);
    }
  }
  return { f: 'txn', value: mops };
}

/**
 * A transaction of 1 to MAX_MOPS micro-ops, each a write (half the time) or a read of a key, as
 * Elle's rw-register generator makes them. Written values are unique across the run (encoded as
 * list-append's are), so a read names the transaction it read from. After a read, a write goes to
 * the key just read half the time: with unique writes a version order is known only where a
 * transaction read a version and then wrote the next one, so read-modify-writes are what let the
 * checker order versions (and so find anti-dependency cycles) beyond the initial `null`.
 */
export function nextRwRegisterTxn(random: Random, process: number, issued: number): Json {
  checkClient(process);
  const n = 1 + random.int(MAX_MOPS);
  const mops: Json[] = [];
  let lastRead: string | null = null;
  for (let i = 0; i < n; i++) {
    const write = random.chance(0.5);
    const key: string =
      write && lastRead !== null && random.chance(0.5)
        ? lastRead
        : random.chance(0.8)
          ? (ACCOUNTS[random.int(HOT_KEYS)] as string)
          : random.pick(ACCOUNTS);
    if (write) {
      mops.push(['w', key, (issued * CLIENT_SLOTS + process) * VALUE_SLOTS + i + 1]);
    } else {
      mops.push(['r', key, null]);
      lastRead = key;
    }
  }
  return { f: 'txn', value: mops };
}

function checkClient(process: number): void {
  if (process >= CLIENT_SLOTS) throw new RangeError(`client ${process} is beyond the value space`);
}
