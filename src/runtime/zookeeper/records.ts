/**
 * The fixed records of zookeeper.jute that frame every exchange: the data records (Stat, Id,
 * ACL), the connect handshake, the request and reply headers, multi's per-op header, the auth
 * packet and the watch notification. Longs (zxids, session ids, times) stay bigint: a zxid's
 * epoch is its high 32 bits, past what a double holds exactly.
 */
import type { JuteReader, JuteWriter } from './jute.js';

export interface Stat {
  readonly czxid: bigint;
  readonly mzxid: bigint;
  readonly ctime: bigint;
  readonly mtime: bigint;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: bigint;
  readonly dataLength: number;
  readonly numChildren: number;
  readonly pzxid: bigint;
}

/** Six longs and five ints. */
export const STAT_BYTES = 68;

export function readStat(r: JuteReader): Stat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}

export function writeStat(w: JuteWriter, s: Stat): void {
  w.long(s.czxid).long(s.mzxid).long(s.ctime).long(s.mtime);
  w.int(s.version).int(s.cversion).int(s.aversion);
  w.long(s.ephemeralOwner).int(s.dataLength).int(s.numChildren).long(s.pzxid);
}

export interface Id {
  readonly scheme: string;
  readonly id: string;
}

export interface ACL {
  readonly perms: number;
  readonly id: Id;
}

/** perms + two empty strings. */
export const ACL_MIN_BYTES = 12;

export function readACL(r: JuteReader): ACL {
  const perms = r.int();
  return { perms, id: { scheme: r.ustring(), id: r.ustring() } };
}

export function writeACL(w: JuteWriter, a: ACL): void {
  w.int(a.perms).ustring(a.id.scheme).ustring(a.id.id);
}

export interface ConnectRequest {
  readonly protocolVersion: number;
  readonly lastZxidSeen: bigint;
  readonly timeOut: number;
  readonly sessionId: bigint;
  readonly passwd: Buffer;
  /**
   * Whether the client asked for a read-only session; undefined when it is an old client that
   * sent no such byte (then the response must not carry one either).
   */
  readonly readOnly: boolean | undefined;
}

export function readConnectRequest(r: JuteReader): ConnectRequest {
  const protocolVersion = r.int();
  const lastZxidSeen = r.long();
  const timeOut = r.int();
  const sessionId = r.long();
  const passwd = r.buffer();
  const readOnly = r.remaining > 0 ? r.bool() : undefined;
  return { protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly };
}

export function writeConnectRequest(w: JuteWriter, c: ConnectRequest): void {
  w.int(c.protocolVersion).long(c.lastZxidSeen).int(c.timeOut).long(c.sessionId).buffer(c.passwd);
  if (c.readOnly !== undefined) w.bool(c.readOnly);
}

export interface ConnectResponse {
  readonly protocolVersion: number;
  /** 0 refuses the session (expired or unknown): the client reports SESSION_EXPIRED. */
  readonly timeOut: number;
  readonly sessionId: bigint;
  readonly passwd: Buffer;
  /** Written only for clients that sent the byte themselves. */
  readonly readOnly: boolean | undefined;
}

export function readConnectResponse(r: JuteReader): ConnectResponse {
  const protocolVersion = r.int();
  const timeOut = r.int();
  const sessionId = r.long();
  const passwd = r.buffer();
  const readOnly = r.remaining > 0 ? r.bool() : undefined;
  return { protocolVersion, timeOut, sessionId, passwd, readOnly };
}

export function writeConnectResponse(w: JuteWriter, c: ConnectResponse): void {
  w.int(c.protocolVersion).int(c.timeOut).long(c.sessionId).buffer(c.passwd);
  if (c.readOnly !== undefined) w.bool(c.readOnly);
}

export interface RequestHeader {
  readonly xid: number;
  readonly type: number;
}

export function readRequestHeader(r: JuteReader): RequestHeader {
  return { xid: r.int(), type: r.int() };
}

export function writeRequestHeader(w: JuteWriter, h: RequestHeader): void {
  w.int(h.xid).int(h.type);
}

export interface ReplyHeader {
  readonly xid: number;
  readonly zxid: bigint;
  readonly err: number;
}

export function readReplyHeader(r: JuteReader): ReplyHeader {
  return { xid: r.int(), zxid: r.long(), err: r.int() };
}

export function writeReplyHeader(w: JuteWriter, h: ReplyHeader): void {
  w.int(h.xid).long(h.zxid).int(h.err);
}

/** Precedes each op of a multi request or result; `done` marks the end (type -1, err -1). */
export interface MultiHeader {
  readonly type: number;
  readonly done: boolean;
  readonly err: number;
}

export function readMultiHeader(r: JuteReader): MultiHeader {
  return { type: r.int(), done: r.bool(), err: r.int() };
}

export function writeMultiHeader(w: JuteWriter, h: MultiHeader): void {
  w.int(h.type).bool(h.done).int(h.err);
}

export const MULTI_END: MultiHeader = { type: -1, done: true, err: -1 };

export interface AuthPacket {
  readonly type: number;
  readonly scheme: string;
  readonly auth: Buffer;
}

export function readAuthPacket(r: JuteReader): AuthPacket {
  return { type: r.int(), scheme: r.ustring(), auth: r.buffer() };
}

export function writeAuthPacket(w: JuteWriter, a: AuthPacket): void {
  w.int(a.type).ustring(a.scheme).buffer(a.auth);
}

export interface WatcherEvent {
  readonly type: number;
  readonly state: number;
  readonly path: string;
}

export function readWatcherEvent(r: JuteReader): WatcherEvent {
  return { type: r.int(), state: r.int(), path: r.ustring() };
}

export function writeWatcherEvent(w: JuteWriter, e: WatcherEvent): void {
  w.int(e.type).int(e.state).ustring(e.path);
}
