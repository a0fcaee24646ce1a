/** A byte-level PostgreSQL client for tests that send what no driver would. */
import { connect, type Socket } from 'node:net';

export interface Msg {
  readonly type: string;
  readonly body: Buffer;
}

export function frame(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

export const cstr = (s: string): Buffer => Buffer.from(s + '\0', 'utf8');

export function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export function startupPacket(params: Record<string, string>): Buffer {
  const body = Buffer.concat([
    int32(196608),
    ...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]),
    Buffer.from([0]),
  ]);
  return Buffer.concat([int32(body.length + 4), body]);
}

/** The SQLSTATE (C field) of an ErrorResponse body. */
export function errorCode(body: Buffer): string {
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const field = String.fromCharCode(body[at] as number);
    const end = body.indexOf(0, at + 1);
    if (field === 'C') return body.toString('utf8', at + 1, end);
    at = end + 1;
  }
  return '';
}

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  /** Single bytes seen before any framed message (the answer to an SSLRequest). */
  expectByte = false;
  private bytes: string[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async more(ms: number): Promise<boolean> {
    if (this.closed) return false;
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  /** The next single byte (an SSLRequest's answer). */
  async byte(ms = 5000): Promise<string> {
    while (this.buf.length < 1) if (!(await this.more(ms))) throw new Error('no byte');
    const c = String.fromCharCode(this.buf[0] as number);
    this.buf = this.buf.subarray(1);
    this.bytes.push(c);
    return c;
  }

  /** The next message, or null if the server closed (or said nothing for `ms`). */
  async next(ms = 5000): Promise<Msg | null> {
    for (;;) {
      if (this.buf.length >= 5) {
        const len = this.buf.readInt32BE(1);
        if (this.buf.length >= len + 1) {
          const m = {
            type: String.fromCharCode(this.buf[0] as number),
            body: this.buf.subarray(5, len + 1),
          };
          this.buf = this.buf.subarray(len + 1);
          return m;
        }
      }
      if (!(await this.more(ms))) return null;
    }
  }

  /** Messages up to and including the next ReadyForQuery (or until the connection ends). */
  async untilReady(ms = 5000): Promise<Msg[]> {
    const out: Msg[] = [];
    for (;;) {
      const m = await this.next(ms);
      if (m === null) return out;
      out.push(m);
      if (m.type === 'Z') return out;
    }
  }

  /** Connects as root to defaultdb and reads up to the first ReadyForQuery. */
  async login(): Promise<Msg[]> {
    this.write(startupPacket({ user: 'root', database: 'defaultdb' }));
    return this.untilReady();
  }

  end(): void {
    this.socket.destroy();
  }
}

export const types = (ms: readonly Msg[]): string => ms.map((m) => m.type).join('');
