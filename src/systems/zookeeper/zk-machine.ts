/**
 * ZooKeeper's replicated state machine as Zab's: each delivered Zab transaction carries a
 * client's write request and the clock of the server that took it, and is prepared
 * (PrepRequestProcessor) and applied (FinalRequestProcessor) here, in delivery order, on every
 * server. Prepare is pure, so every server turns the same request at the same point of the log
 * into the same txn or the same error code: a refused request takes its place in the log as
 * ZooKeeper's error txns do, and nothing depends on which server led when it was proposed.
 *
 * The coordination zxid of a transaction is its position in Zab's delivery order (the k-th
 * delivered transaction is the same on every server, Zab's total order), so every answer can
 * carry a zxid that means the same on every server.
 */
import type { Json } from '../../core/json.js';
import type { Txn as ZabTxn } from '../../protocols/zab/messages.js';
import type { ZabStateMachine } from '../../protocols/zab/state-machine.js';
import type { AclId } from '../coordination/acl.js';
import { requestProblem } from '../coordination/coord-schemas.js';
import { CoordState, type CoordConfig } from '../coordination/data-tree.js';
import { prepare, type CoordMutant, type WriteRequest } from '../coordination/requests.js';
import { applyTxn, type Txn, type TxnResult } from '../coordination/txns.js';
import { ZK_ERR } from '../coordination/zk-codes.js';
import { FencedStore, isFenceLogOp, type FenceMutant } from './zk-resource.js';
import type { ExpiryRecord } from './zk-session-judge.js';

/** What the log holds for one write: the request and the clock of the server that took it. */
export interface ZkLogOp {
  readonly w: WriteRequest;
  readonly t: number;
  /**
   * The asking session, named by a wire client (zk-wire-ops.ts); without it the session is the
   * one the log created for the txn's client (the simulated clients').
   */
  readonly s?: number;
  /**
   * The identities of the connection that sent it (digest auths, ip), which ACLs are checked
   * against when it is prepared; in the log, so every server decides NOAUTH alike. Absent: none.
   */
  readonly a?: readonly AclId[];
}

/** A write's answer: ZooKeeper's code, the zxid it was applied at, and what it returned. */
export interface ZkWriteResult {
  readonly code: number;
  readonly zxid: number;
  readonly version?: number;
  readonly session?: number;
}

export function isZkLogOp(op: Json): op is Json & ZkLogOp {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) return false;
  const o = op as { w?: unknown; t?: unknown; s?: unknown; a?: unknown };
  if (typeof o.t !== 'number' || !Number.isFinite(o.t)) return false;
  const named = o.s !== undefined;
  if (named && !(typeof o.s === 'number' && Number.isSafeInteger(o.s) && o.s >= 0)) return false;
  const keys = 2 + (named ? 1 : 0) + (o.a !== undefined ? 1 : 0);
  if (Object.keys(op).length !== keys) return false;
  const request = o.a === undefined ? { session: 0, op: o.w } : { session: 0, op: o.w, auth: o.a };
  return requestProblem(request) === undefined;
}

export class ZkMachine implements ZabStateMachine {
  readonly state: CoordState;
  /** Transactions delivered: the zxid of the last one. */
  position = 0;
  /** Each workload client's session, as the log created it (the client's connection). */
  private readonly sessionOf = new Map<string, number>();
  /** Each client's latest applied request and its answer, so a retry takes effect once. */
  private readonly last = new Map<string, { readonly seq: number; readonly result: Json }>();
  /** The lock's protected resource, replicated beside the tree (zk-resource.ts). */
  readonly resource: FencedStore;
  /** Told of every txn as it is applied, before its answer goes out (see `subscribe`). */
  private readonly listeners: ((txn: Txn) => void)[] = [];
  /**
   * Every session expiry applied, with the leader's clock and the session's timeout, when the
   * simulator asks for it (zk-session-judge.ts); undefined in a real process, where it would grow
   * for as long as the process runs.
   */
  expiryLog: ExpiryRecord[] | undefined;

  constructor(
    config: CoordConfig,
    private readonly mutant?: CoordMutant,
    fenceMutant?: FenceMutant,
  ) {
    this.state = new CoordState(config);
    this.resource = new FencedStore(fenceMutant);
  }

  valid(op: Json): boolean {
    return isZkLogOp(op) || isFenceLogOp(op);
  }

  /** The live session of `client`, or 0 when it has none (never connected, closed, expired). */
  sessionFor(client: string): number {
    const s = this.sessionOf.get(client);
    return s !== undefined && this.state.session(s) !== undefined ? s : 0;
  }

  apply(txn: ZabTxn): Json {
    this.position++;
    const zxid = this.position;
    const done = this.last.get(txn.client);
    if (done !== undefined && txn.seq <= done.seq) return txn.seq === done.seq ? done.result : null;
    let result: Json;
    if (isFenceLogOp(txn.op)) result = this.resource.act(txn.op.fence, zxid);
    else if (isZkLogOp(txn.op)) result = this.applyWrite(txn.client, txn.op, zxid);
    else return null;
    this.last.set(txn.client, { seq: txn.seq, result });
    return result;
  }

  private applyWrite(client: string, op: ZkLogOp, zxid: number): Json {
    if (op.s !== undefined) return this.applyNamed(op.s, op, zxid);
    const live = this.sessionFor(client);
    // A connected client's connect is answered with its session, as a reconnect is.
    if (op.w.type === 'createSession' && live !== 0) {
      return { code: ZK_ERR.OK, zxid, session: live };
    }
    const session = op.w.type === 'expireSession' ? 0 : live;
    const request = op.a === undefined ? { session, op: op.w } : { session, op: op.w, auth: op.a };
    const prepared = prepare(this.state, request, zxid, op.t, this.mutant);
    if (!prepared.ok) {
      return op.w.type === 'multi'
        ? { code: prepared.code, zxid, results: [...(prepared.opCodes ?? [])] }
        : { code: prepared.code, zxid };
    }
    if (op.w.type === 'expireSession' && this.expiryLog !== undefined) {
      const timeoutMs = this.state.session(op.w.target)?.timeout;
      if (timeoutMs !== undefined) {
        this.expiryLog.push({ session: op.w.target, at: op.t, timeoutMs });
      }
    }
    const r: TxnResult = applyTxn(this.state, prepared.txn);
    this.told(prepared.txn);
    // One answer per op the txn applied, as ZooKeeper's MultiResponse: the judge counts them.
    if (r.type === 'multi') return { code: ZK_ERR.OK, zxid, results: r.results.map(() => 0) };
    // A sequential create's answer names the node it made (only the lock and queue ops ask).
    if (r.type === 'create' && op.w.type === 'create' && op.w.mode.endsWith('Sequential')) {
      return { code: ZK_ERR.OK, zxid, path: r.path };
    }
    if (r.type === 'createSession') {
      this.sessionOf.set(client, r.session);
      return { code: ZK_ERR.OK, zxid, session: r.session };
    }
    if (r.type === 'setData' || r.type === 'create') {
      return { code: ZK_ERR.OK, zxid, version: r.stat.version };
    }
    return { code: ZK_ERR.OK, zxid };
  }

  /** A wire client's write (zk-wire-ops.ts): answered with the whole result the wire needs. */
  private applyNamed(session: number, op: ZkLogOp, zxid: number): Json {
    const request = op.a === undefined ? { session, op: op.w } : { session, op: op.w, auth: op.a };
    const prepared = prepare(this.state, request, zxid, op.t, this.mutant);
    if (!prepared.ok) {
      const codes = prepared.opCodes;
      return { code: prepared.code, zxid, ...(codes !== undefined ? { opCodes: [...codes] } : {}) };
    }
    const r: TxnResult = applyTxn(this.state, prepared.txn);
    this.told(prepared.txn);
    return { code: ZK_ERR.OK, zxid, r: r as unknown as Json };
  }

  /**
   * Tells `listener` of every txn applied to the tree, in order, before its answer goes out: the
   * simulated server's watches and a real client port's (replicated-backend.ts) hang on it.
   * Returns the function that stops it.
   */
  subscribe(listener: (txn: Txn) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private told(txn: Txn): void {
    for (const listener of this.listeners) listener(txn);
  }

  recall(client: string, seq: number): { readonly result: Json } | undefined {
    const s = this.last.get(client);
    return s !== undefined && s.seq === seq ? { result: s.result } : undefined;
  }

  summary(): Record<string, Json> {
    return {
      zxid: this.position,
      znodes: this.state.nodes.size,
      sessions: this.state.sessions.size,
    };
  }
}
