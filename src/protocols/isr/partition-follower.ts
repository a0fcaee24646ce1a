/**
 * A partition's follower in one leader epoch: it fetches from the leader at its log end offset
 * with the epoch of its last record, truncates where the leader says their logs part (the
 * diverging epoch: KIP-101's rule, asked in the Fetch as KIP-595 does), appends what the leader
 * sends and takes the leader's high watermark. It fetches again only once what it appended is
 * on disk, so the offset it reports — which the leader counts toward the HW — survives its crash.
 * With `waitMs` its fetches long-poll, as Kafka's replica fetcher does: the leader holds a fetch
 * it has nothing for until it appends (or `waitMs` passes), so records reach the follower as
 * they are produced, with no idle pause to wait out, and an idle partition costs one fetch per
 * `waitMs` instead of one per `idleMs`.
 */
import type { NodeId } from '../../core/node.js';
import { assertIsr } from './isr-assert.js';
import type { FetchMsg, FetchRespMsg } from './messages.js';
import type { IsrMutants } from './mutants.js';
import type { PartitionLog } from './partition-log.js';

export interface FollowerHost {
  send(to: NodeId, msg: FetchMsg): void;
  /** Calls `fetch(id)` after `delayMs` (a timer named for this partition). */
  schedule(delayMs: number, id: number): void;
  /** Runs `then` once every write issued so far is on disk. */
  afterDurable(then: () => void): void;
  truncated(to: number): void;
}

export interface FollowerOptions {
  /** Pause before fetching again after an answer without records, or an error. */
  readonly idleMs: number;
  /** A Fetch not answered within this (plus `waitMs`) is sent again. */
  readonly timeoutMs: number;
  /** How long the leader may hold a fetch it has nothing for (0: it answers at once). */
  readonly waitMs: number;
  readonly mutants: IsrMutants;
}

export class PartitionFollower {
  /** The fetch in flight or scheduled; answers and timers of any other are stale. */
  private fetchId = 0;
  private inFlight = false;
  private stopped = false;

  constructor(
    readonly log: PartitionLog,
    readonly leader: NodeId,
    readonly epoch: number,
    private readonly options: FollowerOptions,
    private readonly host: FollowerHost,
  ) {}

  start(): void {
    // Pre-KIP-101 Kafka cut a new follower's log back to its high watermark and fetched from
    // there, trusting everything below it; the HW on a follower can lag the leader's.
    if (this.options.mutants.truncateToHw && this.log.leo > this.log.hw) {
      this.host.truncated(this.log.truncateTo(this.log.hw));
    }
    this.next(0);
  }

  stop(): void {
    this.stopped = true;
    this.fetchId++;
  }

  private next(delayMs: number): void {
    this.inFlight = false;
    this.host.schedule(delayMs, ++this.fetchId);
  }

  /** The timer of fetch `id` fired: send it, or (if it is in flight unanswered) send anew. */
  onTimer(id: number): void {
    if (this.stopped || id !== this.fetchId) return;
    if (this.inFlight) return this.next(0);
    this.inFlight = true;
    const durable = (then: () => void): void =>
      this.options.mutants.countBeforeSync ? then() : this.host.afterDurable(then);
    durable(() => {
      if (this.stopped || id !== this.fetchId) return;
      this.host.send(this.leader, {
        type: 'isr-fetch',
        partition: this.log.partition,
        leaderEpoch: this.epoch,
        fetchOffset: this.log.leo,
        lastFetchedEpoch: this.log.lastEpoch,
        fetchId: id,
        // Absent when 0, so a follower that does not long-poll sends what it always sent.
        ...(this.options.waitMs > 0 ? { maxWaitMs: this.options.waitMs } : {}),
      });
      this.host.schedule(this.options.timeoutMs + this.options.waitMs, id);
    });
  }

  onResponse(msg: FetchRespMsg): void {
    if (this.stopped || msg.fetchId !== this.fetchId || !this.inFlight) return;
    if (msg.error !== null || msg.leaderEpoch !== this.epoch) return this.next(this.options.idleMs);
    if (msg.diverging !== null) {
      // Our log parts from the leader's after the end of the leader's epoch `diverging.epoch`
      // (or of ours, if ours ends sooner): everything after is not the leader's, so it goes.
      const mine = this.log.epochs.endOffsetFor(msg.diverging.epoch, this.log.leo);
      const to = Math.min(msg.diverging.endOffset, mine.endOffset);
      this.host.truncated(this.log.truncateTo(to));
      return this.next(0);
    }
    for (const b of msg.batches) {
      if (b.baseOffset !== this.log.leo) break;
      // A leader stamps its own epoch, or an earlier leader's, on what it holds.
      assertIsr(
        b.leaderEpoch <= msg.leaderEpoch,
        'batch-epoch-known',
        () =>
          `${this.log.partition}: batch of epoch ${b.leaderEpoch} from the leader of ${msg.leaderEpoch}`,
      );
      this.log.append(b);
    }
    this.log.setHw(Math.min(msg.highWatermark, this.log.leo));
    // An empty answer to a long poll is the leader's wait running out: nothing to pause for.
    this.next(msg.batches.length > 0 || this.options.waitMs > 0 ? 0 : this.options.idleMs);
  }
}
