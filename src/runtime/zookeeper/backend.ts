/**
 * What the wire front end (server.ts) needs from the service behind it. The front end owns
 * bytes, connections and reply order; the backend owns sessions, the znode tree, watches and
 * replication. A backend may answer requests out of order (a local read before a replicated
 * write); the front end still replies to each connection in request order.
 */
import type { ConnectRequest, Id, WatcherEvent } from './records.js';
import type { ZkRequest } from './requests.js';
import type { ZkResult } from './responses.js';

export interface SessionGrant {
  readonly sessionId: bigint;
  /** The negotiated session timeout in milliseconds (> 0). */
  readonly timeOut: number;
  /** The session's password: a client resuming the session must present it. */
  readonly passwd: Buffer;
  readonly readOnly: boolean;
}

/** A reply: `result` is required exactly when `err` is 0 (ErrCode.ok). */
export interface ZkReply {
  readonly zxid: bigint;
  readonly err: number;
  readonly result?: ZkResult;
}

/** What `stat` and `mntr` report about the service. */
export interface BackendInfo {
  /** 'leader', 'follower', 'observer' or 'standalone', as ZooKeeper names its modes. */
  readonly mode: string;
  readonly nodeCount: number;
  readonly watchCount: number;
  readonly ephemeralsCount: number;
  readonly approximateDataSize: number;
}

export interface ZkBackend {
  /**
   * Opens a session (sessionId 0) or resumes one. Undefined refuses it (expired, unknown or a
   * wrong password); the client then sees SESSION_EXPIRED.
   */
  connect(req: ConnectRequest): Promise<SessionGrant | undefined>;
  /**
   * Serves one request of the session. A rejection means the server cannot serve it now (lost
   * its leader, shutting down): the front end closes the connection and the client, seeing
   * CONNECTIONLOSS, retries elsewhere.
   */
  submit(sessionId: bigint, req: ZkRequest): Promise<ZkReply>;
  /** Every packet from a session's client counts as a sign of life (pings included). */
  touch(sessionId: bigint): void;
  /**
   * Routes the session's watch notifications to `sink` while a connection holds it; the
   * returned function detaches it when the connection goes (the session may live on). The
   * backend calls `end` when the session ends without the client asking (expiry): the front
   * end then closes the connection, as ZooKeeper does, and the client learns on reconnect.
   */
  attach(sessionId: bigint, sink: (event: WatcherEvent) => void, end?: () => void): () => void;
  /**
   * Adds an identity (verified by the front end) to the session's current connection: its
   * `ip` when the session is granted, then each digest auth. ACLs are checked against them;
   * identities belong to the connection, so a backend drops them when the session attaches anew.
   */
  addAuth(sessionId: bigint, id: Id): void;
  /** The last zxid this server has applied; a client that has seen a later one is refused. */
  lastZxid(): bigint;
  info(): BackendInfo;
}
