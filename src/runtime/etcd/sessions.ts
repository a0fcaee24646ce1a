/**
 * How a gRPC call becomes a client request. Raft deduplicates by (client, seq) and remembers
 * only each client's latest seq, so a client may have one request in flight. The front end
 * keeps a pool of session slots — each a client id `etcd/<node>/<boot>/<k>` with its own seq
 * counter — and a call borrows a free slot for its whole life (retries included), so many
 * concurrent calls work while the sessions the machine keeps stay bounded by the pool's size.
 *
 * A call is submitted to the local node first. When that node is not the leader and names one,
 * the request is forwarded there once over the peer transport (Forwarding); a reply that is
 * again "not leader", a lost forward or an unknown outcome is retried with the same seq after a
 * short wait (the machine's dedup makes that safe) until the call's deadline.
 */
import type { Json } from '../../core/json.js';
import type { ClientReply, NodeId } from '../../core/node.js';
import { ETCD_ERRORS } from '../../systems/etcd/etcd-ops.js';
import { ANSWER_TOO_LARGE } from '../forwarding.js';
import { EtcdFault, fault, faultOfText } from './codec.js';
import { status as Status } from '@grpc/grpc-js';

export interface NodeGateway {
  readonly id: NodeId;
  /** Submits to the local node; `onReply` must get a reply Sessions may keep (a copy). */
  submitLocal(
    client: string,
    seq: number,
    op: Json,
    onReply: (reply: ClientReply) => void,
  ): () => void;
  /**
   * Forwards a request to `to`; `done(null)` when no answer came within `timeoutMs` (Sessions
   * relies on that and sets no timer of its own for a forward).
   */
  forward(
    to: NodeId,
    client: string,
    seq: number,
    op: Json,
    timeoutMs: number,
    done: (reply: ClientReply | null) => void,
  ): () => void;
}

export interface SessionOptions {
  /** Prefix of the slots' client ids, unique to this process: `etcd/<node>/<boot-random>`. */
  readonly prefix: string;
  /** Slots at most (the sessions this front end can create in the machine). */
  readonly maxSlots?: number;
  /** Calls that may wait for a slot before more are refused (too many requests). */
  readonly maxWaiting?: number;
  /** Longest a forwarded request is awaited before it is retried. */
  readonly forwardTimeoutMs?: number;
}

interface Slot {
  readonly client: string;
  seq: number;
}

interface SlotWaiter {
  readonly take: (slot: Slot) => void;
  readonly refuse: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** A call's deadline timer and the attempt it is waiting for. */
interface CallWait {
  readonly deadline: number;
  timer: NodeJS.Timeout | undefined;
  /** The deadline timer fired: no further attempt is made. */
  expired: boolean;
  /** Ends the attempt being waited for with null (abandoning it); set while one waits. */
  end: (() => void) | undefined;
}

const ETCD_TEXTS = new Set<string>(Object.values(ETCD_ERRORS).map((e) => e.text));

/** The leader's answer did not fit in a peer frame; the operation may have taken effect. */
function answerTooLarge(error: string): EtcdFault {
  return new EtcdFault(
    Status.RESOURCE_EXHAUSTED,
    `etcdserver: the leader's ${error}; the operation may have taken effect; ` +
      "send it to the leader's endpoint (a read is served here with --param follower-reads=on)",
  );
}

const sleep = (ms: number): Promise<void> =>
  new Promise((r) => {
    setTimeout(r, ms).unref();
  });

export class Sessions {
  private readonly free: Slot[] = [];
  private created = 0;
  private readonly waiters: SlotWaiter[] = [];
  private readonly maxSlots: number;
  private readonly maxWaiting: number;
  private readonly forwardTimeoutMs: number;
  private closed = false;
  readonly stats = { calls: 0, forwarded: 0, retries: 0, timeouts: 0, waitedForSlot: 0 };

  constructor(
    private readonly gw: NodeGateway,
    private readonly o: SessionOptions,
  ) {
    this.maxSlots = o.maxSlots ?? 1024;
    this.maxWaiting = o.maxWaiting ?? 10_000;
    this.forwardTimeoutMs = o.forwardTimeoutMs ?? 2000;
  }

  get slots(): number {
    return this.created;
  }
  get inUse(): number {
    return this.created - this.free.length;
  }

  /**
   * Runs `op` through the cluster's leader until `deadline` (ms, Date.now() clock). Resolves
   * with the machine's result (which may be `{error}`); rejects with an EtcdFault.
   */
  call(op: Json, deadline: number): Promise<Json> {
    this.stats.calls++;
    // A free slot is taken at once; only a call that finds none waits (on a promise) for one.
    const slot = this.take();
    if (slot !== undefined) return this.run(slot, op, deadline);
    return this.waitForSlot(deadline).then((s) => this.run(s, op, deadline));
  }

  close(): void {
    this.closed = true;
    // Calls still waiting for a slot are answered now rather than left hanging until shutdown.
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.refuse(fault('noLeader'));
    }
  }

  private take(): Slot | undefined {
    const slot = this.free.pop();
    if (slot !== undefined) return slot;
    if (this.created < this.maxSlots) {
      const k = this.created++;
      return { client: `${this.o.prefix}/${k}`, seq: 1 };
    }
    return undefined;
  }

  private waitForSlot(deadline: number): Promise<Slot> {
    if (this.waiters.length >= this.maxWaiting) return Promise.reject(fault('tooManyRequests'));
    this.stats.waitedForSlot++;
    return new Promise((resolve, reject) => {
      const w: SlotWaiter = {
        take: resolve,
        refuse: reject,
        timer: setTimeout(
          () => {
            const i = this.waiters.indexOf(w);
            if (i >= 0) this.waiters.splice(i, 1);
            reject(fault('timeout'));
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      this.waiters.push(w);
    });
  }

  private release(slot: Slot): void {
    const w = this.waiters.shift();
    if (w !== undefined) {
      clearTimeout(w.timer);
      w.take(slot);
    } else this.free.push(slot);
  }

  /**
   * One attempt at the local node, then (when it names a leader) one forward there, until an
   * answer or the deadline; the slot is released at the end.
   */
  private async run(slot: Slot, op: Json, deadline: number): Promise<Json> {
    const client = slot.client;
    const seq = slot.seq++;
    let sawLeader = false;
    let wait = 10;
    const call: CallWait = { deadline, timer: undefined, expired: false, end: undefined };
    try {
      for (;;) {
        if (this.closed) throw fault('noLeader');
        if (call.expired || deadline - Date.now() <= 0) break;
        const local = await this.attempt(call, true, (done) =>
          this.gw.submitLocal(client, seq, op, done),
        );
        let reply = local;
        if (
          local !== null &&
          !local.ok &&
          local.leader !== undefined &&
          local.leader !== this.gw.id
        ) {
          sawLeader = true;
          const to = local.leader;
          const remaining = deadline - Date.now();
          if (call.expired || remaining <= 0) break;
          this.stats.forwarded++;
          const t = Math.min(remaining, this.forwardTimeoutMs);
          // The forward reports null itself after `t` (Forwarding's timer): no timer needed here.
          reply = await this.attempt(call, false, (done) =>
            this.gw.forward(to, client, seq, op, t, done),
          );
        }
        if (reply !== null) {
          if (reply.ok) return reply.value;
          // Asking again would get the same answer (the machine remembers it): say so now.
          if (reply.error.startsWith(ANSWER_TOO_LARGE)) throw answerTooLarge(reply.error);
          if (reply.error !== 'not leader') sawLeader = true;
          if (reply.definite && ETCD_TEXTS.has(reply.error)) throw faultOfText(reply.error);
          if (reply.definite && reply.error === 'malformed operation') {
            throw new EtcdFault(Status.INVALID_ARGUMENT, 'etcdserver: malformed request');
          }
        }
        // Not leader again, a lost forward, an unknown outcome, a leader without its quorum:
        // wait a little and try again with the same seq.
        this.stats.retries++;
        const pause = Math.min(wait, deadline - Date.now());
        if (pause > 0) await sleep(pause);
        wait = Math.min(wait * 2, 200);
      }
    } finally {
      if (call.timer !== undefined) clearTimeout(call.timer);
      this.release(slot);
    }
    this.stats.timeouts++;
    throw sawLeader ? fault('timeout') : fault('noLeader');
  }

  /**
   * Waits for one reply; null when the attempt was ended without one. A `timed` attempt (at the
   * local node, which has no timeout of its own) is ended at the call's deadline.
   */
  private attempt(
    call: CallWait,
    timed: boolean,
    start: (done: (reply: ClientReply | null) => void) => () => void,
  ): Promise<ClientReply | null> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (reply: ClientReply | null): void => {
        if (settled) return;
        settled = true;
        call.end = undefined;
        resolve(reply);
      };
      const abandon = start(done);
      if (settled) return; // answered at once (a follower's "not leader"): no timer at all
      call.end = () => {
        abandon();
        done(null);
      };
      // One timer per call, at its deadline, made when an attempt first has to wait (not one
      // made and cleared per attempt): it ends whichever attempt is waiting then.
      if (timed && call.timer === undefined) {
        call.timer = setTimeout(
          () => {
            call.expired = true;
            call.end?.();
          },
          Math.max(0, call.deadline - Date.now()),
        );
      }
    });
  }
}
