/**
 * The writes a real ZooKeeper client port (src/runtime/zookeeper/replicated-backend.ts) hands a
 * zookeeper server. The simulated clients' ops (zk-client-ops.ts) find their session by client
 * name; a wire client's session moves between servers and one connection pipelines many
 * requests, so a wire op names its session (`s`, 0 for a new session's createSession) and carries
 * the coordination request itself. Its answer carries the whole TxnResult (stat, path, per-op
 * results) that a wire reply is built from.
 */
import type { Json } from '../../core/json.js';
import { requestProblem } from '../coordination/coord-schemas.js';
import type { AclId } from '../coordination/acl.js';
import type { WriteRequest } from '../coordination/requests.js';
import type { TxnResult } from '../coordination/txns.js';
import { ZK_ERR } from '../coordination/zk-codes.js';

export interface WireWriteOp {
  readonly f: 'wire';
  /** The asking session; 0 for createSession. */
  readonly s: number;
  /** The highest zxid the client has seen: a server behind it refuses the op. */
  readonly seen: number;
  readonly w: WriteRequest;
  /** The identities of the connection that sent it (its ip, its digest auths); absent: none. */
  readonly a?: readonly AclId[];
}

/** A wire write's answer: ZooKeeper's code, the zxid of its place in the log, what it did. */
export interface WireWriteResult {
  readonly code: number;
  readonly zxid: number;
  /** When code is 0. */
  readonly r?: TxnResult;
  /** A refused multi's per-op codes. */
  readonly opCodes?: readonly number[];
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** The op when it is a well-formed wire write, else undefined. Leader-only requests never are. */
export function parseWireOp(op: Json): WireWriteOp | undefined {
  if (!isObj(op) || op.f !== 'wire') return undefined;
  const { s, seen, w, a } = op;
  const keys = a === undefined ? 4 : 5;
  if (!isInt(s) || s < 0 || !isInt(seen) || seen < 0 || Object.keys(op).length !== keys) {
    return undefined;
  }
  const request = a === undefined ? { session: s, op: w } : { session: s, op: w, auth: a };
  if (requestProblem(request) !== undefined) return undefined;
  const req = w as unknown as WriteRequest;
  // Expiry and container clean-up are the leader's own decisions, never a client's.
  if (req.type === 'expireSession' || req.type === 'deleteContainer') return undefined;
  // A new session has no id yet; any other op under session 0 is refused by prepare, but still
  // takes its place in the log (the client port's barrier while it looks for a session).
  if (req.type === 'createSession' && s !== 0) return undefined;
  const auth = a as readonly AclId[] | undefined;
  return { f: 'wire', s, seen, w: req, ...(auth !== undefined ? { a: auth } : {}) };
}

/** A wire write's answer, checked (it crossed the node boundary as plain JSON). */
export function wireResultOf(value: Json | undefined): WireWriteResult | undefined {
  if (!isObj(value)) return undefined;
  const { code, zxid, r, opCodes } = value;
  if (!isInt(code) || !isInt(zxid) || zxid < 0) return undefined;
  if (code === ZK_ERR.OK) {
    if (!isObj(r)) return undefined;
    return { code, zxid, r: r as unknown as TxnResult };
  }
  if (opCodes !== undefined && !(Array.isArray(opCodes) && opCodes.every(isInt))) {
    return undefined;
  }
  return { code, zxid, ...(opCodes !== undefined ? { opCodes } : {}) };
}
