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
import { applyTxn, type TxnResult } from '../coordination/txns.js';
import { ZK_ERR } from '../coordination/zk-codes.js';

/** What the log holds for one write: the request and the clock of the server that took it. */
export interface ZkLogOp {
  readonly w: WriteRequest;
  readonly t: number;
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
  const o = op as { w?: unknown; t?: unknown; a?: unknown };
  if (typeof o.t !== 'number' || !Number.isFinite(o.t)) return false;
  const keys = Object.keys(op).length;
  if (o.a === undefined) return keys === 2 && requestProblem({ session: 0, op: o.w }) === undefined;
  return keys === 3 && requestProblem({ session: 0, op: o.w, auth: o.a }) === undefined;
}

export class ZkMachine implements ZabStateMachine {
  readonly state: CoordState;
  /** Transactions delivered: the zxid of the last one. */
  position = 0;
  /** Each workload client's session, as the log created it (the client's connection). */
  private readonly sessionOf = new Map<string, number>();
  /** Each client's latest applied request and its answer, so a retry takes effect once. */
  private readonly last = new Map<string, { readonly seq: number; readonly result: Json }>();

  constructor(
    config: CoordConfig,
    private readonly mutant?: CoordMutant,
  ) {
    this.state = new CoordState(config);
  }

  valid(op: Json): boolean {
    return isZkLogOp(op);
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
    if (!isZkLogOp(txn.op)) return null;
    const result = this.applyWrite(txn.client, txn.op, zxid);
    this.last.set(txn.client, { seq: txn.seq, result });
    return result;
  }

  private applyWrite(client: string, op: ZkLogOp, zxid: number): Json {
    const live = this.sessionFor(client);
    // A connected client's connect is answered with its session, as a reconnect is.
    if (op.w.type === 'createSession' && live !== 0) {
      return { code: ZK_ERR.OK, zxid, session: live };
    }
    const session = op.w.type === 'expireSession' ? 0 : live;
    const request = op.a === undefined ? { session, op: op.w } : { session, op: op.w, auth: op.a };
    const prepared = prepare(this.state, request, zxid, op.t, this.mutant);
    if (!prepared.ok) return { code: prepared.code, zxid };
    const r: TxnResult = applyTxn(this.state, prepared.txn);
    if (r.type === 'createSession') {
      this.sessionOf.set(client, r.session);
      return { code: ZK_ERR.OK, zxid, session: r.session };
    }
    if (r.type === 'setData' || r.type === 'create') {
      return { code: ZK_ERR.OK, zxid, version: r.stat.version };
    }
    return { code: ZK_ERR.OK, zxid };
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
