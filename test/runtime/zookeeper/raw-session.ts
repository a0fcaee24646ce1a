/**
 * A minimal ZooKeeper client over the jute codec, for what node-zookeeper-client 1.1 cannot send
 * (sync: it drops the connection on the reply) and for handshakes with a chosen lastZxidSeen.
 * One connection, requests answered in order; no reconnects, no watches.
 */
import { connect, type Socket } from 'node:net';
import { OpCode } from '../../../src/runtime/zookeeper/constants.js';
import { JuteReader, JuteWriter } from '../../../src/runtime/zookeeper/jute.js';
import { PacketReader } from '../../../src/runtime/zookeeper/packets.js';
import {
  readConnectResponse,
  readReplyHeader,
  writeConnectRequest,
  writeRequestHeader,
  type ConnectResponse,
} from '../../../src/runtime/zookeeper/records.js';
import { writeRequest, type ZkRequest } from '../../../src/runtime/zookeeper/requests.js';
import { readResult, type ZkResult } from '../../../src/runtime/zookeeper/responses.js';

export interface RawReply {
  readonly zxid: bigint;
  readonly err: number;
  readonly result?: ZkResult;
}

export class RawSession {
  private xid = 0;
  /** The highest zxid a reply carried (what a real client sends as lastZxidSeen). */
  lastZxid = 0n;
  private readonly waiting: {
    type: number;
    resolve: (r: RawReply) => void;
    reject: (e: Error) => void;
  }[] = [];
  private closedWith: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly grant: ConnectResponse,
    reader: PacketReader,
  ) {
    socket.on('data', (d: Buffer) => {
      for (const p of reader.push(d)) {
        if (p.kind !== 'packet') continue;
        const r = new JuteReader(p.body);
        const h = readReplyHeader(r);
        if (h.xid === -1) continue; // a watch notification
        if (h.zxid > this.lastZxid) this.lastZxid = h.zxid;
        const w = this.waiting.shift();
        if (w === undefined) continue;
        const result = h.err === 0 ? readResult(w.type, r) : undefined;
        w.resolve({ zxid: h.zxid, err: h.err, ...(result !== undefined ? { result } : {}) });
      }
    });
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /**
   * Opens a session, or rejects when the server closes the connection without answering (it is
   * behind `lastZxidSeen`, or not serving).
   */
  static open(
    port: number,
    o: { lastZxidSeen?: bigint; timeOut?: number; sessionId?: bigint; passwd?: Buffer } = {},
  ): Promise<RawSession> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      const reader = new PacketReader();
      const onData = (d: Buffer): void => {
        for (const p of reader.push(d)) {
          if (p.kind !== 'packet') continue;
          socket.off('data', onData);
          const grant = readConnectResponse(new JuteReader(p.body));
          if (grant.sessionId === 0n) {
            socket.destroy();
            reject(new Error('session refused'));
            return;
          }
          resolve(new RawSession(socket, grant, reader));
          return;
        }
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed before the handshake answer')));
      socket.on('error', () => undefined);
      socket.once('connect', () => {
        const w = new JuteWriter();
        writeConnectRequest(w, {
          protocolVersion: 0,
          lastZxidSeen: o.lastZxidSeen ?? 0n,
          timeOut: o.timeOut ?? 10_000,
          sessionId: o.sessionId ?? 0n,
          passwd: o.passwd ?? Buffer.alloc(16),
          readOnly: false,
        });
        socket.write(w.frame());
      });
    });
  }

  call(req: ZkRequest): Promise<RawReply> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      this.waiting.push({ type: req.type, resolve, reject });
      const w = new JuteWriter();
      writeRequestHeader(w, { xid: ++this.xid, type: req.type });
      writeRequest(w, req);
      this.socket.write(w.frame());
    });
  }

  /** sync, then the children of `path` (the state after everything committed before the sync). */
  async syncedChildren(path: string): Promise<string[]> {
    const synced = this.call({ type: OpCode.sync, path });
    const listed = this.call({ type: OpCode.getChildren, path, watch: false });
    const s = await synced;
    if (s.err !== 0) throw new Error(`sync ${path}: error ${s.err}`);
    const l = await listed;
    if (l.err !== 0 || l.result?.kind !== 'children')
      throw new Error(`getChildren ${path}: ${l.err}`);
    return [...l.result.children];
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(e: Error): void {
    this.closedWith = e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }
}
