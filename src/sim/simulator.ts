/**
 * The deterministic simulator: every node of a cluster in one process, in virtual time, driven
 * by one event queue. It implements NodeEnv for each node and owns the models of the network,
 * disks, clocks and processes that the nemesis and the lab manipulate through its methods.
 *
 * Determinism rules: one thread; events ordered by (time, insertion order); every random draw
 * from a stream derived from the seed and a label naming its concern.
 */
import { copyJson, copyJsonHashed, type Json } from '../core/json.js';
import type {
  ClientReply,
  ClientRequest,
  LogFields,
  Message,
  NodeEnv,
  NodeFactory,
  NodeId,
  NodeView,
  ProtocolNode,
  RequestId,
  TimerId,
} from '../core/node.js';
import { streamFor, type Random } from '../core/random.js';
import { EventQueue, type SimEvent } from './event-queue.js';
import { SimDisk } from './disk.js';
import { DEFAULT_LATENCY, sampleLatency, type Latency, type LatencyByType } from './latency.js';
import type { Delivery, NodeActivity } from './activity.js';
import { Network, type LinkFaults } from './network.js';
import { Trace, type DropReason } from './trace.js';

export interface SimulatorConfig {
  readonly seed: number;
  readonly nodeIds: readonly NodeId[];
  readonly factory: NodeFactory;
  /** Default latency of every node-to-node link. */
  readonly latency?: Latency;
  /** Latency of node-to-node messages by type, overriding their link's (see LatencyByType). */
  readonly latencyByType?: LatencyByType;
  /** Latency between a client and a node (clients are not partitioned from nodes). */
  readonly clientLatency?: Latency;
  /** How long an fsync takes. */
  readonly syncLatency?: Latency;
  /** Keep every trace event (for --trace and the lab), not just the digest. */
  readonly keepTrace?: boolean;
  /** When set, a crash may keep a random prefix of unsynced writes and tear the last of them. */
  readonly tornWrites?: boolean;
  readonly checkInvariants?: (nodes: ReadonlyMap<NodeId, ProtocolNode>) => string | undefined;
}

export type NodeStatus = 'up' | 'down' | 'paused';

/** More events than this at one virtual instant means time has stopped moving. */
const MAX_EVENTS_PER_INSTANT = 1_000_000;

export type ReplyHandler = (reply: ClientReply) => void;

interface PendingRequest {
  readonly onReply: ReplyHandler;
}

/** A clock that reads `t + offset(t)`, with offset changing at rate `drift`. */
interface ClockState {
  offset: number;
  drift: number;
  /** Virtual time at which `offset` was last set. */
  since: number;
}

class NodeSlot {
  status: NodeStatus = 'down';
  incarnation = 0;
  node: ProtocolNode | null = null;
  readonly timers = new Map<TimerId, SimEvent>();
  /** Each pending timer's name, for `fireTimer` (scripts fire one by name). */
  readonly timerNames = new Map<TimerId, string>();
  /** While true, syncs wait in `heldSyncs` until `completeSyncs` (scripts order them by hand). */
  holdSyncs = false;
  heldSyncs: { readonly writes: number; readonly done: () => void }[] = [];
  readonly pending = new Map<RequestId, PendingRequest>();
  deferred: SimEvent[] = [];
  readonly clock: ClockState = { offset: 0, drift: 0, since: 0 };
  /** Completion time of the latest sync, so a node's syncs complete in issue order. */
  lastSyncDone = 0;
  /** When the last file written beside the log completes (scheduleFileWrite). */
  lastFileDone = 0;
  /** Messages handed to this node's handler, over all its incarnations. */
  received = 0;
  disk!: SimDisk;

  constructor(
    readonly index: number,
    readonly id: NodeId,
  ) {}
}

export interface SimStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  events: number;
}

export interface SimFailure {
  readonly time: number;
  readonly kind: 'invariant' | 'exception';
  readonly message: string;
}

export class Simulator {
  readonly seed: number;
  readonly nodeIds: readonly NodeId[];
  readonly network: Network;
  readonly trace: Trace;
  readonly stats: SimStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, events: 0 };
  /** Samples of each metric the nodes reported, by name. */
  readonly metrics = new Map<string, number[]>();
  /** The first invariant violation or protocol exception; the run halts at it. */
  failure: SimFailure | undefined;
  /**
   * Told what each node does (sends, completed syncs, log lines) as it happens, for faults that
   * fire on events (triggers.ts). It must not act on the node synchronously: it schedules.
   */
  observer: ((activity: NodeActivity) => void) | undefined;
  /**
   * Told of each message as it is delivered, before the node handles it (the replay probe keeps
   * what a node received lately: replay-probe.ts). It must not act on the node synchronously.
   */
  deliveryObserver: ((delivery: Delivery) => void) | undefined;

  private clock = 0;
  private readonly queue = new EventQueue();
  private readonly slots: NodeSlot[];
  private readonly indexOf = new Map<NodeId, number>();
  private readonly factory: NodeFactory;
  private readonly netRandom: Random;
  private readonly clientRandom: Random;
  private readonly diskRandom: Random;
  private readonly clientLatency: Latency;
  private readonly syncLatency: Latency;
  private readonly tornWrites: boolean;
  private readonly invariants: SimulatorConfig['checkInvariants'];
  private readonly typeHashes = new Map<string, number>();
  private nextMessageId = 1;
  private nextRequestId = 1;
  private nextTimerId = 1;
  private stopped = false;
  private eventsAtThisInstant = 0;

  constructor(config: SimulatorConfig) {
    if (config.nodeIds.length === 0) throw new Error('a cluster needs at least one node');
    this.seed = config.seed;
    this.nodeIds = [...config.nodeIds];
    this.factory = config.factory;
    this.network = new Network(
      this.nodeIds.length,
      config.latency ?? DEFAULT_LATENCY,
      config.latencyByType,
    );
    this.trace = new Trace(config.keepTrace ?? false);
    this.netRandom = streamFor(config.seed, 'network');
    this.clientRandom = streamFor(config.seed, 'client-links');
    this.diskRandom = streamFor(config.seed, 'disk');
    this.clientLatency = config.clientLatency ?? config.latency ?? DEFAULT_LATENCY;
    this.syncLatency = config.syncLatency ?? { kind: 'uniform', min: 0.05, max: 0.5 };
    this.tornWrites = config.tornWrites ?? false;
    this.invariants = config.checkInvariants;
    this.slots = this.nodeIds.map((id, i) => {
      if (this.indexOf.has(id)) throw new Error(`duplicate node id ${id}`);
      this.indexOf.set(id, i);
      const slot = new NodeSlot(i, id);
      slot.disk = new SimDisk({
        scheduleSync: (writes, done) => this.scheduleSync(slot, writes, done),
        scheduleFileWrite: (parts, done) => this.scheduleFileWrite(slot, parts, done),
      });
      return slot;
    });
  }

  /** Virtual time in milliseconds. */
  get now(): number {
    return this.clock;
  }

  get halted(): boolean {
    return this.failure !== undefined || this.stopped;
  }

  /** Starts every node fresh at the current time. */
  start(): void {
    for (const slot of this.slots) {
      this.queue.push(this.clock, slot.index, -1, () => this.boot(slot, false));
    }
  }

  /** Schedules a global action (workload, nemesis) `delay` ms from now. */
  schedule(delay: number, run: () => void): SimEvent {
    return this.queue.push(this.clock + Math.max(0, delay), -1, -1, run);
  }

  /** Ends the run: `run*` return at the next event boundary. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Lets a stopped run go on from the very event boundary where it stopped (the lab keeps the
   * nodes running after the workload ends). A failed run stays halted.
   */
  carryOn(): void {
    if (this.failure !== undefined) throw new Error('a failed run cannot go on');
    this.stopped = false;
  }

  /** Processes events until virtual time would pass `limit`, the queue empties, or a halt. */
  runUntil(limit: number): void {
    const q = this.queue;
    const slots = this.slots;
    while (!this.stopped && this.failure === undefined) {
      if (q.peekTime() > limit) break;
      const ev = q.pop() as SimEvent;
      if (ev.cancelled) continue;
      if (ev.time === this.clock) {
        // Virtual time must move: a protocol that keeps scheduling at the same instant (a
        // zero-delay timer re-armed forever) would otherwise hang the run.
        if (++this.eventsAtThisInstant > MAX_EVENTS_PER_INSTANT) {
          this.fail(
            'exception',
            `over ${MAX_EVENTS_PER_INSTANT} events at ${this.clock} ms without time moving: a zero-delay loop`,
          );
          break;
        }
      } else {
        this.eventsAtThisInstant = 0;
      }
      this.clock = ev.time;
      const ni = ev.node;
      if (ni >= 0) {
        const slot = slots[ni] as NodeSlot;
        if (ev.incarnation >= 0 && ev.incarnation !== slot.incarnation) continue;
        if (slot.status === 'paused') {
          slot.deferred.push(ev);
          continue;
        }
      }
      this.stats.events++;
      try {
        ev.run();
      } catch (e) {
        const where = ni >= 0 ? ` on ${this.nodeIds[ni]}` : '';
        this.fail('exception', `${(e as Error)?.message ?? String(e)}${where}`);
        break;
      }
      if (this.invariants !== undefined && ni >= 0) this.checkInvariants();
    }
    if (this.failure === undefined && !this.stopped && limit !== Infinity && limit > this.clock) {
      this.clock = limit;
    }
  }

  /** Runs until the queue is empty or the run halts (beware protocols that never go quiet). */
  runToQuiescence(maxTime = Infinity): void {
    this.runUntil(maxTime);
  }

  // ---- nodes ------------------------------------------------------------------------------

  index(id: NodeId): number {
    const i = this.indexOf.get(id);
    if (i === undefined) throw new Error(`unknown node ${id}`);
    return i;
  }

  status(id: NodeId): NodeStatus {
    return this.slot(id).status;
  }

  /** The live node object (for tests and invariants), or undefined when it is down. */
  node(id: NodeId): ProtocolNode | undefined {
    return this.slot(id).node ?? undefined;
  }

  /** How many messages `id` has been handed so far (readiness.ts: has it heard anything). */
  receivedBy(id: NodeId): number {
    return this.slot(id).received;
  }

  liveNodes(): Map<NodeId, ProtocolNode> {
    const out = new Map<NodeId, ProtocolNode>();
    for (const s of this.slots) if (s.node !== null) out.set(s.id, s.node);
    return out;
  }

  inspect(id: NodeId): NodeView | undefined {
    return this.slot(id).node?.inspect();
  }

  /** The node's durable storage (what a crash leaves and a restart recovers from). */
  disk(id: NodeId): SimDisk {
    return this.slot(id).disk;
  }

  /**
   * Fires `id`'s earliest-set pending timer named `name` now, as if it had run out (a script's
   * `fire-timer`). False when the node has none.
   */
  fireTimer(id: NodeId, name: string): boolean {
    const slot = this.slot(id);
    for (const [timerId, timerName] of slot.timerNames) {
      if (timerName !== name) continue;
      const ev = slot.timers.get(timerId);
      if (ev === undefined) continue;
      ev.cancelled = true;
      this.queue.push(this.clock, ev.node, ev.incarnation, ev.run);
      return true;
    }
    return false;
  }

  /**
   * From now on `id`'s syncs wait until `completeSyncs` (on), or are scheduled as usual again,
   * the waiting ones completing now (off). A script orders a node's fsyncs by hand this way;
   * a crash loses the waiting ones, with their writes (the disk never saw them complete).
   */
  holdSyncs(id: NodeId, hold: boolean): void {
    const slot = this.slot(id);
    slot.holdSyncs = hold;
    if (!hold) this.completeSyncs(id);
  }

  /** Completes every sync of `id` held so far, in issue order, at the current instant. */
  completeSyncs(id: NodeId): number {
    const slot = this.slot(id);
    const held = slot.heldSyncs;
    slot.heldSyncs = [];
    for (const { writes, done } of held) {
      this.queue.push(this.clock, slot.index, slot.incarnation, () => {
        this.trace.record({ t: this.clock, e: 'sync', node: slot.id, writes });
        done();
        this.observer?.({ kind: 'sync', node: slot.id });
      });
    }
    return held.length;
  }

  /** Kills the process: timers, in-flight syncs, queued events and unsynced writes are lost. */
  crash(id: NodeId): void {
    const slot = this.slot(id);
    if (slot.status === 'down') return;
    slot.status = 'down';
    slot.incarnation++;
    slot.node = null;
    slot.timers.clear();
    slot.timerNames.clear();
    slot.heldSyncs = [];
    slot.deferred = [];
    const keep = this.tornWrites ? this.diskRandom.int(slot.disk.unsyncedWrites + 1) : 0;
    const tear = this.tornWrites && this.diskRandom.chance(0.5);
    const lost = slot.disk.crash(keep, tear);
    // Clients connected to the node see their connections reset: the outcome is unknown.
    for (const [, p] of slot.pending) {
      this.toClient(p.onReply, { ok: false, error: 'connection reset', definite: false });
    }
    slot.pending.clear();
    this.trace.record({
      t: this.clock,
      e: 'crash',
      node: id,
      lostWrites: lost.lost,
      tornWrite: lost.torn,
    });
  }

  /** Starts a crashed node again from its durable storage. */
  restart(id: NodeId): void {
    const slot = this.slot(id);
    if (slot.status !== 'down') return;
    this.trace.record({ t: this.clock, e: 'restart', node: id });
    this.boot(slot, true);
  }

  /** Freezes the process: everything addressed to it waits until it resumes. */
  pause(id: NodeId): void {
    const slot = this.slot(id);
    if (slot.status !== 'up') return;
    slot.status = 'paused';
    this.trace.record({ t: this.clock, e: 'pause', node: id });
  }

  resume(id: NodeId): void {
    const slot = this.slot(id);
    if (slot.status !== 'paused') return;
    slot.status = 'up';
    this.trace.record({ t: this.clock, e: 'resume', node: id });
    const deferred = slot.deferred;
    slot.deferred = [];
    for (const ev of deferred) this.queue.push(this.clock, ev.node, ev.incarnation, ev.run);
  }

  // ---- clocks -----------------------------------------------------------------------------

  /** The node's local clock reading now. */
  localTime(id: NodeId): number {
    return this.readClock(this.slot(id).clock);
  }

  /** How far the node's clock is ahead of true (virtual) time, and its drift rate. */
  clockState(id: NodeId): { offset: number; drift: number } {
    const c = this.slot(id).clock;
    return { offset: this.readClock(c) - this.clock, drift: c.drift };
  }

  /** Steps the node's clock to read `offset` ahead of true time, then run at rate 1 + drift. */
  setClock(id: NodeId, offset: number, drift: number): void {
    if (!(drift > -1)) throw new Error(`clock drift must be above -1, got ${drift}`);
    const c = this.slot(id).clock;
    c.offset = offset;
    c.drift = drift;
    c.since = this.clock;
    this.trace.record({ t: this.clock, e: 'clock', node: id, offset, drift });
  }

  private readClock(c: ClockState): number {
    return this.clock + c.offset + c.drift * (this.clock - c.since);
  }

  // ---- network ----------------------------------------------------------------------------

  /** Blocks exactly the given directed links (by node id) and unblocks every other. */
  setPartition(blocked: readonly (readonly [NodeId, NodeId])[]): void {
    this.network.blocked.fill(0);
    for (const [a, b] of blocked)
      this.network.blocked[this.network.link(this.index(a), this.index(b))] = 1;
    this.trace.record({
      t: this.clock,
      e: 'partition',
      blocked: this.network
        .blockedPairs()
        .map(([a, b]) => [this.nodeIds[a] as string, this.nodeIds[b] as string]),
    });
  }

  heal(): void {
    this.setPartition([]);
  }

  /** Sets loss, duplication, reordering and slowness on every link. */
  setLinkFaults(f: Required<LinkFaults>): void {
    this.network.setAllFaults(f);
    this.trace.record({ t: this.clock, e: 'link', ...f });
  }

  /** Sets one directed link's latency distribution. */
  setLinkLatency(from: NodeId, to: NodeId, latency: Latency): void {
    this.network.latency[this.network.link(this.index(from), this.index(to))] = latency;
  }

  /** Writes a nemesis phase change into the trace. */
  note(plan: string, phase: 'fault' | 'heal', detail: string): void {
    this.trace.record({ t: this.clock, e: 'nemesis', plan, phase, detail });
  }

  // ---- clients ----------------------------------------------------------------------------

  /**
   * Sends a client request to a node. `onReply` is called once, after the client link latency:
   * with the node's reply, a definite failure if the node is down (connection refused), or an
   * unknown outcome if the node crashes with the request in hand (connection reset).
   */
  request(nodeId: NodeId, client: string, seq: number, op: Json, onReply: ReplyHandler): RequestId {
    const slot = this.slot(nodeId);
    const id = this.nextRequestId++;
    const payload = copyJson(op);
    const arrive = this.clock + sampleLatency(this.clientLatency, this.clientRandom);
    this.queue.push(arrive, slot.index, -1, () => {
      const node = slot.node;
      if (slot.status === 'down' || node === null) {
        this.toClient(onReply, { ok: false, error: 'connection refused', definite: true });
        return;
      }
      slot.pending.set(id, { onReply });
      this.trace.record({ t: this.clock, e: 'request', node: slot.id, req: id, client });
      const request: ClientRequest = { id, client, seq, op: payload };
      node.onClientRequest(request);
    });
    return id;
  }

  private toClient(onReply: ReplyHandler, reply: ClientReply): void {
    const delay = sampleLatency(this.clientLatency, this.clientRandom);
    this.queue.push(this.clock + delay, -1, -1, () => onReply(reply));
  }

  // ---- internals --------------------------------------------------------------------------

  private slot(id: NodeId): NodeSlot {
    return this.slots[this.index(id)] as NodeSlot;
  }

  private fail(kind: SimFailure['kind'], message: string): void {
    if (this.failure !== undefined) return;
    this.failure = { time: this.clock, kind, message };
    this.trace.record({ t: this.clock, e: 'invariant', violation: `${kind}: ${message}` });
  }

  private checkInvariants(): void {
    const violation = this.invariants?.(this.liveNodes());
    if (violation !== undefined) this.fail('invariant', violation);
  }

  private boot(slot: NodeSlot, recovered: boolean): void {
    slot.status = 'up';
    const env = this.makeEnv(slot, slot.incarnation);
    slot.node = this.factory(env);
    slot.node.start({ recovered });
  }

  private typeHash(type: string): number {
    let h = this.typeHashes.get(type);
    if (h === undefined) {
      h = 0x811c9dc5;
      for (let i = 0; i < type.length; i++) h = Math.imul(h ^ type.charCodeAt(i), 0x01000193);
      this.typeHashes.set(type, h);
    }
    return h;
  }

  private send(from: NodeSlot, toId: NodeId, msg: Message): void {
    const toIndex = this.indexOf.get(toId);
    if (toIndex === undefined)
      throw new Error(`${from.id} sent ${msg.type} to unknown node ${toId}`);
    const to = this.slots[toIndex] as NodeSlot;
    const net = this.network;
    const id = this.nextMessageId++;
    const copied = copyJsonHashed(msg);
    const th = this.typeHash(msg.type);
    this.stats.sent++;
    this.trace.message(
      'send',
      this.clock,
      from.index,
      toIndex,
      id,
      th,
      copied.hashLo,
      copied.hashHi,
    );
    if (this.trace.keeping) {
      this.trace.keep({
        t: this.clock,
        e: 'send',
        from: from.id,
        to: toId,
        id,
        type: msg.type,
        msg: copyJson(copied.value as unknown as Json),
      });
    }
    this.observer?.({ kind: 'send', node: from.id, to: toId, type: msg.type });
    const l = net.link(from.index, toIndex);
    if (net.blocked[l]) return this.drop(from, to, id, msg.type, 'partition');
    const loss = net.loss[l] as number;
    if (loss > 0 && this.netRandom.next() < loss) return this.drop(from, to, id, msg.type, 'loss');
    this.scheduleDelivery(
      from,
      to,
      id,
      msg.type,
      th,
      copied.value,
      net.delay(l, this.netRandom, msg.type),
    );
    const dup = net.duplicate[l] as number;
    if (dup > 0 && this.netRandom.next() < dup) {
      const again = copyJsonHashed(copied.value);
      this.stats.duplicated++;
      this.trace.message(
        'duplicate',
        this.clock,
        from.index,
        toIndex,
        id,
        th,
        again.hashLo,
        again.hashHi,
      );
      this.trace.keep({
        t: this.clock,
        e: 'duplicate',
        from: from.id,
        to: toId,
        id,
        type: msg.type,
      });
      this.scheduleDelivery(
        from,
        to,
        id,
        msg.type,
        th,
        again.value,
        net.delay(l, this.netRandom, msg.type),
      );
    }
  }

  private scheduleDelivery(
    from: NodeSlot,
    to: NodeSlot,
    id: number,
    type: string,
    typeHash: number,
    msg: Message,
    delay: number,
  ): void {
    this.queue.push(this.clock + delay, to.index, -1, () => {
      const node = to.node;
      if (node === null) return this.drop(from, to, id, type, 'down');
      this.stats.delivered++;
      to.received++;
      this.trace.message('deliver', this.clock, from.index, to.index, id, typeHash, 0, 0);
      if (this.trace.keeping) {
        this.trace.keep({ t: this.clock, e: 'deliver', from: from.id, to: to.id, id, type });
      }
      this.deliveryObserver?.({ from: from.id, to: to.id, id, type, msg });
      node.onMessage(from.id, msg);
    });
  }

  /**
   * Delivers `msg`, a message `from` sent to `to` earlier (its id `id`), once more after `delay`
   * ms: a copy the network made, as a duplicate is, but sent again now — a peer's retransmission
   * of a request the node may have answered and forgotten since. Dropped if the link is cut now.
   */
  redeliver(delivery: Delivery, delay: number): void {
    const from = this.slot(delivery.from);
    const to = this.slot(delivery.to);
    const copied = copyJsonHashed(delivery.msg);
    const th = this.typeHash(delivery.type);
    this.stats.duplicated++;
    this.trace.message(
      'duplicate',
      this.clock,
      from.index,
      to.index,
      delivery.id,
      th,
      copied.hashLo,
      copied.hashHi,
    );
    this.trace.keep({
      t: this.clock,
      e: 'duplicate',
      from: from.id,
      to: to.id,
      id: delivery.id,
      type: delivery.type,
    });
    if (this.network.blocked[this.network.link(from.index, to.index)]) {
      return this.drop(from, to, delivery.id, delivery.type, 'partition');
    }
    this.scheduleDelivery(from, to, delivery.id, delivery.type, th, copied.value, delay);
  }

  private drop(from: NodeSlot, to: NodeSlot, id: number, type: string, why: DropReason): void {
    this.stats.dropped++;
    this.trace.record({ t: this.clock, e: 'drop', from: from.id, to: to.id, id, type, why });
  }

  private scheduleSync(slot: NodeSlot, writes: number, done: () => void): void {
    if (slot.holdSyncs) {
      slot.heldSyncs.push({ writes, done });
      return;
    }
    const at = Math.max(
      this.clock + sampleLatency(this.syncLatency, this.diskRandom),
      slot.lastSyncDone,
    );
    slot.lastSyncDone = at;
    this.queue.push(at, slot.index, slot.incarnation, () => {
      this.trace.record({ t: this.clock, e: 'sync', node: slot.id, writes });
      done();
      this.observer?.({ kind: 'sync', node: slot.id });
    });
  }

  /**
   * A file beside the log (a snapshot written aside): a sync latency of its own, after any file
   * asked for before it, but not ordered with the log's syncs — the point of writing it aside.
   * Draws from the disk stream only when a node writes one, so runs that never do are unchanged.
   */
  private scheduleFileWrite(slot: NodeSlot, parts: number, done: () => void): void {
    const at = Math.max(
      this.clock + sampleLatency(this.syncLatency, this.diskRandom),
      slot.lastFileDone,
    );
    slot.lastFileDone = at;
    this.queue.push(at, slot.index, slot.incarnation, () => {
      this.trace.record({ t: this.clock, e: 'file', node: slot.id, parts });
      done();
    });
  }

  private makeEnv(slot: NodeSlot, incarnation: number): NodeEnv {
    const cluster = this.nodeIds;
    const peers = cluster.filter((p) => p !== slot.id);
    const random = streamFor(this.seed, `node:${slot.id}:${incarnation}`);
    // An env outlives its incarnation only through a protocol bug (a retained closure);
    // anything it does after the crash is ignored, as a dead process can do nothing.
    const alive = (): boolean => slot.incarnation === incarnation && slot.status !== 'down';
    return {
      id: slot.id,
      cluster,
      peers,
      random,
      storage: slot.disk,
      now: () => this.readClock(slot.clock),
      send: (to: NodeId, msg: Message): void => {
        if (alive()) this.send(slot, to, msg);
      },
      setTimer: (delayMs: number, name: string, data?: Json): TimerId => {
        const timerId = this.nextTimerId++;
        if (!alive()) return timerId;
        const payload = data === undefined ? undefined : copyJson(data);
        const virtualDelay = Math.max(0, delayMs) / (1 + slot.clock.drift);
        const ev = this.queue.push(this.clock + virtualDelay, slot.index, incarnation, () => {
          slot.timers.delete(timerId);
          slot.timerNames.delete(timerId);
          this.trace.record({ t: this.clock, e: 'timer', node: slot.id, name });
          slot.node?.onTimer(name, payload);
        });
        slot.timers.set(timerId, ev);
        slot.timerNames.set(timerId, name);
        return timerId;
      },
      cancelTimer: (timerId: TimerId): void => {
        const ev = slot.timers.get(timerId);
        if (ev !== undefined) {
          ev.cancelled = true;
          slot.timers.delete(timerId);
          slot.timerNames.delete(timerId);
        }
      },
      reply: (request: RequestId, reply: ClientReply): void => {
        if (!alive()) return;
        const p = slot.pending.get(request);
        if (p === undefined) return; // already answered, or the client's connection is gone
        slot.pending.delete(request);
        this.trace.record({ t: this.clock, e: 'reply', node: slot.id, req: request, ok: reply.ok });
        this.toClient(p.onReply, copyJson(reply));
      },
      metric: (name: string, value = 1): void => {
        if (!alive()) return;
        let samples = this.metrics.get(name);
        if (samples === undefined) this.metrics.set(name, (samples = []));
        samples.push(value);
      },
      log: (message: string, fields?: LogFields): void => {
        if (!alive()) return;
        this.trace.record({
          t: this.clock,
          e: 'log',
          node: slot.id,
          msg: message,
          fields: fields === undefined ? null : copyJson(fields as Json),
        });
        this.observer?.({ kind: 'log', node: slot.id, message });
      },
    };
  }
}
