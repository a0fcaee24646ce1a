/**
 * One ZooKeeper server with no replication: requests are prepared, numbered and applied at once.
 * It is what the tests and the recipes' in-memory harness run on; a replicated server does the
 * same three steps with Zab between prepare (on the leader) and apply (on every replica).
 */
import type { AclId } from './acl.js';
import { CoordState, type CoordConfig } from './data-tree.js';
import { read, type ReadReply, type ReadRequest } from './reads.js';
import { prepare, type CoordMutant, type Request, type WriteRequest } from './requests.js';
import { expiredNodes, expiredSessions } from './sessions.js';
import { applyTxn, type Txn, type TxnResult } from './txns.js';
import { WatchManager, txnEvents, type WatchMutant } from './watches.js';
import { ZK_ERR, type ZkErrorCode } from './zk-codes.js';

export type WriteReply =
  | { readonly ok: true; readonly result: TxnResult; readonly zxid: number }
  | { readonly ok: false; readonly code: ZkErrorCode; readonly opCodes?: readonly ZkErrorCode[] };

export interface SingleServerOptions {
  readonly config?: CoordConfig;
  /** Start from this state (e.g. a restored snapshot) instead of an empty tree. */
  readonly state?: CoordState;
  readonly mutant?: CoordMutant;
  readonly watchMutant?: WatchMutant;
}

export class SingleServer {
  readonly state: CoordState;
  readonly watches: WatchManager;
  /** Every committed txn, in order (the log a replicated server would hold). */
  readonly log: Txn[] = [];
  /** When the server last heard from each session (its requests and pings). */
  readonly lastHeard = new Map<number, number>();
  private readonly mutant: CoordMutant | undefined;

  constructor(opts: SingleServerOptions = {}) {
    this.state = opts.state ?? new CoordState(opts.config);
    this.watches = new WatchManager(opts.watchMutant);
    this.mutant = opts.mutant;
  }

  /** `auth`: the identities of the asking connection, which ACLs are checked against. */
  write(session: number, op: WriteRequest, time: number, auth?: readonly AclId[]): WriteReply {
    if (session !== 0) this.lastHeard.set(session, time);
    const request: Request = auth === undefined ? { session, op } : { session, op, auth };
    const prepared = prepare(this.state, request, this.state.lastZxid() + 1, time, this.mutant);
    if (!prepared.ok) return prepared;
    const result = this.commit(prepared.txn);
    if (result.type === 'createSession') this.lastHeard.set(result.session, time);
    return { ok: true, result, zxid: prepared.txn.zxid };
  }

  read(session: number, req: ReadRequest, time: number, auth?: readonly AclId[]): ReadReply {
    if (this.state.session(session) === undefined)
      return { ok: false, code: ZK_ERR.SESSIONEXPIRED };
    this.lastHeard.set(session, time);
    return read(this.state, this.watches, session, req, auth);
  }

  ping(session: number, time: number): void {
    this.lastHeard.set(session, time);
  }

  /** The leader's duties at `now`: expire silent sessions, delete due containers and TTL nodes. */
  tick(now: number): void {
    for (const id of expiredSessions(this.state, this.lastHeard, now)) {
      this.write(0, { type: 'expireSession', target: id }, now);
    }
    for (const path of expiredNodes(this.state, now)) {
      this.write(0, { type: 'deleteContainer', path }, now);
    }
  }

  private commit(txn: Txn): TxnResult {
    const result = applyTxn(this.state, txn);
    this.log.push(txn);
    this.watches.trigger(txnEvents(txn));
    if (txn.body.type === 'closeSession') {
      this.watches.removeSession(txn.body.session);
      this.lastHeard.delete(txn.body.session);
    }
    return result;
  }
}
