/**
 * The gateway's transactions: one-shot ones, and the open interactive ones by handle.
 *
 * `TxnSession` is the in-process API (issue 24's SQL layer calls it on the gateway node): `step`
 * runs micro-ops and hands back their results, `commit` and `rollback` end it; each answers once,
 * through a callback, with a result or a typed failure (txn-client-ops.ts). `TxnGateway` puts the
 * same behind the client port's ops and keeps the open sessions.
 *
 * A session expires: when its client has asked nothing for `idleMs` (a client that went away
 * without a word — the client port does not tell the node) it is rolled back, so its intents do
 * not stand in others' way; a session older than `deadlineMs` ends with `retry` at its next
 * step. While it is open its coordinator heartbeats its record, so others wait for it rather than
 * abort it; if the gateway node dies the heartbeats stop, and after the record's expiry any
 * transaction that meets its intents aborts it.
 */
import type { Json } from '../../core/json.js';
import {
  TxnCoordinator,
  type CoordinatorEnv,
  type CoordinatorReply,
  type CoordinatorSettings,
} from './coordinator.js';
import {
  parseTxnClientOp,
  txnFailure,
  type Mop,
  type TxnClientOp,
  type TxnFailure,
} from './txn-client-ops.js';

export interface SessionSettings {
  /** A session its client has not used for this long is rolled back. */
  readonly idleMs: number;
  /** A session older than this ends with `retry` (reason `deadline`) at its next step. */
  readonly deadlineMs: number;
  /** Open sessions one gateway keeps; a `txn-begin` beyond them fails with `too-many`. */
  readonly maxOpen: number;
  /** A deliberately broken gateway, for the tests: `no-idle-expiry` never rolls a session back. */
  readonly mutant?: 'no-idle-expiry' | null;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  idleMs: 5_000,
  deadlineMs: 30_000,
  maxOpen: 1_000,
};

/** A step's results: one `[f, key, result]` per micro-op, in order. */
export type StepReply = { readonly ok: true; readonly value: Json } | TxnFailure;

export interface GatewayOptions {
  readonly env: CoordinatorEnv;
  readonly settings: CoordinatorSettings;
  readonly sessions?: SessionSettings;
  /** A fresh transaction id, unique across the node's restarts; null while the node starts. */
  readonly newId: () => string | null;
  /** The clock's wall time, in ms (the coordinators' deadlines are on it). */
  readonly now: () => number;
  /** The coordinators running now, for the node's view (added and deleted here). */
  readonly running: Set<TxnCoordinator>;
}

/** One open interactive transaction. Each method answers exactly once. */
export class TxnSession {
  private touches = 0;

  constructor(
    readonly handle: string,
    /** Its coordinator, for views of the node; drive the session through its methods. */
    readonly coordinator: TxnCoordinator,
    private readonly gateway: TxnGateway,
  ) {}

  /** Where it is: `idle` between requests, `stepping`/`committing` while one runs, `done`. */
  get phase(): TxnCoordinator['phase'] {
    return this.coordinator.phase;
  }

  step(mops: readonly Mop[], done: (reply: StepReply) => void): void {
    if (!this.ready(done)) return;
    this.coordinator.step(mops, (r) => this.settle(r, done));
  }

  commit(done: (reply: StepReply) => void): void {
    if (!this.ready(done)) return;
    this.coordinator.commitNow((r) => this.settle(r, done));
  }

  rollback(done: (reply: StepReply) => void): void {
    if (!this.ready(done)) return;
    this.coordinator.rollback();
    this.gateway.forget(this);
    done({ ok: true, value: 'rolled back' });
  }

  /** Rolls back a session whose client has gone quiet (called by the gateway's idle timer). */
  expireIfIdle(touches: number): void {
    if (touches !== this.touches || this.phase !== 'idle') return;
    this.gateway.metric('txn.session-expired');
    this.coordinator.rollback();
    this.gateway.forget(this);
  }

  private ready(done: (reply: StepReply) => void): boolean {
    const phase = this.phase;
    if (phase === 'idle') {
      this.touches++;
      return true;
    }
    if (phase === 'done')
      done(txnFailure('no-such-txn', `transaction ${this.handle} has ended`, true));
    else done(txnFailure('busy', `transaction ${this.handle} is still ${phase}`, true));
    return false;
  }

  private settle(reply: CoordinatorReply, done: (reply: StepReply) => void): void {
    if (this.phase === 'done') this.gateway.forget(this);
    else this.gateway.watchIdle(this, this.touches);
    done(reply as StepReply);
  }
}

export class TxnGateway {
  private readonly open = new Map<string, TxnSession>();
  private readonly sessionSettings: SessionSettings;

  constructor(private readonly o: GatewayOptions) {
    this.sessionSettings = o.sessions ?? DEFAULT_SESSION_SETTINGS;
    const s = this.sessionSettings;
    if (!(s.idleMs > 0 && s.deadlineMs > 0 && Number.isSafeInteger(s.maxOpen) && s.maxOpen > 0))
      throw new RangeError('txndb: session idle time, deadline and cap must be positive');
  }

  /** Open sessions, for the node's view. */
  get openSessions(): number {
    return this.open.size;
  }

  /** A client port request: checked, then run; `answer` hears it exactly once. */
  request(op: Json, answer: (reply: CoordinatorReply) => void): void {
    const parsed = parseTxnClientOp(op);
    if ('problem' in parsed) return answer(txnFailure('malformed', parsed.problem, true));
    this.run(parsed.op, answer);
  }

  /** Opens an interactive transaction, or says why not. */
  begin(): TxnSession | TxnFailure {
    if (this.open.size >= this.sessionSettings.maxOpen)
      return txnFailure('too-many', `${this.open.size} transactions open on this node`, true);
    const id = this.o.newId();
    if (id === null) return txnFailure('unavailable', 'node starting', true);
    const c = new TxnCoordinator(
      this.o.env,
      id,
      [],
      { ...this.o.settings, deadlineMs: this.sessionSettings.deadlineMs },
      null,
      this.o.now(),
      true,
    );
    const session = new TxnSession(id, c, this);
    this.open.set(id, session);
    this.o.running.add(c);
    c.open();
    this.watchIdle(session, 0);
    return session;
  }

  session(handle: string): TxnSession | undefined {
    return this.open.get(handle);
  }

  /** @internal: a session ended. */
  forget(session: TxnSession): void {
    this.open.delete(session.handle);
    this.o.running.delete(session.coordinator);
  }

  /** @internal: rolls `session` back if it is still at `touches` requests after the idle time. */
  watchIdle(session: TxnSession, touches: number): void {
    if (this.sessionSettings.mutant === 'no-idle-expiry') return;
    this.o.env.later(this.sessionSettings.idleMs, () => session.expireIfIdle(touches));
  }

  /** @internal */
  metric(name: string): void {
    this.o.env.metric(name);
  }

  private run(op: TxnClientOp, answer: (reply: CoordinatorReply) => void): void {
    if (op.f === 'txn') return this.oneShot(op.value, answer);
    if (op.f === 'txn-begin') {
      const s = this.begin();
      return answer(s instanceof TxnSession ? { ok: true, value: s.handle } : s);
    }
    const session = this.open.get(op.txn);
    if (session === undefined)
      return answer(txnFailure('no-such-txn', `no open transaction ${op.txn} on this node`, true));
    if (op.f === 'txn-step') return session.step(op.value, answer);
    if (op.f === 'txn-commit') return session.commit(answer);
    session.rollback(answer);
  }

  private oneShot(mops: readonly Mop[], answer: (reply: CoordinatorReply) => void): void {
    const id = this.o.newId();
    if (id === null) return answer({ ok: false, error: 'node starting', definite: true });
    const c = new TxnCoordinator(
      this.o.env,
      id,
      mops,
      this.o.settings,
      (reply) => {
        this.o.running.delete(c);
        answer(reply);
      },
      this.o.now(),
    );
    this.o.running.add(c);
    c.start();
  }
}
