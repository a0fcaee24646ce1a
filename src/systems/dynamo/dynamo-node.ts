/**
 * A Dynamo node (DeCandia et al., "Dynamo: Amazon's Highly Available Key-value Store", SOSP
 * 2007). Any node coordinates a client's request: it sends a write to the key's preference list
 * and answers after W acknowledgements (each replica's write durable first), sends a read to
 * the list and answers with the merge of the first R replies. With sloppy quorums a replica
 * that does not answer is stood in for by the next node on the ring, which keeps the write as a
 * hint and hands it off when the replica answers again. A read repairs the replicas that
 * answered with less than the merge; anti-entropy compares Merkle trees of shared key ranges
 * with a random peer and exchanges the ranges that differ, so replicas converge after any
 * partition heals even for keys no one reads.
 */
import type { Json } from '../../core/json.js';
import type { ClientRequest, NodeEnv, NodeId, ProtocolNode, RequestId } from '../../core/node.js';
import { CrdtStateError } from '../../protocols/crdt/states.js';
import type { DynamoMsg } from './dynamo-messages.js';
import type { DynamoParams } from './dynamo-params.js';
import { leavesHex, rangeLeaves, rootHex, sharedRanges } from './merkle-ranges.js';
import { Ring } from './ring.js';
import type { UpdateOp, ValueKind } from './value-kinds.js';

/** Ms between a request's resends (and, with sloppy quorums, its calls on stand-ins). */
const RETRY_MS = 30;
/** Ms a coordinator waits for its quorum before giving up on a request. */
const EXPIRE_MS = 400;
/** Ms between a node's attempts to hand its hints off. */
const HANDOFF_MS = 100;

export interface DynamoNodeOptions {
  readonly params: DynamoParams;
  readonly kind: ValueKind;
  /** `no-merge` mutant: a replica takes an incoming state in place of its own. */
  readonly noMerge?: boolean;
  /** `no-read-repair` mutant: reads never repair the replicas behind. */
  readonly noReadRepair?: boolean;
}

interface PendingWrite {
  readonly kind: 'write';
  readonly request: RequestId;
  readonly key: string;
  readonly state: Json;
  readonly prefs: readonly NodeId[];
  /** Who was asked, and for whom (null: for itself). */
  readonly asked: Map<NodeId, NodeId | null>;
  readonly acks: Set<NodeId>;
}

interface PendingRead {
  readonly kind: 'read';
  readonly request: RequestId;
  readonly key: string;
  readonly prefs: readonly NodeId[];
  readonly asked: Set<NodeId>;
  readonly replies: Map<NodeId, Json>;
  merged: Json | undefined;
}

type Pending = PendingWrite | PendingRead;

const canon = (x: Json): string => JSON.stringify(x);
const hintRecord = (target: NodeId, key: string): string => `hint:${JSON.stringify([target, key])}`;

export class DynamoNode implements ProtocolNode<DynamoMsg> {
  readonly ring: Ring;
  /** This node's replica of every key it owns. */
  private readonly data = new Map<string, Json>();
  /** Everything this node made as a coordinator, per key: where its own new dots start. */
  private readonly mine = new Map<string, Json>();
  /** Writes held for an unreachable replica: target → key → state. */
  private readonly hints = new Map<NodeId, Map<string, Json>>();
  private readonly pending = new Map<string, Pending>();
  /**
   * Request ids are `boot.n`: a reply to a request of an earlier incarnation, arriving after a
   * restart, must not be taken for one of this incarnation's (it would answer a read of one key
   * with another key's state, or count an acknowledgement for the wrong write).
   */
  private boot = 0;
  private nextRid = 0;
  /** Until this incarnation's boot number is durable it takes no client request. */
  private ready = false;

  constructor(
    private readonly env: NodeEnv<DynamoMsg>,
    private readonly o: DynamoNodeOptions,
  ) {
    if (o.params.n > env.cluster.length) {
      throw new RangeError(`n=${o.params.n} needs at least ${o.params.n} nodes`);
    }
    this.ring = new Ring(env.cluster, o.params.vnodes);
  }

  get kind(): ValueKind {
    return this.o.kind;
  }

  start(): void {
    const st = this.env.storage;
    for (const k of st.keys('kv:')) this.data.set(k.slice(3), st.get(k) ?? null);
    for (const k of st.keys('mine:')) this.mine.set(k.slice(5), st.get(k) ?? null);
    for (const k of st.keys('hint:')) {
      const parsed: unknown = JSON.parse(k.slice(5));
      if (
        !Array.isArray(parsed) ||
        typeof parsed[0] !== 'string' ||
        typeof parsed[1] !== 'string'
      ) {
        throw new RangeError(`a stored hint's name is not [target, key]: ${k}`);
      }
      this.hintsFor(parsed[0]).set(parsed[1], st.get(k) ?? null);
    }
    const last = st.get('boot');
    this.boot = (typeof last === 'number' ? last : 0) + 1;
    st.put('boot', this.boot);
    st.sync(() => {
      this.ready = true;
    });
    this.env.setTimer(this.env.random.range(0, this.o.params.aeMs), 'ae');
    this.env.setTimer(HANDOFF_MS, 'handoff');
  }

  /** The replica states this node holds, by key (the judge and the lab read them). */
  replicas(): ReadonlyMap<string, Json> {
    return this.data;
  }

  /** Hinted writes this node holds for others: target → key → state. */
  heldHints(): ReadonlyMap<NodeId, ReadonlyMap<string, Json>> {
    return this.hints;
  }

  onClientRequest(request: ClientRequest): void {
    const op = request.op;
    if (typeof op !== 'object' || op === null || Array.isArray(op))
      return this.malformed(request.id);
    const { f, key, value, ctx } = op as { f?: Json; key?: Json; value?: Json; ctx?: Json };
    if (typeof f !== 'string' || typeof key !== 'string' || key.length === 0) {
      return this.malformed(request.id);
    }
    if (!this.ready) {
      this.env.reply(request.id, { ok: false, error: 'starting', definite: true });
      return;
    }
    if (f === 'get') return this.read(request.id, key);
    if (!this.o.kind.ops.includes(f)) return this.malformed(request.id);
    let delta: Json;
    try {
      const update: UpdateOp = {
        f,
        ...(value !== undefined ? { value } : {}),
        ...(ctx !== undefined && ctx !== null ? { ctx } : {}),
      };
      delta = this.o.kind.update(this.own(key), update, this.env.id, this.env.now());
    } catch (e) {
      if (e instanceof CrdtStateError) return this.malformed(request.id);
      throw e;
    }
    const before = this.mine.get(key) ?? this.o.kind.empty;
    const mine = this.o.kind.merge(before, delta);
    this.mine.set(key, mine);
    this.env.storage.put(`mine:${key}`, mine);
    // The new dot must outlive a crash before it leaves, or a restarted node would reuse it.
    this.env.storage.sync(() => this.write(request.id, key, delta));
  }

  private malformed(request: RequestId): void {
    this.env.reply(request, { ok: false, error: 'malformed operation', definite: true });
  }

  /** All this node knows of `key`: its replica, its hints, and what it made itself. */
  private own(key: string): Json {
    let s = this.mine.get(key) ?? this.o.kind.empty;
    const d = this.data.get(key);
    if (d !== undefined) s = this.o.kind.merge(s, d);
    for (const held of this.hints.values()) {
      const h = held.get(key);
      if (h !== undefined) s = this.o.kind.merge(s, h);
    }
    return s;
  }

  private write(request: RequestId, key: string, state: Json): void {
    const rid = `${this.boot}.${this.nextRid++}`;
    const prefs = this.ring.preferenceList(key, this.o.params.n);
    const p: PendingWrite = {
      kind: 'write',
      request,
      key,
      state,
      prefs,
      asked: new Map(),
      acks: new Set(),
    };
    this.pending.set(rid, p);
    for (const to of prefs) this.askWrite(rid, p, to, null);
    this.env.setTimer(RETRY_MS, 'retry', rid);
    this.env.setTimer(EXPIRE_MS, 'expire', rid);
  }

  private askWrite(rid: string, p: PendingWrite, to: NodeId, hint: NodeId | null): void {
    p.asked.set(to, hint);
    if (to === this.env.id) {
      this.store(p.key, p.state, hint);
      this.env.storage.sync(() => this.onPutAck(this.env.id, rid));
    } else {
      this.env.send(to, { type: 'put', rid, key: p.key, state: p.state, hint });
    }
  }

  private read(request: RequestId, key: string): void {
    const rid = `${this.boot}.${this.nextRid++}`;
    const prefs = this.ring.preferenceList(key, this.o.params.n);
    const p: PendingRead = {
      kind: 'read',
      request,
      key,
      prefs,
      asked: new Set(),
      replies: new Map(),
      merged: undefined,
    };
    this.pending.set(rid, p);
    for (const to of prefs) this.askRead(rid, p, to);
    this.env.setTimer(RETRY_MS, 'retry', rid);
    this.env.setTimer(EXPIRE_MS, 'expire', rid);
  }

  private askRead(rid: string, p: PendingRead, to: NodeId): void {
    p.asked.add(to);
    if (to === this.env.id) this.onGetReply(this.env.id, rid, this.localState(p.key));
    else this.env.send(to, { type: 'get', rid, key: p.key });
  }

  /** What this node answers a read of `key` with: its replica and any hint it holds for it. */
  private localState(key: string): Json {
    let s = this.data.get(key);
    for (const held of this.hints.values()) {
      const h = held.get(key);
      if (h !== undefined) s = s === undefined ? h : this.o.kind.merge(s, h);
    }
    return s ?? null;
  }

  onMessage(from: NodeId, msg: DynamoMsg): void {
    switch (msg.type) {
      case 'put':
        this.store(msg.key, msg.state, msg.hint === this.env.id ? null : msg.hint);
        this.env.storage.sync(() => this.env.send(from, { type: 'put-ack', rid: msg.rid }));
        return;
      case 'put-ack':
        return this.onPutAck(from, msg.rid);
      case 'get':
        this.env.send(from, { type: 'get-reply', rid: msg.rid, state: this.localState(msg.key) });
        return;
      case 'get-reply':
        return this.onGetReply(from, msg.rid, msg.state);
      case 'repair':
        this.env.metric('dynamo.read-repaired');
        this.store(msg.key, msg.state, null);
        return;
      case 'handoff':
        this.store(msg.key, msg.state, null);
        this.env.storage.sync(() =>
          this.env.send(from, { type: 'handoff-ack', key: msg.key, state: msg.state }),
        );
        return;
      case 'handoff-ack': {
        const held = this.hints.get(from);
        const h = held?.get(msg.key);
        // Only what was handed off is done with; a write hinted since must go too.
        if (held !== undefined && h !== undefined && canon(h) === canon(msg.state)) {
          held.delete(msg.key);
          this.env.storage.delete(hintRecord(from, msg.key));
          this.env.metric('dynamo.handed-off');
        }
        return;
      }
      case 'ae-root':
        return this.onAeRoot(from, msg.root);
      case 'ae-leaves':
        return this.onAeLeaves(from, msg.leaves);
      case 'ae-push':
        return this.onAePush(from, msg.ranges, msg.entries, msg.back);
    }
  }

  /** Takes `state` for `key` into its replica (hint null) or into the hints held for `hint`. */
  private store(key: string, state: Json, hint: NodeId | null): void {
    const held = hint === null ? this.data : this.hintsFor(hint);
    const current = held.get(key);
    const next =
      this.o.noMerge === true || current === undefined
        ? this.o.kind.merge(this.o.kind.empty, state)
        : this.o.kind.merge(current, state);
    if (current !== undefined && canon(current) === canon(next)) return;
    held.set(key, next);
    this.env.storage.put(hint === null ? `kv:${key}` : hintRecord(hint, key), next);
    if (hint !== null) this.env.metric('dynamo.hinted');
  }

  private hintsFor(target: NodeId): Map<string, Json> {
    let held = this.hints.get(target);
    if (held === undefined) {
      held = new Map();
      this.hints.set(target, held);
    }
    return held;
  }

  private onPutAck(from: NodeId, rid: string): void {
    const p = this.pending.get(rid);
    if (p === undefined || p.kind !== 'write') return;
    // A strict quorum counts only the preference list; a sloppy one, its stand-ins too.
    if (!this.o.params.sloppy && !p.prefs.includes(from)) return;
    p.acks.add(from);
    if (p.acks.size >= this.o.params.w) {
      this.pending.delete(rid);
      this.env.reply(p.request, { ok: true, value: null });
    }
  }

  private onGetReply(from: NodeId, rid: string, state: Json): void {
    const p = this.pending.get(rid);
    if (p === undefined || p.kind !== 'read' || p.replies.has(from)) return;
    if (!this.o.params.sloppy && !p.prefs.includes(from)) return;
    p.replies.set(from, state);
    if (p.merged === undefined) {
      if (p.replies.size < this.o.params.r) return;
      let merged = this.o.kind.empty;
      for (const s of p.replies.values()) if (s !== null) merged = this.o.kind.merge(merged, s);
      p.merged = merged;
      this.env.reply(p.request, { ok: true, value: this.o.kind.view(merged) });
      for (const [node, s] of p.replies) this.repair(p, node, s);
    } else {
      // A late reply: repaired too, and what it adds is kept for later repairs.
      if (state !== null) p.merged = this.o.kind.merge(p.merged, state);
      this.repair(p, from, state);
    }
  }

  private repair(p: PendingRead, node: NodeId, seen: Json): void {
    if (this.o.noReadRepair === true || p.merged === undefined || !p.prefs.includes(node)) return;
    if (seen !== null && canon(seen) === canon(this.o.kind.merge(seen, p.merged))) return;
    this.env.metric('dynamo.read-repair');
    if (node === this.env.id) this.store(p.key, p.merged, null);
    else this.env.send(node, { type: 'repair', key: p.key, state: p.merged });
  }

  onTimer(name: string, data: Json | undefined): void {
    if (name === 'ae') {
      this.env.setTimer(this.o.params.aeMs, 'ae');
      return this.antiEntropy();
    }
    if (name === 'handoff') {
      this.env.setTimer(HANDOFF_MS, 'handoff');
      for (const [target, held] of this.hints) {
        for (const [key, state] of held) this.env.send(target, { type: 'handoff', key, state });
      }
      return;
    }
    if (typeof data !== 'string') return;
    const p = this.pending.get(data);
    if (p === undefined) return;
    if (name === 'expire') {
      this.pending.delete(data);
      if (p.kind === 'write')
        this.env.reply(p.request, { ok: false, error: 'timeout', definite: false });
      else if (p.merged === undefined)
        this.env.reply(p.request, { ok: false, error: 'timeout', definite: true });
      return;
    }
    if (name === 'retry') {
      if (p.kind === 'write') this.retryWrite(data, p);
      else if (p.merged === undefined) this.retryRead(data, p);
      this.env.setTimer(RETRY_MS, 'retry', data);
    }
  }

  /** The nodes past the preference list, in ring order: a sloppy quorum's stand-ins. */
  private standIns(key: string): readonly NodeId[] {
    return this.ring.walkFrom(this.ring.rangeOf(key)).slice(this.o.params.n);
  }

  private retryWrite(rid: string, p: PendingWrite): void {
    const missing = p.prefs.filter(
      (n) => !p.acks.has(n) && ![...p.acks].some((a) => p.asked.get(a) === n),
    );
    for (const n of missing) {
      this.askWrite(rid, p, n, null);
      if (!this.o.params.sloppy) continue;
      const covered = [...p.asked].some(([stand, hint]) => hint === n && stand !== n);
      if (covered) {
        for (const [stand, hint] of p.asked)
          if (hint === n && !p.acks.has(stand)) this.askWrite(rid, p, stand, n);
        continue;
      }
      const stand = this.standIns(p.key).find((s) => !p.asked.has(s));
      if (stand !== undefined) this.askWrite(rid, p, stand, n);
    }
  }

  private retryRead(rid: string, p: PendingRead): void {
    for (const n of p.prefs) if (!p.replies.has(n)) this.askRead(rid, p, n);
    if (!this.o.params.sloppy) return;
    const missing = p.prefs.filter((n) => !p.replies.has(n)).length;
    const stands = this.standIns(p.key)
      .filter((s) => !p.asked.has(s))
      .slice(0, missing);
    for (const s of stands) this.askRead(rid, p, s);
  }

  private antiEntropy(): void {
    const peers = this.env.peers.filter(
      (q) => sharedRanges(this.ring, this.o.params.n, this.env.id, q).length > 0,
    );
    if (peers.length === 0) return;
    const peer = this.env.random.pick(peers);
    this.env.send(peer, { type: 'ae-root', root: rootHex(this.leaves(peer)) });
  }

  private byRange(ranges: readonly number[]): Map<number, Map<string, Json>> {
    const wanted = new Set(ranges);
    const out = new Map<number, Map<string, Json>>();
    for (const [key, state] of this.data) {
      const r = this.ring.rangeOf(key);
      if (!wanted.has(r)) continue;
      let m = out.get(r);
      if (m === undefined) out.set(r, (m = new Map()));
      m.set(key, state);
    }
    return out;
  }

  private leaves(peer: NodeId): Uint8Array[] {
    const ranges = sharedRanges(this.ring, this.o.params.n, this.env.id, peer);
    return rangeLeaves(ranges, this.byRange(ranges));
  }

  private onAeRoot(from: NodeId, root: string): void {
    const leaves = this.leaves(from);
    if (rootHex(leaves) === root) {
      this.env.metric('dynamo.ae-in-sync');
      return;
    }
    this.env.send(from, { type: 'ae-leaves', leaves: leavesHex(leaves) });
  }

  private onAeLeaves(from: NodeId, theirs: readonly string[]): void {
    const ranges = sharedRanges(this.ring, this.o.params.n, this.env.id, from);
    const mine = leavesHex(rangeLeaves(ranges, this.byRange(ranges)));
    if (theirs.length !== mine.length) return;
    const differ = ranges.filter((_, i) => mine[i] !== theirs[i]);
    this.env.metric('dynamo.ae-ranges', differ.length);
    this.env.send(from, {
      type: 'ae-push',
      ranges: differ,
      entries: this.entries(differ),
      back: true,
    });
  }

  private entries(ranges: readonly number[]): [string, Json][] {
    const out: [string, Json][] = [];
    for (const m of this.byRange(ranges).values()) for (const e of m) out.push(e);
    return out.sort(([a], [b]) => (a < b ? -1 : 1));
  }

  private onAePush(
    from: NodeId,
    ranges: readonly number[],
    entries: readonly (readonly [string, Json])[],
    back: boolean,
  ): void {
    const shared = new Set(sharedRanges(this.ring, this.o.params.n, this.env.id, from));
    const ok = ranges.filter((r) => shared.has(r));
    for (const [key, state] of entries)
      if (shared.has(this.ring.rangeOf(key))) this.store(key, state, null);
    if (back)
      this.env.send(from, { type: 'ae-push', ranges: ok, entries: this.entries(ok), back: false });
  }

  inspect() {
    let hinted = 0;
    for (const held of this.hints.values()) hinted += held.size;
    // Per key: its siblings and clock, short (a cart's items would make every sample large).
    const store: Record<string, Json> = {};
    for (const key of [...this.data.keys()].sort()) {
      const d = this.o.kind.describe(this.data.get(key) ?? this.o.kind.empty);
      store[key] = { siblings: [...d.siblings], clock: d.clock };
    }
    return {
      role: 'replica',
      keys: this.data.size,
      hints: hinted,
      pending: this.pending.size,
      n: this.o.params.n,
      vnodes: this.o.params.vnodes,
      store,
    };
  }
}
