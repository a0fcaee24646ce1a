/**
 * NodeEnv for a real process: the clock is `performance.timeOrigin + performance.now()` —
 * milliseconds since the epoch as read once at process start, advanced by the monotonic clock,
 * so it never jumps within a process and roughly agrees across processes and restarts. Timers
 * are the event loop's, storage is the write-ahead log, messages go through the peer transport
 * and replies through the client port. Mirrors the simulator's semantics: messages, replies and
 * timer data are copied or encoded when handed over (so the node may go on mutating what it
 * handed over), a reply to a request that is unknown or already answered is ignored, and once
 * the node is stopped nothing it does has any effect.
 *
 * Messages to peers and replies are not copied here but encoded by whoever receives them,
 * before the node's step goes on (see `send` and `reply` in RuntimeEnvDeps): one pass over the
 * data rather than a copy (which also hashes every string) and then an encoding. What this
 * gives up is copyJson's refusal of data that is not plain: JSON.stringify silently drops
 * undefined and function fields (undefined fields copyJson drops too), writes NaN and ±Infinity
 * as null and class instances by their own enumerable fields or toJSON, and throws (stopping the
 * node, as a refusal would) on BigInt and cycles. That is acceptable because the same protocol
 * code runs in the simulator, which refuses all of these in every test; the runtime checked
 * again only what the simulator had checked. Messages to the node itself and timer data are
 * still copied: nothing encodes them.
 *
 * Every entry into protocol code goes through `guard`: an exception there stops the node
 * (fail-stop, as a crashed process), it never leaves it running in a half-updated state.
 */
import { performance } from 'node:perf_hooks';
import { copyJson, type Json } from '../core/json.js';
import type {
  ClientReply,
  LogFields,
  Message,
  NodeEnv,
  NodeId,
  ProtocolNode,
  RequestId,
  TimerId,
} from '../core/node.js';
import { streamFor } from '../core/random.js';
import type { DurableStore } from '../core/storage.js';

export interface RuntimeEnvDeps {
  readonly id: NodeId;
  readonly cluster: readonly NodeId[];
  readonly seed: number;
  readonly storage: DurableStore;
  /**
   * Sends a message to a peer (never to this node: that is delivered locally). `msg` is the
   * node's own object, not a copy: it must be encoded (or copied) before this returns.
   */
  readonly send: (to: NodeId, msg: Message) => void;
  /**
   * Routes a reply. `reply` is the node's own object, not a copy: whatever keeps it past this
   * call must encode or copy it first.
   */
  readonly reply: (request: RequestId, reply: ClientReply) => void;
  readonly log: (message: string, fields: Record<string, Json>) => void;
  /** Called when protocol code throws: the node must stop. */
  readonly fatal: (error: Error) => void;
  /** Called after every step of protocol code that did not stop the node. */
  readonly afterStep?: () => void;
}

export interface MetricSummary {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** The environment plus the controls its host needs. */
export class RuntimeEnv {
  readonly env: NodeEnv;
  readonly metrics = new Map<string, MetricSummary>();
  node: ProtocolNode | null = null;
  private stopped = false;
  /** Timers not yet fired, by id: how to cancel each. */
  private readonly timers = new Map<TimerId, () => void>();
  private nextTimerId = 1;

  constructor(private readonly deps: RuntimeEnvDeps) {
    const cluster = [...deps.cluster];
    const peers = cluster.filter((p) => p !== deps.id);
    const storage = guardedStorage(deps.storage, (fn) => this.guard(fn));
    this.env = {
      id: deps.id,
      cluster,
      peers,
      random: streamFor(deps.seed, `node:${deps.id}`),
      storage,
      now: () => performance.timeOrigin + performance.now(),
      send: (to, msg) => {
        if (this.stopped) return;
        if (to === deps.id) {
          const copy = copyJson(msg);
          setImmediate(() => this.guard(() => this.node?.onMessage(deps.id, copy)));
          return;
        }
        if (!cluster.includes(to))
          throw new Error(`${deps.id} sent ${msg.type} to unknown node ${to}`);
        deps.send(to, msg); // encoded there at once: that is the snapshot (see the top)
      },
      setTimer: (delayMs: number, name: string, data?: Json): TimerId => {
        const id = this.nextTimerId++;
        if (this.stopped) return id;
        const payload = data === undefined ? undefined : copyJson(data);
        const fire = (): void => {
          this.timers.delete(id);
          this.guard(() => this.node?.onTimer(name, payload));
        };
        // Zero means "after the events of this turn" (see NodeEnv.setTimer); setTimeout's least
        // delay is 1 ms, which every append would wait.
        if (delayMs <= 0) {
          const t = setImmediate(fire);
          this.timers.set(id, () => clearImmediate(t));
        } else {
          const t = setTimeout(fire, delayMs);
          this.timers.set(id, () => clearTimeout(t));
        }
        return id;
      },
      cancelTimer: (id: TimerId): void => {
        const cancel = this.timers.get(id);
        if (cancel !== undefined) {
          cancel();
          this.timers.delete(id);
        }
      },
      reply: (request: RequestId, reply: ClientReply): void => {
        if (!this.stopped) deps.reply(request, reply); // encoded or copied there (see the top)
      },
      log: (message: string, fields?: LogFields): void => {
        if (!this.stopped) deps.log(message, fields === undefined ? {} : { ...fields });
      },
      metric: (name: string, value = 1): void => {
        if (this.stopped) return;
        const m = this.metrics.get(name);
        if (m === undefined)
          this.metrics.set(name, { count: 1, sum: value, min: value, max: value });
        else {
          m.count++;
          m.sum += value;
          m.min = Math.min(m.min, value);
          m.max = Math.max(m.max, value);
        }
      },
    };
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Runs protocol code; an exception stops the node. */
  guard(fn: () => void): void {
    if (this.stopped) return;
    try {
      fn();
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.stop();
      this.deps.fatal(err);
      return;
    }
    this.deps.afterStep?.();
  }

  /** From now on the node does nothing: its timers are cancelled and its actions ignored. */
  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  /** Number of timers set and not yet fired or cancelled. */
  get activeTimers(): number {
    return this.timers.size;
  }
}

/** The store with its sync callbacks routed through `guard` (they run protocol code). */
function guardedStorage(store: DurableStore, guard: (fn: () => void) => void): DurableStore {
  return {
    get: (k) => store.get(k),
    put: (k, v) => store.put(k, v),
    putParts: (k, parts) => store.putParts(k, parts),
    getParts: (k) => store.getParts(k),
    putPartsAside: (k, parts, onSaved) => store.putPartsAside(k, parts, () => guard(onSaved)),
    delete: (k) => store.delete(k),
    keys: (p) => store.keys(p),
    append: (...e) => store.append(...e),
    entry: (i) => store.entry(i),
    firstIndex: () => store.firstIndex(),
    lastIndex: () => store.lastIndex(),
    truncateAfter: (i) => store.truncateAfter(i),
    compactTo: (i) => store.compactTo(i),
    sync: (onDurable) => store.sync(() => guard(onDurable)),
    get unsyncedWrites() {
      return store.unsyncedWrites;
    },
  };
}
