/**
 * The client load of a chaos run: a few concurrent clients, each a KvClient (so it follows
 * leader hints and retries the same (client, seq) after an unknown outcome), doing puts, gets
 * and compare-and-sets on a few keys, every operation recorded as a history record
 * (src/core/history.ts). Every written value is unique, so a value read names its write. A
 * client whose operation ended unknown is replaced by a new process: a history's process has at
 * most one operation in flight, and the unknown one may still take effect at any time.
 */
import { performance } from 'node:perf_hooks';
import type { HistoryOp, HistoryOpDraft } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import type { KvOp } from '../../core/kv.js';
import { streamFor } from '../../core/random.js';
import { KvClient, type Endpoint, type KvOutcome } from '../kv-client.js';

export interface LoadOptions {
  readonly endpoints: readonly Endpoint[];
  readonly clients: number;
  readonly keys: number;
  readonly seed: number;
  /** One attempt's wait, and one operation's whole deadline, retries included. */
  readonly attemptTimeoutMs: number;
  readonly deadlineMs: number;
  /** Pause between one client's operations (bounds the history's size). */
  readonly pauseMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ChaosLoad {
  private readonly t0 = performance.now();
  private readonly records: HistoryOpDraft[] = [];
  private nextProcess = 0;
  private stopping = false;
  private running: Promise<void>[] = [];
  readonly keys: readonly string[];

  constructor(private readonly o: LoadOptions) {
    if (!Number.isSafeInteger(o.clients) || o.clients < 1) throw new RangeError('clients ≥ 1');
    if (!Number.isSafeInteger(o.keys) || o.keys < 1) throw new RangeError('keys ≥ 1');
    this.keys = Array.from({ length: o.keys }, (_, i) => `k${i}`);
  }

  /** Milliseconds since the load was made: the history's clock. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Operations currently awaiting an answer. */
  inFlight = 0;

  get history(): readonly HistoryOp[] {
    return this.records;
  }

  newClient(deadlineMs = this.o.deadlineMs): KvClient {
    return new KvClient({
      endpoints: this.o.endpoints,
      attemptTimeoutMs: Math.min(this.o.attemptTimeoutMs, deadlineMs),
      deadlineMs,
    });
  }

  newProcess(): number {
    return this.nextProcess++;
  }

  /** Runs one operation through `client` as `process`, recording it. */
  async record(client: KvClient, process: number, op: KvOp): Promise<KvOutcome> {
    const rec: HistoryOpDraft = {
      id: this.records.length,
      process,
      f: op.f,
      key: op.key,
      ...(op.f === 'put' || op.f === 'append' || op.f === 'cas' ? { value: op.value as Json } : {}),
      invoke: this.now(),
      complete: 0,
      outcome: 'unknown',
    };
    this.records.push(rec);
    this.inFlight++;
    const r = await client.call(op as unknown as Json).finally(() => this.inFlight--);
    // A completion at the very instant of invocation would read as "still in flight".
    rec.complete = Math.max(this.now(), rec.invoke + 1e-6);
    rec.outcome = r.outcome;
    if (r.outcome === 'ok') {
      rec.result = r.value;
      rec.node = r.node;
    } else rec.error = r.error;
    return r;
  }

  start(): void {
    this.running = Array.from({ length: this.o.clients }, (_, w) => this.worker(w));
  }

  /** Stops issuing operations; those in flight go on to their end. */
  halt(): void {
    this.stopping = true;
  }

  /** Stops issuing operations and waits for those in flight to end (each has a deadline). */
  async stop(): Promise<void> {
    this.halt();
    await Promise.all(this.running);
  }

  private async worker(w: number): Promise<void> {
    const rng = streamFor(this.o.seed, `chaos:client:${w}`);
    let process = this.newProcess();
    let client = this.newClient();
    // The last value this client saw per key: what its cas expects.
    const seen = new Map<string, string | null>();
    try {
      for (let n = 0; !this.stopping; n++) {
        const key = rng.pick(this.keys);
        const value = `c${w}-${n}`;
        const roll = rng.next();
        const op: KvOp =
          roll < 0.5
            ? { f: 'put', key, value }
            : roll < 0.8
              ? { f: 'get', key }
              : { f: 'cas', key, value: [seen.get(key) ?? null, value] };
        const r = await this.record(client, process, op);
        if (r.outcome === 'ok') {
          if (op.f === 'put') seen.set(key, value);
          else if (op.f === 'get') seen.set(key, typeof r.value === 'string' ? r.value : null);
          else if (r.value === true) seen.set(key, value);
        } else if (r.outcome === 'unknown') {
          client.close();
          process = this.newProcess();
          client = this.newClient();
        }
        await sleep(this.o.pauseMs);
      }
    } finally {
      client.close();
    }
  }
}
