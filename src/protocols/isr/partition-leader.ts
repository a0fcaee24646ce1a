/**
 * A partition's leader in one leader epoch: it appends produced batches stamped with its epoch,
 * serves followers' Fetches (answering a follower whose log parted from its own with the
 * diverging epoch), tracks each follower's matched offset and when it last caught up, keeps the
 * ISR by lag time through AlterPartition requests to the controller, and moves the high
 * watermark (high-watermark.ts), answering acks=all produces once it passes them.
 */
import type { ClientReply, NodeId, RequestId } from '../../core/node.js';
import { nextOffsetOf, type BatchInput, type StoredBatch } from './batch.js';
import { highWatermark } from './high-watermark.js';
import { assertIsr } from './isr-assert.js';
import type { DivergingEpoch, FetchMsg, FetchRespMsg } from './messages.js';
import type { IsrMutants } from './mutants.js';
import type { PartitionLog } from './partition-log.js';

/** A produce refused or failed with Kafka's error code; `definite` when nothing was appended. */
export type ProduceError =
  'NOT_ENOUGH_REPLICAS' | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' | 'NOT_LEADER_OR_FOLLOWER';

/** How many replicas must hold a batch before its produce is answered (Kafka's `acks`). */
export type Acks = 1 | 'all';

/** The leader's metadata for its partition, as the controller's last record set it. */
export interface LeaderState {
  readonly epoch: number;
  readonly isr: readonly NodeId[];
  readonly partitionEpoch: number;
  readonly replicas: readonly NodeId[];
}

export interface AlterIsrRequest {
  readonly partition: string;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly NodeId[];
}

export interface LeaderHost {
  readonly id: NodeId;
  now(): number;
  /** The log end offset of this partition that is on disk. */
  durableLeo(): number;
  /** Asks for the log's writes to be made durable (the host calls `onDurable` after). */
  flush(): void;
  alterIsr(request: AlterIsrRequest): void;
  reply(request: RequestId, reply: ClientReply): void;
  /** The HW moved over these batches: they are committed. */
  committed(batches: readonly StoredBatch[]): void;
}

export interface LeaderOptions {
  readonly minIsr: number;
  readonly lagTimeMs: number;
  readonly maxFetchBatches: number;
  readonly mutants: IsrMutants;
}

interface FollowerProgress {
  /** Offset up to which the follower's log matches ours and is durable (-1: not yet known). */
  matched: number;
  lastCaughtUpMs: number;
  /** Our LEO and clock when we last answered it (Kafka's lastFetchLeaderLogEndOffset). */
  lastFetchLeo: number;
  lastFetchMs: number;
}

interface AckWaiter {
  readonly request: RequestId;
  readonly baseOffset: number;
  /** The HW must pass this (the offset after the batch). */
  readonly end: number;
}

/** A pending ISR change is asked for again if no record has answered it within this. */
const ALTER_RETRY_MS = 200;

export class PartitionLeader {
  private isr: readonly NodeId[];
  private partitionEpoch: number;
  private pending: { readonly isr: readonly NodeId[]; sentMs: number } | null = null;
  private readonly progress = new Map<NodeId, FollowerProgress>();
  private waiters: AckWaiter[] = [];
  /** The first offset of this epoch: a follower rejoining the ISR must have reached it. */
  readonly epochStartOffset: number;

  constructor(
    readonly log: PartitionLog,
    readonly state: LeaderState,
    private readonly options: LeaderOptions,
    private readonly host: LeaderHost,
  ) {
    this.isr = state.isr;
    this.partitionEpoch = state.partitionEpoch;
    this.epochStartOffset = log.leo;
    const now = host.now();
    for (const r of state.replicas) {
      if (r === host.id) continue;
      this.progress.set(r, { matched: -1, lastCaughtUpMs: now, lastFetchLeo: 0, lastFetchMs: now });
    }
  }

  get epoch(): number {
    return this.state.epoch;
  }

  get currentIsr(): readonly NodeId[] {
    return this.isr;
  }

  get pendingIsr(): readonly NodeId[] | null {
    return this.pending?.isr ?? null;
  }

  /** A follower's matched offset as this leader knows it (-1: unknown). */
  matchedOf(id: NodeId): number {
    return this.progress.get(id)?.matched ?? -1;
  }

  /** The controller recorded a new ISR in this epoch. */
  isrChanged(isr: readonly NodeId[], partitionEpoch: number): void {
    if (partitionEpoch <= this.partitionEpoch) return;
    this.isr = isr;
    this.partitionEpoch = partitionEpoch;
    this.pending = null;
    this.advanceHw();
  }

  /**
   * Appends a produced batch. With acks=all it is answered once the HW passes it; with acks=1
   * once the leader has appended it (Kafka's acks=1: no replica, not even the leader's disk,
   * need hold it). acks=0 is acks=1 whose answer the wire layer does not send.
   */
  produce(request: RequestId, input: BatchInput, acks: Acks = 'all'): void {
    // Refused before appending, so the failure is definite (Kafka: NOT_ENOUGH_REPLICAS).
    // Kafka checks min.insync.replicas for acks=all only.
    if (acks === 'all' && this.isr.length < this.options.minIsr) {
      this.host.reply(request, { ok: false, error: 'NOT_ENOUGH_REPLICAS', definite: true });
      return;
    }
    const batch: StoredBatch = { ...input, baseOffset: this.log.leo, leaderEpoch: this.epoch };
    this.log.append(batch);
    this.host.flush();
    if (acks !== 'all' || this.options.mutants.ackBeforeIsr) {
      this.host.reply(request, { ok: true, value: { offset: batch.baseOffset } });
    } else {
      this.waiters.push({ request, baseOffset: batch.baseOffset, end: nextOffsetOf(batch) });
    }
    this.advanceHw();
  }

  /** The log's writes through `durableLeo` are on disk. */
  onDurable(): void {
    this.advanceHw();
  }

  /** The ISR that bounds the HW: the recorded one and a pending change's, both (conservative). */
  private hwIsr(): Set<NodeId> {
    const s = new Set(this.isr);
    for (const id of this.pending?.isr ?? []) s.add(id);
    return s;
  }

  private advanceHw(): void {
    const hw = highWatermark(
      this.host.id,
      this.log.leo,
      Math.min(this.host.durableLeo(), this.log.leo),
      this.hwIsr(),
      (id) => this.progress.get(id)?.matched ?? 0,
      this.options.mutants,
    );
    const old = this.log.hw;
    assertIsr(
      hw <= this.log.leo,
      'hw-within-log',
      () => `${this.log.partition}: hw ${hw} past leo ${this.log.leo}`,
    );
    if (hw > old) {
      this.log.setHw(hw);
      this.host.committed(this.log.read(old, hw, Number.MAX_SAFE_INTEGER));
    }
    this.answerWaiters();
  }

  private answerWaiters(): void {
    const hw = this.log.hw;
    if (this.waiters.length === 0 || (this.waiters[0] as AckWaiter).end > hw) return;
    const enough = this.isr.length >= this.options.minIsr;
    const rest: AckWaiter[] = [];
    for (const w of this.waiters) {
      if (w.end > hw) rest.push(w);
      else if (enough) this.host.reply(w.request, { ok: true, value: { offset: w.baseOffset } });
      else {
        // Kafka's answer when the HW passed the batch after the ISR shrank below the minimum:
        // it is in the log, so its fate is not definite.
        this.host.reply(w.request, {
          ok: false,
          error: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
          definite: false,
        });
      }
    }
    this.waiters = rest;
  }

  onFetch(from: NodeId, msg: FetchMsg): FetchRespMsg {
    const answer = (
      fields: Partial<Pick<FetchRespMsg, 'error' | 'batches' | 'diverging' | 'highWatermark'>>,
    ): FetchRespMsg => ({
      type: 'isr-fetch-resp',
      partition: this.log.partition,
      leaderEpoch: this.epoch,
      fetchId: msg.fetchId,
      error: null,
      highWatermark: this.log.hw,
      batches: [],
      diverging: null,
      ...fields,
    });
    const p = this.progress.get(from);
    if (p === undefined) return answer({ error: 'NOT_LEADER_OR_FOLLOWER' });
    if (msg.leaderEpoch < this.epoch) return answer({ error: 'FENCED_LEADER_EPOCH' });
    if (msg.leaderEpoch > this.epoch) return answer({ error: 'UNKNOWN_LEADER_EPOCH' });
    const diverging = this.divergence(msg);
    if (diverging !== null) return answer({ diverging });
    const now = this.host.now();
    const leo = this.log.leo;
    if (msg.fetchOffset >= leo) p.lastCaughtUpMs = now;
    else if (msg.fetchOffset >= p.lastFetchLeo)
      p.lastCaughtUpMs = Math.max(p.lastCaughtUpMs, p.lastFetchMs);
    p.lastFetchLeo = leo;
    p.lastFetchMs = now;
    p.matched = Math.max(p.matched, msg.fetchOffset);
    this.maybeExpand(from, msg.fetchOffset);
    this.advanceHw();
    return answer({
      batches: this.log.read(msg.fetchOffset, leo, this.options.maxFetchBatches),
      highWatermark: this.log.hw,
    });
  }

  /**
   * Where the follower's log parts from ours, or null when its last record's epoch ends, in our
   * log, at or after its fetch offset (then its log is a prefix of ours).
   */
  private divergence(msg: FetchMsg): DivergingEpoch | null {
    if (this.options.mutants.truncateToHw) return null;
    if (msg.fetchOffset === 0) return null;
    const end = this.log.epochs.endOffsetFor(msg.lastFetchedEpoch, this.log.leo);
    if (end.epoch === msg.lastFetchedEpoch && end.endOffset >= msg.fetchOffset) return null;
    return end;
  }

  private maybeExpand(from: NodeId, fetchOffset: number): void {
    if (this.pending !== null || this.isr.includes(from)) return;
    if (fetchOffset < this.log.hw || fetchOffset < this.epochStartOffset) return;
    this.askIsr([...this.isr, from]);
  }

  private askIsr(isr: readonly NodeId[]): void {
    this.pending = { isr, sentMs: this.host.now() };
    this.sendPending();
  }

  private sendPending(): void {
    if (this.pending === null) return;
    this.pending.sentMs = this.host.now();
    this.host.alterIsr({
      partition: this.log.partition,
      leaderEpoch: this.epoch,
      partitionEpoch: this.partitionEpoch,
      isr: this.pending.isr,
    });
  }

  /** Periodic: shrinks the ISR of followers that lagged too long, retries a pending change. */
  tick(): void {
    const now = this.host.now();
    if (this.pending !== null) {
      if (now - this.pending.sentMs >= ALTER_RETRY_MS) this.sendPending();
      return;
    }
    const lagging = this.isr.filter((id) => {
      const p = this.progress.get(id);
      return p !== undefined && now - p.lastCaughtUpMs > this.options.lagTimeMs;
    });
    if (lagging.length > 0) this.askIsr(this.isr.filter((id) => !lagging.includes(id)));
  }

  /** This replica leads no more: produces still waiting may yet be committed by the next one. */
  resign(): void {
    for (const w of this.waiters) {
      this.host.reply(w.request, { ok: false, error: 'NOT_LEADER_OR_FOLLOWER', definite: false });
    }
    this.waiters = [];
  }
}
