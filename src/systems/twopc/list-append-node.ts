/**
 * A 2PC node (plain, `twopc-replicated` or Paxos Commit) running list-append or rw-register
 * transactions.
 *
 * The protocol cores lock accounts and move balances; this node keeps their commit protocol
 * untouched and puts lists under it. It sits between the core and its NodeEnv:
 *
 * - Coordinator. A client's transaction `[[f, key, v], …]` is handed to the core as an audit (a
 *   transaction with every participant), and each prepare the core sends is rewritten to lock
 *   only the transaction's keys at that participant (a participant with none locks nothing and
 *   votes yes) and to carry that participant's micro-ops. When the core answers the client with
 *   a commit, the answer becomes the micro-ops completed with the reads the participants sent
 *   with their votes (for Paxos Commit, inside the instance values the acceptors pass on).
 *
 * - Participant. It keeps, per key, the committed list. It answers a transaction's reads when it
 *   votes: the key's committed list (its own appends before the read added), taken while the core
 *   holds the transaction's lock on the key, from prepare to decision — strict two-phase locking,
 *   so no other transaction changes the list between the read and the commit. The appends join
 *   the lists when the core makes its `committed` record, written just before it (a crash keeps
 *   a prefix of the writes, so a surviving commit record has its lists). The micro-ops are
 *   durable with the `prepared` record, so a participant that restarts in doubt can still apply
 *   them when it learns the outcome.
 *
 * - rw-register. A register is kept as the list of the values written to it, in commit order;
 *   its value is the last. So a write is placed, locked and made durable as an append is, and a
 *   read answers the last element of what list-append would read (own earlier writes included):
 *   the same locking argument covers both workloads.
 */
import type { Json } from '../../core/json.js';
import type {
  ClientReply,
  ClientRequest,
  NodeEnv,
  NodeId,
  NodeView,
  ProtocolNode,
  RequestId,
} from '../../core/node.js';
import type { DurableStore } from '../../core/storage.js';
import {
  ACCOUNTS,
  ownerOf,
  type TwoPcMsg,
  type TwoPcNode,
} from '../../protocols/twopc/two-phase-commit.js';
import {
  readMops,
  readReads,
  readStoredList,
  readStoredMops,
  type MopKind,
  type PlacedMop,
  type Reads,
} from './txn-messages.js';
import { MOP_KINDS as KINDS, type TwoPcTxnWorkload } from './txn-workload.js';

export interface ListAppendMutants {
  /** A participant reads a key without locking it (only appended keys are locked). */
  readonly readWithoutLock: boolean;
}

type Mop = readonly [MopKind, string, number | null];

interface CoordinatedTxn {
  readonly request: RequestId;
  readonly mops: readonly Mop[];
  readonly placed: ReadonlyMap<NodeId, readonly PlacedMop[]>;
  /** Each participant's reads, from the first vote (or Prepared value) that carried them. */
  readonly reads: Map<NodeId, Reads>;
  /** The core committed it; the client waits for reads still on their way. */
  committed: boolean;
}

export class ListAppendNode implements ProtocolNode<TwoPcMsg> {
  readonly inner: TwoPcNode;
  // participant
  /** Committed lists: each element with the transaction that appended it. */
  private readonly lists = new Map<string, (readonly [string, number])[]>();
  private readonly mopsOf = new Map<string, readonly PlacedMop[]>();
  // coordinator
  /** The transaction being handed to the core (its prepares go out before the call returns). */
  private placing: Omit<CoordinatedTxn, 'reads' | 'committed'> | null = null;
  private readonly txns = new Map<string, CoordinatedTxn>();
  private readonly txnOfRequest = new Map<RequestId, string>();

  constructor(
    private readonly env: NodeEnv<TwoPcMsg>,
    build: (env: NodeEnv<TwoPcMsg>) => TwoPcNode,
    private readonly mutants: ListAppendMutants,
    private readonly workload: TwoPcTxnWorkload = 'list-append',
  ) {
    this.inner = build({
      id: env.id,
      cluster: env.cluster,
      peers: env.peers,
      random: env.random,
      now: () => env.now(),
      setTimer: (delayMs, name, data) => env.setTimer(delayMs, name, data),
      cancelTimer: (id) => env.cancelTimer(id),
      log: (message, fields) => env.log(message, fields),
      metric: (name, value) => env.metric(name, value),
      storage: new WatchedStore(env.storage, this),
      send: (to, msg) => this.send(to, msg),
      reply: (request, reply) => this.reply(request, reply),
    });
  }

  start(): void {
    const s = this.env.storage;
    for (const key of s.keys('list/')) {
      this.lists.set(key.slice(5), [...readStoredList(key, s.get(key))]);
    }
    for (const key of s.keys('mops/')) {
      this.mopsOf.set(key.slice(5), readStoredMops(key, s.get(key)));
    }
    this.inner.start();
  }

  // ---- coordinator ----------------------------------------------------------------------------

  onClientRequest(request: ClientRequest): void {
    const mops = parseTxn(request.op, KINDS[this.workload]);
    const placed = new Map<NodeId, PlacedMop[]>();
    if (mops === null || this.env.id !== this.env.cluster[0]) {
      // Malformed, or not the coordinator: the core refuses it as it refuses any such request.
      return this.inner.onClientRequest(request);
    }
    mops.forEach(([f, key, v], i) => {
      const owner = ownerOf(this.env.cluster, key);
      const list = placed.get(owner) ?? [];
      list.push([i, f, key, v ?? 0]);
      placed.set(owner, list);
    });
    this.placing = { request: request.id, mops, placed };
    try {
      this.inner.onClientRequest({ ...request, op: { f: 'audit' } });
    } finally {
      this.placing = null;
    }
  }

  private send(to: NodeId, msg: TwoPcMsg): void {
    if (msg.type === 'prepare') return this.env.send(to, this.placePrepare(to, msg));
    if (msg.type === 'vote') {
      const reads = this.readsFor(msg.txn);
      return this.env.send(to, { ...msg, reads } as TwoPcMsg);
    }
    if (msg.type === 'pc-2a' && msg.ballot === 0) {
      // An RM's own vote: its reads travel inside the value the acceptors keep and pass on.
      const values = msg.values.map((v) =>
        v.rm === this.env.id && v.vote.prepared
          ? { rm: v.rm, vote: { ...v.vote, reads: this.readsFor(msg.txn) } }
          : v,
      );
      return this.env.send(to, { ...msg, values });
    }
    this.env.send(to, msg);
  }

  private placePrepare(to: NodeId, msg: Extract<TwoPcMsg, { type: 'prepare' }>): TwoPcMsg {
    let t = this.txns.get(msg.txn);
    if (t === undefined) {
      if (this.placing === null)
        throw new Error(`list-append: a prepare of unknown txn ${msg.txn}`);
      t = { ...this.placing, reads: new Map(), committed: false };
      this.txns.set(msg.txn, t);
      this.txnOfRequest.set(t.request, msg.txn);
    }
    const mops = t.placed.get(to) ?? [];
    const changes: Record<string, number> = {};
    for (const [, f, key] of mops) {
      if (f !== 'r' || !this.mutants.readWithoutLock) changes[key] = 0;
    }
    return { ...msg, changes, mops } as TwoPcMsg;
  }

  private noteReads(txn: string, rm: NodeId, carrier: object): void {
    const t = this.txns.get(txn);
    if (t === undefined || t.reads.has(rm)) return;
    const reads = readReads(carrier);
    if (reads !== undefined) t.reads.set(rm, reads);
  }

  private reply(request: RequestId, reply: ClientReply): void {
    const txn = this.txnOfRequest.get(request);
    const t = txn === undefined ? undefined : this.txns.get(txn);
    if (txn === undefined || t === undefined) return this.env.reply(request, reply);
    if (!reply.ok) {
      this.forget(txn, t);
      return this.env.reply(request, reply);
    }
    t.committed = true;
    this.answer(txn, t);
    // A correct core commits only on every participant's vote, reads included: a commit that
    // must wait for reads is one decided early (commit-before-all-prepared), counted here.
    if (this.txns.has(txn)) this.env.metric('txn.awaiting-reads');
  }

  /** Answers a committed transaction once every read it made has arrived. */
  private answer(txn: string, t: CoordinatedTxn): void {
    const done: Json[] = [];
    for (const [i, [f, key, v]] of t.mops.entries()) {
      if (f !== 'r') {
        done.push([f, key, v]);
        continue;
      }
      const read = t.reads.get(ownerOf(this.env.cluster, key))?.find(([j]) => j === i);
      if (read === undefined) return; // its participant's vote is still on its way
      done.push([
        f,
        key,
        this.workload === 'rw-register' ? (read[1].at(-1) ?? null) : [...read[1]],
      ]);
    }
    this.forget(txn, t);
    this.env.reply(t.request, { ok: true, value: done });
  }

  private forget(txn: string, t: CoordinatedTxn): void {
    this.txns.delete(txn);
    this.txnOfRequest.delete(t.request);
  }

  // ---- participant ----------------------------------------------------------------------------

  /**
   * What this participant reads for `txn`: each read key's committed list, without the
   * transaction's own elements (a duplicate vote after the commit reads as the first did), with
   * its appends so far in the transaction after it; for a register, that list's last value.
   */
  private readsFor(txn: string): Reads {
    const mops = this.mopsOf.get(txn);
    if (mops === undefined) throw new Error(`list-append: a vote on txn ${txn} without micro-ops`);
    const own = new Map<string, number[]>();
    const reads: [number, number[]][] = [];
    for (const [i, f, key, v] of mops) {
      const mine = own.get(key) ?? [];
      own.set(key, mine);
      if (f !== 'r') mine.push(v);
      else {
        const committed = (this.lists.get(key) ?? []).filter(([t]) => t !== txn);
        const list = [...committed.map(([, e]) => e), ...mine];
        const last = list.at(-1);
        reads.push([i, this.workload === 'list-append' || last === undefined ? list : [last]]);
      }
    }
    return reads;
  }

  /** The core is about to record `txn` prepared: its micro-ops become durable with it. */
  prepared(txn: string, store: DurableStore): void {
    const mops = this.mopsOf.get(txn);
    if (mops === undefined) throw new Error(`list-append: txn ${txn} prepared without micro-ops`);
    store.put(`mops/${txn}`, mops as unknown as Json);
  }

  /** The core is about to record `txn` committed: its appends join the lists first. */
  committed(txn: string, store: DurableStore): void {
    const mops = this.mopsOf.get(txn);
    if (mops === undefined) throw new Error(`list-append: txn ${txn} committed without micro-ops`);
    const changed = new Set<string>();
    for (const [, f, key, v] of mops) {
      if (f === 'r') continue;
      const list = this.lists.get(key) ?? [];
      this.lists.set(key, list);
      if (list.some(([t, e]) => t === txn && e === v)) continue;
      list.push([txn, v]);
      changed.add(key);
    }
    // A copy: the store keeps (and may freeze) what it is given.
    for (const key of changed) store.put(`list/${key}`, [...(this.lists.get(key) ?? [])]);
  }

  /**
   * `txn` is done here (committed or aborted): a restart no longer needs its micro-ops. They stay
   * in memory: a vote the core deferred behind a sync may still go out after the decision (the
   * coordinator ignores it then, but a vote needs its reads).
   */
  finished(txn: string, store: DurableStore): void {
    store.delete(`mops/${txn}`);
  }

  // ---- events ---------------------------------------------------------------------------------

  onMessage(from: NodeId, msg: TwoPcMsg): void {
    let txn: string | undefined;
    if (msg.type === 'prepare') this.mopsOf.set(msg.txn, readMops(msg, KINDS[this.workload]));
    else if (msg.type === 'vote') {
      this.noteReads(msg.txn, from, msg);
      txn = msg.txn;
    } else if (msg.type === 'pc-2b') {
      for (const v of msg.values) if (v.vote.prepared) this.noteReads(msg.txn, v.rm, v.vote);
      txn = msg.txn;
    }
    this.inner.onMessage(from, msg);
    const t = txn === undefined ? undefined : this.txns.get(txn);
    if (txn !== undefined && t?.committed === true) this.answer(txn, t);
  }

  onTimer(name: string, data: Json | undefined): void {
    this.inner.onTimer(name, data);
  }

  inspect(): NodeView {
    return this.inner.inspect();
  }
}

/**
 * A transaction's micro-ops, or null when malformed (`f` not `txn`, an unknown key, a micro-op
 * not of the workload's `kinds`…).
 */
function parseTxn(op: Json, kinds: readonly MopKind[]): Mop[] | null {
  const o = op as { f?: Json; value?: Json };
  if (o.f !== 'txn' || !Array.isArray(o.value) || o.value.length === 0) return null;
  const mops: Mop[] = [];
  for (const m of o.value) {
    if (!Array.isArray(m) || m.length !== 3) return null;
    const [f, key, v] = m;
    if (typeof key !== 'string' || !(ACCOUNTS as readonly string[]).includes(key)) return null;
    if (f === 'r' && v === null) mops.push([f, key, null]);
    else if (
      (f === 'append' || f === 'w') &&
      kinds.includes(f) &&
      typeof v === 'number' &&
      Number.isInteger(v)
    ) {
      mops.push([f, key, v]);
    } else return null;
  }
  return mops;
}

/** The node's store as the core sees it: its `txn/` records tell the lists what happened. */
class WatchedStore implements DurableStore {
  constructor(
    private readonly base: DurableStore,
    private readonly node: ListAppendNode,
  ) {}

  put(key: string, value: Json): void {
    const txn = key.startsWith('txn/') ? key.slice(4) : null;
    const state = (value as { state?: Json } | null)?.state;
    if (txn !== null && state === 'prepared') this.node.prepared(txn, this.base);
    if (txn !== null && state === 'committed') this.node.committed(txn, this.base);
    this.base.put(key, value);
    if (txn !== null && state === 'committed') this.node.finished(txn, this.base);
  }

  delete(key: string): void {
    this.base.delete(key);
    if (key.startsWith('txn/')) this.node.finished(key.slice(4), this.base);
  }

  get(key: string): Json | undefined {
    return this.base.get(key);
  }
  keys(prefix?: string): string[] {
    return this.base.keys(prefix);
  }
  putParts(key: string, parts: readonly Json[]): void {
    this.base.putParts(key, parts);
  }
  getParts(key: string): readonly Json[] | undefined {
    return this.base.getParts(key);
  }
  putPartsAside(key: string, parts: readonly Json[], onSaved: () => void): void {
    this.base.putPartsAside(key, parts, onSaved);
  }
  append(...entries: Json[]): void {
    this.base.append(...entries);
  }
  entry(index: number): Json | undefined {
    return this.base.entry(index);
  }
  firstIndex(): number {
    return this.base.firstIndex();
  }
  lastIndex(): number {
    return this.base.lastIndex();
  }
  truncateAfter(index: number): void {
    this.base.truncateAfter(index);
  }
  compactTo(index: number): void {
    this.base.compactTo(index);
  }
  sync(onDurable: () => void): void {
    this.base.sync(onDurable);
  }
  get unsyncedWrites(): number {
    return this.base.unsyncedWrites;
  }
}
