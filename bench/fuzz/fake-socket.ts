/**
 * A stand-in for a net.Socket that the client and peer servers can accept: bytes are handed to
 * their 'data' handlers synchronously and what they write is captured, so the in-process
 * fuzzer runs the real handlers at hundreds of thousands of inputs a second, and an exception
 * a handler throws surfaces at the call that fed the input (a crash of the node, over a real
 * socket).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

export class FakeSocket extends EventEmitter {
  readonly written: Buffer[] = [];
  destroyed = false;
  writable = true;
  writableLength = 0;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 40000;
  private decoder: StringDecoder | null = null;

  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  setEncoding(encoding: BufferEncoding): this {
    this.decoder = new StringDecoder(encoding);
    return this;
  }
  write(data: string | Buffer): boolean {
    this.written.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    return true;
  }
  end(): this {
    this.writable = false;
    return this;
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.writable = false;
    this.emit('close', false);
    return this;
  }

  /** Delivers bytes as the kernel might (the caller chooses the chunking). */
  receive(chunk: Buffer): void {
    if (this.destroyed) return;
    this.emit('data', this.decoder === null ? chunk : this.decoder.write(chunk));
  }

  asSocket(): Socket {
    // The servers use only the members above; a test fails at once if one starts using another.
    return this as unknown as Socket;
  }
}

/** Calls a server's private `accept(socket)`, which its net.Server would call. */
export function acceptOn(server: object, socket: FakeSocket): void {
  const accept = (server as { accept?: unknown }).accept;
  if (typeof accept !== 'function') {
    throw new Error(`${server.constructor.name} has no accept(socket) method to fuzz`);
  }
  (accept as (s: Socket) => void).call(server, socket.asSocket());
}
