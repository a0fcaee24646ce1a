/**
 * A transaction's coordinator, on the node the client called (CockroachDB's TxnCoordSender).
 * It runs the client's micro-ops in order against the ranges, as one transaction:
 *
 * 1. Reads and writes at the transaction's timestamp; writes lay intents. The first write first
 *    creates the transaction record on that key's range (the anchor), so whoever meets an intent
 *    can find the record and push it.
 * 2. A conflict with another transaction's intent pushes that transaction's record: if it is
 *    decided, the intent is resolved and the op retried; if it is alive and outranks this one,
 *    this one waits and pushes again (txn-records.ts: waits never form a cycle).
 * 3. An uncertain value restarts the transaction (a new epoch) above it.
 * 4. A write pushed above the read timestamp (by a newer version or a read in the timestamp
 *    cache) makes the reads stale: at commit they are refreshed to the write timestamp, or the
 *    transaction restarts there.
 * 5. Commit is one write: the record goes from pending to committed through the anchor range's
 *    log. Then, with TrueTime, the client is answered only after commit wait; intents are
 *    resolved in the background (a reader that meets one first resolves it itself).
 * 6. A record aborted by a push ends this transaction for good: it starts again as a new one.
 *
 * One-shot (`start`): the client's micro-ops are all known at once, so every restart above is
 * hidden — the coordinator runs them again. Interactive (`open`, then `step`… and `commit` or
 * `rollback`; txn-sessions.ts keeps the open ones): the client chooses each step after seeing
 * the last one's results, so once it has seen any, a restart cannot be hidden — the results it
 * acted on may change — and the transaction ends with a `retry` failure instead (CockroachDB's
 * 40001): it is rolled back, and the client starts over.
 */
import type { Json } from '../../core/json.js';
import type { ClientReply } from '../../core/node.js';
import type { Random } from '../../core/random.js';
import {
  compareHlc,
  maxHlc,
  type HlcTimestamp,
} from '../../protocols/clocks/hybrid-logical-clock.js';
import type { TxnMeta } from '../../protocols/mvcc/mvcc-types.js';
import type { TxnRecord } from '../../protocols/mvcc/txn-records.js';
import type { RangeSpec } from './range-directory.js';
import type { RangeOp } from './range-ops.js';
import type { TxnClock } from './txn-clock.js';
import { txnFailure, type Mop, type RetryReason, type TxnFailure } from './txn-client-ops.js';
import type { RangeReply } from './txndb-messages.js';

export type { Mop } from './txn-client-ops.js';

/** What a coordinator needs from its node. */
export interface CoordinatorEnv {
  readonly clock: TxnClock;
  readonly random: Random;
  rangeOf(key: string): RangeSpec;
  /** Proposes `op` to `range`, retrying past lost messages and leader changes while `alive()`. */
  call(
    range: RangeSpec,
    client: string,
    seq: number,
    op: RangeOp,
    alive: () => boolean,
    done: (reply: RangeReply) => void,
  ): void;
  later(ms: number, fn: () => void): void;
  metric(name: string, value?: number): void;
}

export interface CoordinatorSettings {
  /** Heartbeat period of a pending transaction's record. */
  readonly heartbeatMs: number;
  /** Wait before pushing a live, higher-priority holder again. */
  readonly pushBackoffMs: number;
  /** Give up (and abort) a transaction not committing by then. */
  readonly deadlineMs: number;
  readonly workload: 'list-append' | 'rw-register';
  /**
   * A deliberately broken coordinator, for the tests: `hide-restarts` restarts an interactive
   * transaction silently even after its client has seen results (a lost update: the client's
   * writes rest on reads the restart changed).
   */
  readonly mutant?: 'hide-restarts' | null;
}

type Answer = Readonly<Record<string, Json>>;

/** How a coordinator answers a one-shot transaction, or one request of an interactive one. */
export type CoordinatorReply = ClientReply | TxnFailure;

/** Where an interactive transaction is: waiting for its client, or running what it asked. */
export type SessionPhase = 'idle' | 'stepping' | 'committing' | 'done';

function answerOf(reply: RangeReply): Answer | null {
  if (
    !reply.ok ||
    typeof reply.value !== 'object' ||
    reply.value === null ||
    Array.isArray(reply.value)
  )
    return null;
  return reply.value as Answer;
}

export class TxnCoordinator {
  private id: string;
  private attempt = 0;
  private epoch = 0;
  private priority: number;
  private readTs: HlcTimestamp = { wall: 0, logical: 0 };
  private writeTs: HlcTimestamp = { wall: 0, logical: 0 };
  private limit: HlcTimestamp | null = null;
  private anchor: string | null = null;
  private readonly readKeys = new Map<string, Set<string>>();
  /** Keys holding this attempt's intents, from any epoch, and those written in this epoch. */
  private intentKeys = new Set<string>();
  private epochWrites = new Set<string>();
  private results: Json[] = [];
  private index = 0;
  private seq = 0;
  private finished = false;
  private abortedByPush = false;
  /** Set once the commit was asked for: from then on only its answer says whether it happened. */
  private commitSent = false;
  private heartbeats = 0;
  private readonly startedAt: number;
  private readonly mops: Mop[];
  /** Interactive: steps whose results the client has seen (a restart is hidden only before). */
  private shown = 0;
  /** Interactive: where the running step's results begin. */
  private stepFrom = 0;
  private phaseNow: SessionPhase;
  /** Who hears the outcome of what is running now (one-shot: the whole transaction). */
  private answer: ((reply: CoordinatorReply) => void) | null;

  constructor(
    private readonly env: CoordinatorEnv,
    private readonly baseId: string,
    mops: readonly Mop[],
    private readonly settings: CoordinatorSettings,
    answer: ((reply: ClientReply) => void) | null,
    now: number,
    private readonly interactive = false,
  ) {
    if (interactive !== (answer === null))
      throw new Error('txndb: an interactive coordinator answers per request, a one-shot once');
    this.id = `${baseId}.0`;
    this.priority = env.random.next();
    this.startedAt = now;
    this.mops = [...mops];
    this.answer = answer;
    this.phaseNow = interactive ? 'idle' : 'committing';
  }

  /** Runs a one-shot transaction: its micro-ops, then its commit. */
  start(): void {
    if (this.interactive) throw new Error('txndb: start() is for one-shot transactions');
    this.begin();
    this.next();
  }

  /** Opens an interactive transaction: its timestamp is taken now; steps follow. */
  open(): void {
    if (!this.interactive) throw new Error('txndb: open() is for interactive transactions');
    this.begin();
  }

  private begin(): void {
    const s = this.env.clock.start();
    this.readTs = this.writeTs = s.ts;
    this.limit = s.limit;
  }

  get phase(): SessionPhase {
    return this.phaseNow;
  }

  /** The transaction's id (changes when it starts again as a new one, before any step showed). */
  get txnId(): string {
    return this.id;
  }

  /** Runs `mops` in this interactive transaction; `answer` gets their results or why not. */
  step(mops: readonly Mop[], answer: (reply: CoordinatorReply) => void): void {
    if (!this.interactive) throw new Error('txndb: step() is for interactive transactions');
    if (this.phaseNow !== 'idle') throw new Error(`txndb: step() while ${this.phaseNow}`);
    this.phaseNow = 'stepping';
    this.answer = answer;
    this.stepFrom = this.index;
    this.mops.push(...mops);
    this.next();
  }

  /** Commits this interactive transaction; `answer` hears whether it did. */
  commitNow(answer: (reply: CoordinatorReply) => void): void {
    if (!this.interactive) throw new Error('txndb: commitNow() is for interactive transactions');
    if (this.phaseNow !== 'idle') throw new Error(`txndb: commit while ${this.phaseNow}`);
    this.phaseNow = 'committing';
    this.answer = answer;
    this.next();
  }

  /**
   * Ends an idle interactive transaction without committing it (the client asked, or its
   * session expired): its record is aborted and its intents resolved away.
   */
  rollback(): void {
    if (!this.interactive) throw new Error('txndb: rollback() is for interactive transactions');
    if (this.phaseNow !== 'idle') throw new Error(`txndb: rollback while ${this.phaseNow}`);
    this.answer = null;
    if (this.finished) return;
    this.env.metric('txn.rolled-back');
    this.end();
  }

  private reply(reply: CoordinatorReply): void {
    const answer = this.answer;
    if (this.interactive) this.answer = null;
    answer?.(reply);
  }

  private alive = (): boolean => !this.finished;

  private meta(): TxnMeta {
    return {
      id: this.id,
      anchor: this.anchor ?? '',
      epoch: this.epoch,
      writeTs: this.writeTs,
      priority: this.priority,
    };
  }

  private callMain(key: string | null, op: RangeOp, then: (a: Answer) => void): void {
    const range = key === null ? this.env.rangeOf(this.anchor!) : this.env.rangeOf(key);
    const attempt = this.attempt;
    this.env.call(range, this.id, ++this.seq, op, this.alive, (reply) => {
      if (this.finished || attempt !== this.attempt) return;
      const a = answerOf(reply);
      if (a === null)
        return this.fail(`range ${range.id}: ${reply.ok ? 'no answer' : reply.error}`);
      if (a.kind === 'refused') return this.fail(`range ${range.id} refused: ${String(a.reason)}`);
      then(a);
    });
  }

  private next(): void {
    if (this.finished) return;
    if (this.abortedByPush) return this.retryAsNew('aborted by a push');
    if (this.overDeadline()) return this.deadlinePassed('deadline passed');
    if (this.index === this.mops.length)
      return this.phaseNow === 'committing' ? this.commit() : this.stepDone();
    const [f, key, value] = this.mops[this.index]!;
    const done = (result: Json): void => {
      this.results.push([f, key, result]);
      this.index++;
      this.next();
    };
    if (f === 'r') return this.read(key, (v) => done(this.readResult(v)));
    if (f === 'w') return this.write(key, value, () => done(value));
    this.read(key, (v) => {
      const list = Array.isArray(v) ? v : [];
      this.write(key, [...list, value], () => done(value));
    });
  }

  private stepDone(): void {
    this.shown++;
    this.phaseNow = 'idle';
    this.reply({ ok: true, value: this.results.slice(this.stepFrom) });
  }

  /**
   * What a read returns: under the checker's list-append workload a one-shot read is always a
   * list; an interactive client gets the value as stored (null when there is none).
   */
  private readResult(v: Json | null): Json {
    if (!this.interactive && this.settings.workload === 'list-append')
      return Array.isArray(v) ? v : [];
    return v;
  }

  /** Whether a restart must end the transaction: its client has seen results it may not see again. */
  private cannotHide(): boolean {
    return this.interactive && this.shown > 0 && this.settings.mutant !== 'hide-restarts';
  }

  private overDeadline(): boolean {
    return this.env.clock.stamp().wall - this.startedAt > this.settings.deadlineMs;
  }

  private read(key: string, then: (value: Json | null) => void): void {
    const op: RangeOp = { k: 'get', key, ts: this.readTs, limit: this.limit, txn: this.meta() };
    this.callMain(key, op, (a) => {
      if (a.kind === 'value') {
        const range = this.env.rangeOf(key).id;
        const keys = this.readKeys.get(range) ?? new Set<string>();
        keys.add(key);
        this.readKeys.set(range, keys);
        return then(a.value ?? null);
      }
      if (a.kind === 'intent')
        return this.pushAndRetry(a.txn as unknown as TxnMeta, key, () => this.read(key, then));
      if (a.kind === 'uncertain') {
        this.env.metric('txn.uncertainty-restart');
        if (this.cannotHide()) return this.endForRetry('uncertainty', `uncertain value at ${key}`);
        return this.restart(a.valueTs as unknown as HlcTimestamp);
      }
      this.fail(`unexpected answer to a read: ${String(a.kind)}`);
    });
  }

  private write(key: string, value: Json, then: () => void): void {
    this.ensureRecord(key, () => {
      const op: RangeOp = { k: 'put', key, value, txn: this.meta() };
      this.callMain(key, op, (a) => {
        if (a.kind === 'written') {
          this.writeTs = maxHlc(this.writeTs, a.writeTs as unknown as HlcTimestamp);
          this.intentKeys.add(key);
          this.epochWrites.add(key);
          return then();
        }
        if (a.kind === 'intent')
          return this.pushAndRetry(a.txn as unknown as TxnMeta, key, () =>
            this.write(key, value, then),
          );
        this.fail(`unexpected answer to a write: ${String(a.kind)}`);
      });
    });
  }

  private ensureRecord(key: string, then: () => void): void {
    if (this.anchor !== null) return then();
    this.anchor = key;
    const op: RangeOp = {
      k: 'begin',
      id: this.id,
      priority: this.priority,
      now: this.env.clock.stamp().wall,
    };
    this.callMain(null, op, (a) => {
      const record = a.record as unknown as TxnRecord;
      if (record.status !== 'pending') return this.retryAsNew('aborted before it began');
      this.heartbeat(this.attempt);
      then();
    });
  }

  private heartbeat(attempt: number): void {
    this.env.later(this.settings.heartbeatMs, () => {
      if (this.finished || attempt !== this.attempt || this.anchor === null) return;
      const op: RangeOp = { k: 'heartbeat', id: this.id, now: this.env.clock.stamp().wall };
      const client = `${this.id}/hb`;
      this.env.call(
        this.env.rangeOf(this.anchor),
        client,
        ++this.heartbeats,
        op,
        this.alive,
        (reply) => {
          const a = answerOf(reply);
          const record = a?.record as unknown as TxnRecord | null;
          if (record !== null && record !== undefined && record.status === 'aborted')
            this.abortedByPush = true;
        },
      );
      this.heartbeat(attempt);
    });
  }

  private pushAndRetry(holder: TxnMeta, key: string, retry: () => void): void {
    this.env.metric('txn.push');
    const op: RangeOp = {
      k: 'push',
      pushee: holder.id,
      pusher: this.id,
      priority: this.priority,
      now: this.env.clock.stamp().wall,
    };
    this.callMain(holder.anchor, op, (a) => {
      const record = a.record as unknown as TxnRecord;
      if (a.wait === true) {
        this.env.metric('txn.push-wait');
        // Waiting on a live holder that outranks it: the deadline still holds, or a holder that
        // is never abandoned (an open interactive session) keeps this one waiting for ever.
        return this.env.later(this.settings.pushBackoffMs, () => {
          if (this.finished) return;
          if (this.overDeadline()) return this.fail('deadline passed');
          retry();
        });
      }
      const resolve: RangeOp = {
        k: 'resolve',
        key,
        id: holder.id,
        commitTs: record.status === 'committed' ? record.commitTs : null,
      };
      this.callMain(key, resolve, () => retry());
    });
  }

  /** A new epoch above `ts`: the reads so far may be stale, so every micro-op runs again. */
  private restart(ts: HlcTimestamp): void {
    this.epoch++;
    const above = maxHlc(ts, this.env.clock.stamp());
    this.readTs = this.writeTs = maxHlc(this.writeTs, above);
    this.readKeys.clear();
    this.epochWrites = new Set();
    this.results = [];
    this.index = 0;
    this.next();
  }

  private commit(): void {
    if (this.intentKeys.size === 0) return this.release(this.readTs);
    if (compareHlc(this.writeTs, this.readTs) > 0) return this.refresh([...this.readKeys], 0);
    const op: RangeOp = { k: 'commit', id: this.id, commitTs: this.writeTs };
    this.commitSent = true;
    this.callMain(null, op, (a) => {
      const record = a.record as unknown as TxnRecord;
      if (record.status !== 'committed')
        return this.retryAsNew('aborted by a push before it committed');
      this.resolveAll(record.commitTs);
      this.release(this.writeTs);
    });
  }

  private refresh(ranges: [string, Set<string>][], i: number): void {
    if (i === ranges.length) {
      this.readTs = this.writeTs;
      return this.commit();
    }
    const [, keys] = ranges[i]!;
    const sorted = [...keys].sort();
    const op: RangeOp = {
      k: 'refresh',
      keys: sorted,
      spans: [],
      from: this.readTs,
      to: this.writeTs,
      id: this.id,
    };
    this.callMain(sorted[0]!, op, (a) => {
      if (a.ok === true) return this.refresh(ranges, i + 1);
      this.env.metric('txn.refresh-restart');
      if (this.cannotHide()) return this.endForRetry('refresh', 'a read could not be refreshed');
      this.restart(this.writeTs);
    });
  }

  /** Answers the client, after commit wait under TrueTime. */
  private release(ts: HlcTimestamp): void {
    const wait = this.env.clock.commitWaitMs(ts);
    this.finished = true;
    if (wait > 0) this.env.metric('txn.commit-wait-ms', wait);
    const reply: ClientReply = { ok: true, value: this.interactive ? 'committed' : this.results };
    const done = (): void => {
      this.phaseNow = 'done';
      this.reply(reply);
    };
    if (wait <= 0) return done();
    const waitMore = (): void => {
      const left = this.env.clock.commitWaitMs(ts);
      if (left <= 0) return done();
      this.env.later(left, waitMore);
    };
    this.env.later(wait, waitMore);
  }

  private resolveAll(commitTs: HlcTimestamp | null): void {
    for (const key of this.intentKeys) {
      const ts = commitTs !== null && this.epochWrites.has(key) ? commitTs : null;
      const op: RangeOp = { k: 'resolve', key, id: this.id, commitTs: ts };
      let tries = 0;
      this.env.call(
        this.env.rangeOf(key),
        `${this.id}/${key}`,
        1,
        op,
        () => ++tries <= 50,
        () => {},
      );
    }
  }

  /** The record is aborted: clean up this attempt's intents and run again as a new transaction. */
  private retryAsNew(why: string): void {
    if (this.cannotHide()) return this.endForRetry('pushed', why);
    this.env.metric('txn.retry-as-new');
    this.resolveAll(null);
    if (this.overDeadline()) return this.deadlinePassed(`${why}; deadline passed`);
    this.attempt++;
    this.commitSent = false;
    this.id = `${this.baseId}.${this.attempt}`;
    // A transaction that lost keeps climbing in priority, so it does not starve.
    this.priority = Math.max(this.priority, this.env.random.next()) + 1;
    this.epoch = 0;
    this.anchor = null;
    this.abortedByPush = false;
    this.intentKeys = new Set();
    this.seq = 0;
    this.restart(this.writeTs);
  }

  /**
   * Gives up. Before the commit was asked for, the rollback makes the outcome certain (only this
   * coordinator commits, and the record is aborted now), so the failure is definite; after, the
   * commit may have landed with its answer lost, and the client is told the outcome is unknown.
   */
  private fail(why: string): void {
    if (this.finished) return;
    this.env.metric('txn.failed');
    this.end();
    const definite = !this.commitSent;
    this.reply(
      this.interactive ? txnFailure('failed', why, definite) : { ok: false, error: why, definite },
    );
  }

  /** Past its deadline before its commit was asked for, an interactive client may start over. */
  private deadlinePassed(why: string): void {
    if (this.interactive && !this.commitSent) return this.endForRetry('deadline', why);
    this.fail(why);
  }

  /**
   * Ends an interactive transaction its client must start again: rolled back, and certainly
   * not committed (its commit was never asked for, or its record was found aborted).
   */
  private endForRetry(reason: RetryReason, why: string): void {
    if (this.finished) return;
    this.env.metric(`txn.retry.${reason}`);
    this.end();
    this.reply(txnFailure('retry', `restart transaction: ${why}`, true, reason));
  }

  /** Stops this attempt: the record is rolled back (unless it committed) and intents resolved. */
  private end(): void {
    this.finished = true;
    this.phaseNow = 'done';
    if (this.anchor !== null) {
      const op: RangeOp = { k: 'rollback', id: this.id };
      this.env.call(
        this.env.rangeOf(this.anchor),
        `${this.id}/rollback`,
        1,
        op,
        () => true,
        (reply) => {
          const record = answerOf(reply)?.record as unknown as TxnRecord | null | undefined;
          // A commit may have landed after all (an answer lost on the way): then it stands.
          if (record?.status === 'committed') this.resolveAll(record.commitTs);
          else this.resolveAll(null);
        },
      );
    }
  }

  /**
   * Where this transaction is, for the lab (read-only): its attempt's id, its phase, its
   * timestamps, the micro-op it is running and the keys holding its intents, each with its
   * range. 'commit-wait': answered only once TrueTime has passed the commit timestamp (a
   * transaction that finished otherwise has already answered and left its node).
   */
  view(): Json {
    const phase: TxnPhase = this.finished
      ? 'commit-wait'
      : this.commitSent
        ? 'committing'
        : this.index === this.mops.length
          ? 'refreshing'
          : 'running';
    const mop = this.finished ? undefined : this.mops[this.index];
    return {
      id: this.id,
      phase,
      epoch: this.epoch,
      readTs: { wall: this.readTs.wall, logical: this.readTs.logical },
      writeTs: { wall: this.writeTs.wall, logical: this.writeTs.logical },
      op: mop === undefined ? null : [mop[0], mop[1], this.env.rangeOf(mop[1]).id],
      intents: [...this.intentKeys].sort().map((k) => [k, this.env.rangeOf(k).id]),
    };
  }
}

export type TxnPhase = 'running' | 'refreshing' | 'committing' | 'commit-wait';
