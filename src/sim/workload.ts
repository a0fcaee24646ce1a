/**
 * Simulated clients. Each client runs one operation at a time against its home node: it
 * retries a definite failure (refused connection, "not the leader") on another node while time
 * remains, and gives up at its timeout, recording the outcome as unknown. Every operation lands
 * in the history with its invoke and complete times.
 */
import type { HistoryOp, HistoryOpDraft, Outcome } from '../core/history.js';
import type { Json } from '../core/json.js';
import type { KvOp } from '../core/kv.js';
import type { ClientReply, NodeId } from '../core/node.js';
import { detPow } from '../core/det-math.js';
import { streamFor, type Random } from '../core/random.js';
import type { WorkloadKind } from '../core/system.js';
import type { Simulator } from './simulator.js';
import { RetryRoute } from './retry-route.js';
import { roundMs } from './stats.js';

export interface KvMix {
  readonly get: number;
  readonly put: number;
  readonly append: number;
  readonly cas: number;
  readonly delete: number;
}

export interface WorkloadConfig {
  readonly kind: WorkloadKind;
  readonly clients: number;
  readonly ops: number;
  /** Size of the key space. */
  readonly keys: number;
  /** Zipf exponent of key popularity: 0 is uniform, larger makes a few keys hot. */
  readonly skew: number;
  readonly timeoutMs: number;
  /** Mean pause between a client's operations. */
  readonly thinkMs: number;
  /** Pause before retrying a definite failure. */
  readonly retryDelayMs: number;
  readonly mix: KvMix;
  /** For kind `none`: how long the run lasts, virtual ms (the fault window is its first part). */
  readonly durationMs: number;
  /**
   * Extra virtual ms before client c's first operation (missing entries: none). Lets a run stage
   * who asks first, e.g. a second proposer that starts once the first has finished phase 1.
   */
  readonly startMs?: readonly number[];
  /** For kind `custom`: the system's own operation generator (SystemDefinition.nextOp). */
  readonly nextOp?: (random: Random, process: number, issued: number, lastOk?: Json) => Json;
}

export const DEFAULT_WORKLOAD: Omit<WorkloadConfig, 'kind'> = {
  clients: 5,
  ops: 1000,
  keys: 5,
  skew: 1,
  timeoutMs: 1000,
  thinkMs: 10,
  retryDelayMs: 10,
  durationMs: 60_000,
  mix: { get: 4, put: 2, append: 2, cas: 1, delete: 0.5 },
};

/** A history record, completed in place when the operation ends. */
type OpRecord = HistoryOpDraft;

export interface WorkloadHooks {
  /** The fault window ends once this fraction of operations has been invoked. */
  readonly faultFraction: number;
  onFaultWindowEnd(): void;
  onDone(): void;
}

export class Workload {
  readonly history: OpRecord[] = [];
  /** One stream per client: a client's operations stay the same whatever the faults do. */
  private readonly randoms: Random[] = [];
  private readonly issuedBy: number[] = [];
  /** Each client's latest `ok` result, for a custom nextOp that carries what it has seen. */
  private readonly lastOk: (Json | undefined)[] = [];
  private readonly keyCdf: number[];
  private readonly lastValue = new Map<string, string | null>();
  private invoked = 0;
  private completed = 0;
  private faultWindowOpen = true;
  private timeUp = false;

  constructor(
    private readonly sim: Simulator,
    private readonly config: WorkloadConfig,
    private readonly hooks: WorkloadHooks,
  ) {
    for (let c = 0; c < config.clients; c++) {
      this.randoms.push(streamFor(sim.seed, `workload:client:${c}`));
      this.issuedBy.push(0);
    }
    let total = 0;
    this.keyCdf = [];
    for (let k = 0; k < config.keys; k++) {
      total += 1 / detPow(k + 1, config.skew);
      this.keyCdf.push(total);
    }
    this.keyCdf = this.keyCdf.map((c) => c / total);
  }

  start(): void {
    if (this.config.kind === 'none') {
      // No clients: the nodes act on their own; only the clock decides the fault window.
      this.sim.schedule(this.config.durationMs * this.hooks.faultFraction, () => {
        this.faultWindowOpen = false;
        this.hooks.onFaultWindowEnd();
      });
      this.sim.schedule(this.config.durationMs, () => {
        this.timeUp = true;
        this.hooks.onDone();
      });
      return;
    }
    const n = Math.min(this.config.clients, this.config.ops);
    for (let c = 0; c < n; c++) {
      const at = (this.config.startMs?.[c] ?? 0) + (this.randoms[c] as Random).range(0, 1);
      this.sim.schedule(at, () => this.next(c));
    }
    if (n === 0) this.hooks.onDone();
  }

  get done(): boolean {
    if (this.config.kind === 'none') return this.timeUp;
    return this.completed >= this.config.ops;
  }

  ops(): HistoryOp[] {
    return this.history;
  }

  private pickKey(random: Random): string {
    const u = random.next();
    let k = 0;
    while (k < this.keyCdf.length - 1 && (this.keyCdf[k] as number) < u) k++;
    return `k${k}`;
  }

  private nextKvOp(process: number, random: Random): KvOp {
    const m = this.config.mix;
    const total = m.get + m.put + m.append + m.cas + m.delete;
    let u = random.next() * total;
    const key = this.pickKey(random);
    const fresh = `${process}.${this.issuedBy[process]}`;
    if ((u -= m.get) < 0) return { f: 'get', key };
    if ((u -= m.put) < 0) return { f: 'put', key, value: fresh };
    if ((u -= m.append) < 0) return { f: 'append', key, value: `${fresh};` };
    if ((u -= m.cas) < 0) {
      const from = random.chance(0.8) ? (this.lastValue.get(key) ?? null) : `${process}.x`;
      return { f: 'cas', key, value: [from, fresh] };
    }
    return { f: 'delete', key };
  }

  private nextOp(process: number, random: Random): Json {
    const issued = this.issuedBy[process] as number;
    switch (this.config.kind) {
      case 'kv':
        return this.nextKvOp(process, random) as unknown as Json;
      case 'echo':
        return { f: 'echo', value: `${process}.${issued}` };
      case 'none':
        throw new Error("a 'none' workload issues no operations");
      case 'custom':
        if (this.config.nextOp === undefined) {
          throw new Error("a 'custom' workload needs the system's nextOp");
        }
        return this.config.nextOp(random, process, issued, this.lastOk[process]);
    }
  }

  private next(process: number): void {
    if (this.invoked >= this.config.ops) return;
    const n = this.invoked++;
    const random = this.randoms[process] as Random;
    if (this.faultWindowOpen && this.invoked >= this.config.ops * this.hooks.faultFraction) {
      this.faultWindowOpen = false;
      this.hooks.onFaultWindowEnd();
    }
    const op: Json = this.nextOp(process, random);
    this.issuedBy[process] = (this.issuedBy[process] as number) + 1;
    const o = op as { f: string; key?: string; value?: Json };
    const record: OpRecord = {
      id: n,
      process,
      f: o.f,
      ...(o.key !== undefined ? { key: o.key } : {}),
      ...(o.value !== undefined ? { value: o.value } : {}),
      invoke: roundMs(this.sim.now),
      complete: roundMs(this.sim.now),
      outcome: 'unknown',
    };
    this.history.push(record);
    const nodes = this.sim.nodeIds;
    const home = nodes[process % nodes.length] as NodeId;
    this.sim.trace.record({ t: this.sim.now, e: 'invoke', process, node: home, op });
    const deadline = this.sim.now + this.config.timeoutMs;
    let finished = false;
    const finish = (outcome: Outcome, node: NodeId, result: Json, error?: string): void => {
      if (finished) return;
      finished = true;
      record.complete = roundMs(this.sim.now);
      record.outcome = outcome;
      record.node = node;
      if (outcome === 'ok') record.result = result;
      if (outcome === 'ok') this.lastOk[process] = result;
      if (error !== undefined) record.error = error;
      this.sim.trace.record({ t: this.sim.now, e: 'complete', process, node, outcome, result });
      if (outcome === 'ok' && this.config.kind === 'kv')
        this.observe(op as unknown as KvOp, result);
      this.completed++;
      if (this.done) this.hooks.onDone();
      else this.sim.schedule(random.exponential(this.config.thinkMs), () => this.next(process));
    };
    const timer = this.sim.schedule(this.config.timeoutMs, () => {
      finish('unknown', target, null, 'timeout');
    });
    let target = home;
    const route = new RetryRoute(nodes);
    const send = (): void => {
      const to = target;
      this.sim.request(to, `c${process}`, n, op, (reply: ClientReply) => {
        if (finished) return;
        if (reply.ok) {
          timer.cancelled = true;
          return finish('ok', to, reply.value);
        }
        if (!reply.definite) {
          timer.cancelled = true;
          return finish('unknown', to, null, reply.error);
        }
        // A definite failure changed nothing: try elsewhere while time remains.
        if (this.sim.now + this.config.retryDelayMs >= deadline) {
          timer.cancelled = true;
          return finish('fail', to, null, reply.error);
        }
        target = route.next(to, reply.leader);
        this.sim.schedule(this.config.retryDelayMs, send);
      });
    };
    send();
  }

  /** Remembers the latest value seen per key, so cas operations usually have a chance. */
  private observe(op: KvOp, result: Json): void {
    if (op.f === 'get') this.lastValue.set(op.key, result as string | null);
    else if (op.f === 'put') this.lastValue.set(op.key, op.value);
    else if (op.f === 'delete') this.lastValue.set(op.key, null);
    else if (op.f === 'cas' && result === true) this.lastValue.set(op.key, op.value[1]);
  }
}
