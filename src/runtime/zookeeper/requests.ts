/**
 * The client requests of zookeeper.jute, as one union keyed by operation code, with their
 * decoders (what the server reads after a RequestHeader) and encoders (what a client writes;
 * the tests use them to speak the protocol byte for byte). Operations not listed here are
 * answered UNIMPLEMENTED by the server rather than misread.
 */
import { OpCode } from './constants.js';
import type { JuteReader, JuteWriter } from './jute.js';
import { JuteError } from './jute.js';
import {
  ACL_MIN_BYTES,
  MULTI_END,
  readACL,
  readMultiHeader,
  writeACL,
  writeMultiHeader,
  type ACL,
} from './records.js';

type Op = typeof OpCode;

export interface CreateRequest {
  readonly type: Op['create'] | Op['create2'] | Op['createContainer'];
  readonly path: string;
  readonly data: Buffer;
  readonly acl: readonly ACL[];
  readonly flags: number;
}

export interface CreateTTLRequest {
  readonly type: Op['createTTL'];
  readonly path: string;
  readonly data: Buffer;
  readonly acl: readonly ACL[];
  readonly flags: number;
  readonly ttl: bigint;
}

export interface DeleteRequest {
  readonly type: Op['delete'];
  readonly path: string;
  readonly version: number;
}

export interface CheckRequest {
  readonly type: Op['check'];
  readonly path: string;
  readonly version: number;
}

export interface SetDataRequest {
  readonly type: Op['setData'];
  readonly path: string;
  readonly data: Buffer;
  readonly version: number;
}

/** Reads that may leave a watch: exists, getData, getChildren, getChildren2. */
export interface WatchableReadRequest {
  readonly type: Op['exists'] | Op['getData'] | Op['getChildren'] | Op['getChildren2'];
  readonly path: string;
  readonly watch: boolean;
}

/** Requests of a path alone. */
export interface PathRequest {
  readonly type: Op['getAllChildrenNumber'] | Op['sync'];
  readonly path: string;
}

/** The ops a multi may carry (a multiRead carries getData and getChildren). */
export type MultiOp =
  | CreateRequest
  | CreateTTLRequest
  | DeleteRequest
  | CheckRequest
  | SetDataRequest
  | (WatchableReadRequest & { readonly type: Op['getData'] | Op['getChildren'] });

export interface MultiRequest {
  readonly type: Op['multi'] | Op['multiRead'];
  readonly ops: readonly MultiOp[];
}

export interface SetWatchesRequest {
  readonly type: Op['setWatches'] | Op['setWatches2'];
  readonly relativeZxid: bigint;
  readonly dataWatches: readonly string[];
  readonly existWatches: readonly string[];
  readonly childWatches: readonly string[];
  /** Only setWatches2 carries the two persistent lists; setWatches reads them as empty. */
  readonly persistentWatches: readonly string[];
  readonly persistentRecursiveWatches: readonly string[];
}

export interface AddWatchRequest {
  readonly type: Op['addWatch'];
  readonly path: string;
  readonly mode: number;
}

export interface GetACLRequest {
  readonly type: Op['getACL'];
  readonly path: string;
}

export interface SetACLRequest {
  readonly type: Op['setACL'];
  readonly path: string;
  readonly acl: readonly ACL[];
  /** The aversion expected, -1 for any. */
  readonly version: number;
}

export interface CloseSessionRequest {
  readonly type: Op['closeSession'];
}

/** Every request the backend may be asked to serve. */
export type ZkRequest =
  | MultiOp
  | WatchableReadRequest
  | PathRequest
  | MultiRequest
  | SetWatchesRequest
  | AddWatchRequest
  | GetACLRequest
  | SetACLRequest
  | CloseSessionRequest;

export type ZkRequestType = ZkRequest['type'];

const SERVED: ReadonlySet<number> = new Set<number>([
  OpCode.create,
  OpCode.create2,
  OpCode.createContainer,
  OpCode.createTTL,
  OpCode.delete,
  OpCode.check,
  OpCode.setData,
  OpCode.exists,
  OpCode.getData,
  OpCode.getChildren,
  OpCode.getChildren2,
  OpCode.getAllChildrenNumber,
  OpCode.sync,
  OpCode.multi,
  OpCode.multiRead,
  OpCode.setWatches,
  OpCode.setWatches2,
  OpCode.addWatch,
  OpCode.getACL,
  OpCode.setACL,
  OpCode.closeSession,
]);

export function isServedType(type: number): type is ZkRequestType {
  return SERVED.has(type);
}

/** Decodes the body that follows a RequestHeader of `type` (a served type). */
export function readRequest(type: ZkRequestType, r: JuteReader): ZkRequest {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer: {
      const path = r.ustring();
      const data = r.buffer();
      const acl = r.vector(ACL_MIN_BYTES, readACL);
      return { type, path, data, acl, flags: r.int() };
    }
    case OpCode.createTTL: {
      const path = r.ustring();
      const data = r.buffer();
      const acl = r.vector(ACL_MIN_BYTES, readACL);
      const flags = r.int();
      return { type, path, data, acl, flags, ttl: r.long() };
    }
    case OpCode.delete:
    case OpCode.check: {
      const path = r.ustring();
      return { type, path, version: r.int() };
    }
    case OpCode.setData: {
      const path = r.ustring();
      const data = r.buffer();
      return { type, path, data, version: r.int() };
    }
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getChildren:
    case OpCode.getChildren2: {
      const path = r.ustring();
      return { type, path, watch: r.bool() };
    }
    case OpCode.getAllChildrenNumber:
    case OpCode.sync:
      return { type, path: r.ustring() };
    case OpCode.multi:
    case OpCode.multiRead:
      return { type, ops: readMultiOps(type, r) };
    case OpCode.setWatches:
    case OpCode.setWatches2: {
      const relativeZxid = r.long();
      const dataWatches = r.ustrings();
      const existWatches = r.ustrings();
      const childWatches = r.ustrings();
      const two = type === OpCode.setWatches2;
      const persistentWatches = two ? r.ustrings() : [];
      const persistentRecursiveWatches = two ? r.ustrings() : [];
      return {
        type,
        relativeZxid,
        dataWatches,
        existWatches,
        childWatches,
        persistentWatches,
        persistentRecursiveWatches,
      };
    }
    case OpCode.addWatch: {
      const path = r.ustring();
      return { type, path, mode: r.int() };
    }
    case OpCode.getACL:
      return { type, path: r.ustring() };
    case OpCode.setACL: {
      const path = r.ustring();
      const acl = r.vector(ACL_MIN_BYTES, readACL);
      return { type, path, acl, version: r.int() };
    }
    case OpCode.closeSession:
      return { type };
  }
}

/** Which op types each kind of multi may hold. */
const MULTI_OPS: Record<MultiRequest['type'], ReadonlySet<number>> = {
  [OpCode.multi]: new Set<number>([
    OpCode.create,
    OpCode.create2,
    OpCode.createContainer,
    OpCode.createTTL,
    OpCode.delete,
    OpCode.check,
    OpCode.setData,
  ]),
  [OpCode.multiRead]: new Set<number>([OpCode.getData, OpCode.getChildren]),
};

/** The smallest a MultiHeader can be; it bounds how many ops a packet can hold. */
const MULTI_HEADER_BYTES = 9;

function readMultiOps(kind: MultiRequest['type'], r: JuteReader): MultiOp[] {
  const ops: MultiOp[] = [];
  for (;;) {
    const h = readMultiHeader(r);
    if (h.done) return ops;
    if (!MULTI_OPS[kind].has(h.type) || !isServedType(h.type)) {
      throw new JuteError('unknown-type', `op type ${h.type} inside a multi of type ${kind}`);
    }
    const op = readRequest(h.type, r);
    if (!isMultiOp(op)) throw new JuteError('unknown-type', `op type ${h.type} in a multi`);
    ops.push(op);
    // Each op consumed at least a header, so the loop ends within packet/9 turns.
    if (r.remaining < MULTI_HEADER_BYTES) {
      throw new JuteError('truncated', 'multi request ends without its done header');
    }
  }
}

function isMultiOp(req: ZkRequest): req is MultiOp {
  return MULTI_OPS[OpCode.multi].has(req.type) || MULTI_OPS[OpCode.multiRead].has(req.type);
}

/** Encodes a request's body (what follows the RequestHeader). */
export function writeRequest(w: JuteWriter, req: ZkRequest): void {
  switch (req.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
      w.ustring(req.path).buffer(req.data).vector(req.acl, writeACL).int(req.flags);
      return;
    case OpCode.createTTL:
      w.ustring(req.path).buffer(req.data).vector(req.acl, writeACL).int(req.flags);
      w.long(req.ttl);
      return;
    case OpCode.delete:
    case OpCode.check:
      w.ustring(req.path).int(req.version);
      return;
    case OpCode.setData:
      w.ustring(req.path).buffer(req.data).int(req.version);
      return;
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getChildren:
    case OpCode.getChildren2:
      w.ustring(req.path).bool(req.watch);
      return;
    case OpCode.getAllChildrenNumber:
    case OpCode.sync:
      w.ustring(req.path);
      return;
    case OpCode.multi:
    case OpCode.multiRead:
      for (const op of req.ops) {
        writeMultiHeader(w, { type: op.type, done: false, err: -1 });
        writeRequest(w, op);
      }
      writeMultiHeader(w, MULTI_END);
      return;
    case OpCode.setWatches:
    case OpCode.setWatches2:
      w.long(req.relativeZxid).ustrings(req.dataWatches).ustrings(req.existWatches);
      w.ustrings(req.childWatches);
      if (req.type === OpCode.setWatches2) {
        w.ustrings(req.persistentWatches).ustrings(req.persistentRecursiveWatches);
      }
      return;
    case OpCode.addWatch:
      w.ustring(req.path).int(req.mode);
      return;
    case OpCode.getACL:
      w.ustring(req.path);
      return;
    case OpCode.setACL:
      w.ustring(req.path).vector(req.acl, writeACL).int(req.version);
      return;
    case OpCode.closeSession:
      return;
  }
}
