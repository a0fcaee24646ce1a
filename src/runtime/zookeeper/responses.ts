/**
 * The bodies that follow a ReplyHeader whose err is 0, per request type: what the backend
 * returns as a ZkResult and how it goes on the wire. A failed request's reply is its header
 * alone. Inside a multi's result, a failed op is a MultiHeader of type -1 with its error,
 * followed by an ErrorResponse carrying the same code.
 */
import { OpCode } from './constants.js';
import type { JuteReader, JuteWriter } from './jute.js';
import { JuteError } from './jute.js';
import {
  ACL_MIN_BYTES,
  MULTI_END,
  readACL,
  readMultiHeader,
  readStat,
  writeACL,
  writeMultiHeader,
  writeStat,
  type ACL,
  type Stat,
} from './records.js';
import type { ZkRequestType } from './requests.js';

export type ZkResult =
  /** delete, check, setWatches(2), closeSession: nothing after the header. */
  | { readonly kind: 'none' }
  /** create (CreateResponse), sync (SyncResponse). */
  | { readonly kind: 'path'; readonly path: string }
  /** create2, createContainer, createTTL (Create2Response). */
  | { readonly kind: 'pathStat'; readonly path: string; readonly stat: Stat }
  /** exists, setData, setACL. */
  | { readonly kind: 'stat'; readonly stat: Stat }
  | { readonly kind: 'data'; readonly data: Buffer; readonly stat: Stat }
  | { readonly kind: 'children'; readonly children: readonly string[] }
  | { readonly kind: 'children2'; readonly children: readonly string[]; readonly stat: Stat }
  /** getAllChildrenNumber. */
  | { readonly kind: 'count'; readonly totalNumber: number }
  /** getACL (GetACLResponse). */
  | { readonly kind: 'acl'; readonly acl: readonly ACL[]; readonly stat: Stat }
  /** addWatch answers with an ErrorResponse whose err is 0. */
  | { readonly kind: 'errorResponse'; readonly err: number }
  | { readonly kind: 'multi'; readonly results: readonly MultiResult[] };

export type ZkResultKind = ZkResult['kind'];

/** One op's outcome in a multi: `err` 0 with the op's result, or an error code alone. */
export type MultiResult =
  | { readonly type: number; readonly err: 0; readonly result: ZkResult }
  | { readonly type: number; readonly err: number };

/** The result kind a successful request of each type carries. */
export function resultKind(type: number): ZkResultKind {
  switch (type) {
    case OpCode.create:
    case OpCode.sync:
      return 'path';
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return 'pathStat';
    case OpCode.exists:
    case OpCode.setData:
    case OpCode.setACL:
      return 'stat';
    case OpCode.getACL:
      return 'acl';
    case OpCode.getData:
      return 'data';
    case OpCode.getChildren:
      return 'children';
    case OpCode.getChildren2:
      return 'children2';
    case OpCode.getAllChildrenNumber:
      return 'count';
    case OpCode.addWatch:
      return 'errorResponse';
    case OpCode.multi:
    case OpCode.multiRead:
      return 'multi';
    default:
      return 'none';
  }
}

/** A backend answered with a result that is not the one its request type carries. */
export class ResultMismatchError extends Error {
  readonly code = 'result-mismatch';
  constructor(type: number, kind: ZkResultKind) {
    super(`a request of type ${type} cannot be answered with a '${kind}' result`);
    this.name = 'ResultMismatchError';
  }
}

/** Writes the body of a successful reply to a request of `type`. */
export function writeResult(w: JuteWriter, type: ZkRequestType | number, res: ZkResult): void {
  if (res.kind !== resultKind(type)) throw new ResultMismatchError(type, res.kind);
  switch (res.kind) {
    case 'none':
      return;
    case 'path':
      w.ustring(res.path);
      return;
    case 'pathStat':
      w.ustring(res.path);
      writeStat(w, res.stat);
      return;
    case 'stat':
      writeStat(w, res.stat);
      return;
    case 'data':
      w.buffer(res.data);
      writeStat(w, res.stat);
      return;
    case 'children':
      w.ustrings(res.children);
      return;
    case 'children2':
      w.ustrings(res.children);
      writeStat(w, res.stat);
      return;
    case 'count':
      w.int(res.totalNumber);
      return;
    case 'acl':
      w.vector(res.acl, writeACL);
      writeStat(w, res.stat);
      return;
    case 'errorResponse':
      w.int(res.err);
      return;
    case 'multi':
      for (const r of res.results) {
        if (r.err === 0 && 'result' in r) {
          writeMultiHeader(w, { type: r.type, done: false, err: 0 });
          writeResult(w, r.type, r.result);
        } else {
          writeMultiHeader(w, { type: OpCode.error, done: false, err: r.err });
          w.int(r.err);
        }
      }
      writeMultiHeader(w, MULTI_END);
      return;
  }
}

/** Reads the body of a successful reply to a request of `type` (the client's side). */
export function readResult(type: number, r: JuteReader): ZkResult {
  const kind = resultKind(type);
  switch (kind) {
    case 'none':
      return { kind };
    case 'path':
      return { kind, path: r.ustring() };
    case 'pathStat': {
      const path = r.ustring();
      return { kind, path, stat: readStat(r) };
    }
    case 'stat':
      return { kind, stat: readStat(r) };
    case 'data': {
      const data = r.buffer();
      return { kind, data, stat: readStat(r) };
    }
    case 'children':
      return { kind, children: r.ustrings() };
    case 'children2': {
      const children = r.ustrings();
      return { kind, children, stat: readStat(r) };
    }
    case 'count':
      return { kind, totalNumber: r.int() };
    case 'acl': {
      const acl = r.vector(ACL_MIN_BYTES, readACL);
      return { kind, acl, stat: readStat(r) };
    }
    case 'errorResponse':
      return { kind, err: r.int() };
    case 'multi': {
      const results: MultiResult[] = [];
      for (;;) {
        const h = readMultiHeader(r);
        if (h.done) return { kind, results };
        if (h.type === OpCode.error) {
          results.push({ type: h.type, err: r.int() });
        } else if (resultKind(h.type) === 'multi') {
          throw new JuteError('unknown-type', 'a multi result nested in a multi');
        } else {
          results.push({ type: h.type, err: 0, result: readResult(h.type, r) });
        }
      }
    }
  }
}
