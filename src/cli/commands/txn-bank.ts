/**
 * A client of the transactional database's client port (`cluster up --system cockroach|spanner`)
 * and the bank workload `truthkit txn bank` runs with it.
 *
 * Interactive transactions are pinned to the node that opened them (its gateway holds the
 * session). A failure's typed `code` (txn-client-ops.ts) decides what happens: `retry` starts the
 * transfer over; a failure before the commit was sent, or a definite one, leaves nothing behind
 * (only the gateway commits, and its session is gone or will expire); a commit whose answer
 * never came — the connection broke, the node died — is an unknown outcome, kept aside.
 *
 * The bank: accounts spread over every range, clients moving random amounts between two of them
 * in interactive transactions (read both balances, write both). At the end one transaction reads
 * every account. The total must not have moved, and the balances must be what the start plus the
 * acknowledged transfers plus some subset of the unknown ones make (the subset is searched; a
 * handful are unknown at most, those in flight when a node died).
 */
import { performance } from 'node:perf_hooks';
import type { Json } from '../../core/json.js';
import { percentile } from '../../sim/stats.js';
import {
  failureCodeOf,
  MAX_MOPS,
  type Mop,
  type RetryReason,
  type TxnErrorCode,
} from '../../systems/txndb/txn-client-ops.js';
import { ClientConnection, ConnectionError, type Endpoint } from '../../runtime/kv-client.js';

/** A failed request of a transaction. `code` is the server's, or `connection` when none came. */
export class TxnCallError extends Error {
  constructor(
    message: string,
    readonly code: TxnErrorCode | 'connection',
    /** True when it certainly did not take effect. */
    readonly definite: boolean,
    readonly reason: RetryReason | null = null,
  ) {
    super(message);
    this.name = 'TxnCallError';
  }
}

/** The bank could not open its accounts or audit them: the cluster did not answer in time. */
export class BankError extends Error {
  readonly code = 'bank-unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'BankError';
  }
}

export interface TxnClientOptions {
  readonly endpoints: readonly Endpoint[];
  readonly clientId: string;
  /** How long one request may wait for its answer. */
  readonly callTimeoutMs?: number;
}

export class TxnClient {
  private readonly conns: ClientConnection[];
  private seq = 0;
  private readonly timeoutMs: number;

  constructor(private readonly o: TxnClientOptions) {
    if (o.endpoints.length === 0) throw new Error('no endpoints given');
    this.conns = o.endpoints.map((e) => new ClientConnection(e));
    this.timeoutMs = o.callTimeoutMs ?? 5_000;
  }

  get nodes(): number {
    return this.conns.length;
  }

  /** Sends one op to node `i`; its value, or a TxnCallError. */
  async call(i: number, op: Json): Promise<Json> {
    const conn = this.conns[i % this.conns.length]!;
    let r: Record<string, Json>;
    try {
      r = await conn.call({ client: this.o.clientId, seq: ++this.seq, op }, this.timeoutMs);
    } catch (e) {
      conn.close();
      const definite = e instanceof ConnectionError && e.definite;
      throw new TxnCallError((e as Error).message, 'connection', definite);
    }
    const reply = r.reply as Record<string, Json> | undefined;
    if (reply === undefined) throw new TxnCallError(String(r.error ?? 'refused'), 'failed', true);
    if (reply.ok === true) return reply.value ?? null;
    const typed = failureCodeOf(reply);
    throw new TxnCallError(
      String(reply.error),
      typed?.code ?? 'failed',
      reply.definite === true,
      typed?.reason ?? null,
    );
  }

  /** Opens an interactive transaction on node `i`. */
  async begin(i: number): Promise<WireTxn> {
    const handle = await this.call(i, { f: 'txn-begin' });
    if (typeof handle !== 'string') throw new TxnCallError('no handle', 'failed', true);
    return new WireTxn(this, i, handle);
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}

/** One interactive transaction over the wire. */
export class WireTxn {
  constructor(
    private readonly client: TxnClient,
    readonly node: number,
    readonly handle: string,
  ) {}

  /** The results of `mops`: one `[f, key, result]` each. */
  async step(mops: readonly Mop[]): Promise<Json[][]> {
    const v = await this.client.call(this.node, { f: 'txn-step', txn: this.handle, value: mops });
    if (!Array.isArray(v)) throw new TxnCallError('a step answered no results', 'failed', true);
    return v as Json[][];
  }

  async commit(): Promise<void> {
    await this.client.call(this.node, { f: 'txn-commit', txn: this.handle });
  }

  /** Best effort: the session expires anyway if this does not arrive. */
  async rollback(): Promise<void> {
    await this.client.call(this.node, { f: 'txn-rollback', txn: this.handle }).catch(() => {});
  }
}

// ---- the bank ----------------------------------------------------------------------------------

export interface BankOptions {
  readonly endpoints: readonly Endpoint[];
  readonly accounts: number;
  readonly clients: number;
  readonly seconds: number;
  /** Balance each account starts with when the bank is new. */
  readonly initial?: number;
  /** Called while it runs (the kill test's hook); the bank does not wait for it. */
  readonly onProgress?: (committed: number) => void;
  readonly log?: (line: string) => void;
}

export interface Transfer {
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

export interface BankResult {
  readonly accounts: readonly string[];
  readonly before: Readonly<Record<string, number>>;
  readonly after: Readonly<Record<string, number>>;
  readonly committed: number;
  readonly retries: Readonly<Record<string, number>>;
  readonly unknown: readonly Transfer[];
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly totalBefore: number;
  readonly totalAfter: number;
  /** Why the audit failed, or null: the total conserved and every acknowledged transfer there. */
  readonly violation: string | null;
}

/**
 * Account `i` of `n`: keys spread over the default ranges' key space (`k00`…`k11`, split at
 * `k04` and `k08`), so most transfers cross ranges.
 */
export function accountKey(i: number, n: number): string {
  const slot = Math.floor((i * 12) / n);
  return `k${String(slot).padStart(2, '0')}/acct${i}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads every account in one transaction on some node, retrying until `deadline`. */
export async function audit(
  client: TxnClient,
  keys: readonly string[],
  deadline: number,
): Promise<(number | null)[]> {
  let last = 'no node answered';
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const node = attempt % client.nodes;
    let txn: WireTxn | undefined;
    try {
      txn = await client.begin(node);
      const results: Json[][] = [];
      // One transaction, in steps of at most MAX_MOPS reads.
      for (let i = 0; i < keys.length; i += MAX_MOPS)
        results.push(
          ...(await txn.step(keys.slice(i, i + MAX_MOPS).map((k) => ['r', k, null] as const))),
        );
      await txn.commit();
      return results.map((m) => (typeof m[2] === 'number' ? m[2] : null));
    } catch (e) {
      last = (e as Error).message;
      if (txn !== undefined && !(e instanceof TxnCallError && e.code === 'retry'))
        await txn.rollback();
      await sleep(Math.min(500, 20 * 2 ** Math.min(attempt, 5)));
    }
  }
  throw new BankError(`audit did not complete: ${last}`);
}

/** Sets every account to `initial` in one transaction, unless all already hold balances. */
async function open(
  client: TxnClient,
  keys: readonly string[],
  initial: number,
  deadline: number,
): Promise<number[]> {
  const now = await audit(client, keys, deadline);
  if (now.every((b): b is number => b !== null)) return now;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    try {
      const txn = await client.begin(attempt % client.nodes);
      for (let i = 0; i < keys.length; i += MAX_MOPS)
        await txn.step(keys.slice(i, i + MAX_MOPS).map((k) => ['w', k, initial] as const));
      await txn.commit();
      return keys.map(() => initial);
    } catch (e) {
      if (e instanceof TxnCallError && !e.definite)
        throw new BankError(`opening the accounts: outcome unknown (${e.message})`);
      await sleep(50);
    }
  }
  throw new BankError('could not open the accounts in 30 s');
}

/**
 * A subset of `unknown` that, with `acked`, turns `before` into `after`; null when none does.
 * Exhaustive up to 2^16 subsets.
 */
export function explain(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
  acked: ReadonlyMap<string, number>,
  unknown: readonly Transfer[],
): Transfer[] | null {
  if (unknown.length > 16) return null;
  const keys = Object.keys(before);
  for (let mask = 0; mask < 1 << unknown.length; mask++) {
    const delta = new Map(acked);
    const chosen: Transfer[] = [];
    unknown.forEach((t, i) => {
      if ((mask & (1 << i)) === 0) return;
      chosen.push(t);
      delta.set(t.from, (delta.get(t.from) ?? 0) - t.amount);
      delta.set(t.to, (delta.get(t.to) ?? 0) + t.amount);
    });
    if (keys.every((k) => before[k]! + (delta.get(k) ?? 0) === after[k])) return chosen;
  }
  return null;
}

export async function runBank(o: BankOptions): Promise<BankResult> {
  const initial = o.initial ?? 1000;
  const keys = Array.from({ length: o.accounts }, (_, i) => accountKey(i, o.accounts));
  const admin = new TxnClient({ endpoints: o.endpoints, clientId: `bank-audit-${process.pid}` });
  try {
    const start = await open(admin, keys, initial, Date.now() + 30_000);
    const before = Object.fromEntries(keys.map((k, i) => [k, start[i]!]));
    const acked = new Map<string, number>();
    const unknown: Transfer[] = [];
    const retries: Record<string, number> = {};
    const latencies: number[] = [];
    const stopAt = Date.now() + o.seconds * 1000;
    const t0 = performance.now();
    const worker = async (c: number): Promise<void> => {
      const client = new TxnClient({
        endpoints: o.endpoints,
        clientId: `bank-${process.pid}-${c}`,
        callTimeoutMs: 3_000,
      });
      let node = c;
      try {
        while (Date.now() < stopAt) {
          const a = Math.floor(Math.random() * keys.length);
          let b = Math.floor(Math.random() * (keys.length - 1));
          if (b >= a) b++;
          const from = keys[a]!;
          const to = keys[b]!;
          const began = performance.now();
          let backoff = 10;
          for (;;) {
            if (Date.now() >= stopAt + 10_000) return;
            let txn: WireTxn | undefined;
            let amount = 0;
            let committing = false;
            try {
              txn = await client.begin(node);
              const read = await txn.step([
                ['r', from, null],
                ['r', to, null],
              ]);
              const fromBalance = read[0]?.[2];
              const toBalance = read[1]?.[2];
              if (typeof fromBalance !== 'number' || typeof toBalance !== 'number')
                throw new Error(`account ${from} or ${to} holds no balance`);
              amount = Math.min(fromBalance, 1 + Math.floor(Math.random() * 20));
              await txn.step([
                ['w', from, fromBalance - amount],
                ['w', to, toBalance + amount],
              ]);
              committing = true;
              await txn.commit();
              acked.set(from, (acked.get(from) ?? 0) - amount);
              acked.set(to, (acked.get(to) ?? 0) + amount);
              latencies.push(performance.now() - began);
              o.onProgress?.(latencies.length);
              break;
            } catch (e) {
              if (!(e instanceof TxnCallError)) throw e;
              const why = e.code === 'retry' ? `retry:${e.reason ?? '?'}` : e.code;
              retries[why] = (retries[why] ?? 0) + 1;
              if (committing && !e.definite) {
                unknown.push({ from, to, amount });
                break;
              }
              if (e.code !== 'retry' && txn !== undefined) await txn.rollback();
              // A node that fails other than by asking for a retry may be down: try the next.
              if (e.code !== 'retry') node++;
              await sleep(backoff);
              backoff = Math.min(backoff * 2, 200);
            }
          }
        }
      } finally {
        client.close();
      }
    };
    await Promise.all(Array.from({ length: o.clients }, (_, c) => worker(c)));
    const seconds = (performance.now() - t0) / 1000;
    const end = await audit(admin, keys, Date.now() + 30_000);
    const after = Object.fromEntries(keys.map((k, i) => [k, end[i] ?? NaN]));
    const totalBefore = start.reduce((s, x) => s + x, 0);
    const totalAfter = end.reduce<number>((s, x) => s + (x ?? NaN), 0);
    let violation: string | null = null;
    if (totalAfter !== totalBefore)
      violation = `the total moved from ${totalBefore} to ${totalAfter}`;
    else if (explain(before, after, acked, unknown) === null)
      violation =
        `the balances are not the start plus the acknowledged transfers ` +
        `(plus any of the ${unknown.length} of unknown outcome)`;
    return {
      accounts: keys,
      before,
      after,
      committed: latencies.length,
      retries,
      unknown,
      seconds,
      perSecond: latencies.length / seconds,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      totalBefore,
      totalAfter,
      violation,
    };
  } finally {
    admin.close();
  }
}
