/**
 * The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL runs it inside
 * AuthenticationSASL: no channel binding (only SCRAM-SHA-256 is offered, not -PLUS), the
 * iteration count PostgreSQL uses, a fresh server nonce per attempt. The password itself is
 * never kept: only the stored and server keys derived from it with a random salt.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';
export const SCRAM_ITERATIONS = 4096;

export type ScramErrorCode = 'malformed' | 'channel-binding' | 'nonce' | 'proof';

export class ScramError extends Error {
  constructor(
    readonly code: ScramErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ScramError';
  }
}

/** What the server keeps of a password. */
export interface ScramSecret {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();
const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

export function scramSecret(
  password: string,
  salt = randomBytes(16),
  iterations = SCRAM_ITERATIONS,
): ScramSecret {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  return {
    salt,
    iterations,
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** `a=1,b=2` → {a: '1', b: '2'}; a repeated or unnamed attribute is malformed. */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const m = /^([A-Za-z])=(.*)$/s.exec(part);
    if (m === null || out.has(m[1] as string))
      throw new ScramError('malformed', 'malformed SCRAM message');
    out.set(m[1] as string, m[2] as string);
  }
  return out;
}

/** One authentication exchange: client-first → server-first, client-final → server-final. */
export class ScramExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private gs2 = '';

  constructor(
    private readonly secret: ScramSecret,
    private readonly serverNonce = randomBytes(18).toString('base64'),
  ) {}

  /** Reads the client-first-message; returns the server-first-message. */
  first(clientFirst: string): string {
    // gs2-header: 'n' (no binding), 'y' (client could bind but thinks we cannot), 'p=…' (binds).
    const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(clientFirst);
    if (m === null) throw new ScramError('malformed', 'malformed SCRAM client-first-message');
    if ((m[1] as string).startsWith('p=')) {
      throw new ScramError('channel-binding', 'channel binding is not supported');
    }
    this.gs2 = `${m[1] as string},${m[2] ?? ''},`;
    this.clientFirstBare = m[3] as string;
    const attrs = attributes(this.clientFirstBare);
    const cnonce = attrs.get('r');
    if (cnonce === undefined || cnonce === '' || !attrs.has('n')) {
      throw new ScramError('malformed', 'SCRAM client-first-message without a nonce or name');
    }
    this.nonce = cnonce + this.serverNonce;
    this.serverFirst = `r=${this.nonce},s=${this.secret.salt.toString('base64')},i=${this.secret.iterations}`;
    return this.serverFirst;
  }

  /**
   * Checks the client-final-message's proof; returns the server-final-message. `checkProof`
   * false is the wire layer's any-password mutant, never a configuration.
   */
  final(clientFinal: string, checkProof = true): string {
    const cut = clientFinal.lastIndexOf(',p=');
    if (cut < 0) throw new ScramError('malformed', 'SCRAM client-final-message without a proof');
    const withoutProof = clientFinal.slice(0, cut);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(this.gs2).toString('base64')) {
      throw new ScramError('channel-binding', 'SCRAM channel binding data does not match');
    }
    if (attrs.get('r') !== this.nonce) throw new ScramError('nonce', 'SCRAM nonce does not match');
    const proof = Buffer.from(clientFinal.slice(cut + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(this.secret.storedKey, authMessage);
    if (checkProof) this.checkProof(proof, signature);
    return `v=${hmac(this.secret.serverKey, authMessage).toString('base64')}`;
  }

  private checkProof(proof: Buffer, signature: Buffer): void {
    if (proof.length !== signature.length) throw new ScramError('proof', 'wrong password');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++)
      clientKey[i] = (proof[i] as number) ^ (signature[i] as number);
    if (!timingSafeEqual(sha256(clientKey), this.secret.storedKey)) {
      throw new ScramError('proof', 'wrong password');
    }
  }
}
