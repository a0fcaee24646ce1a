/**
 * Peer authentication: every member holds the cluster secret, and each peer connection starts
 * with a mutual HMAC challenge–response, so neither side learns anything from a stranger and a
 * recorded handshake cannot be replayed (both sides contribute a fresh nonce).
 *
 *   dialer → acceptor   {t:'hello', v:1, from, to, nonce: Nd}
 *   acceptor → dialer   {t:'challenge', nonce: Na, proof: HMAC(secret, acceptor|from|to|Nd|Na)}
 *   dialer → acceptor   {t:'auth', proof: HMAC(secret, dialer|from|to|Nd|Na)}
 *
 * The dialer checks the acceptor's proof before sending anything else; the acceptor drops the
 * connection unless the dialer's proof checks out. After that each frame is one message.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const PROTOCOL_VERSION = 1;
/** Shortest secret accepted, in bytes of the secret file's trimmed text. */
export const MIN_SECRET_LENGTH = 16;

export type Role = 'acceptor' | 'dialer';

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** A fresh random cluster secret, as the text stored in a secret file. */
export function generateSecret(): string {
  return randomBytes(32).toString('hex');
}

export function proof(
  secret: Buffer,
  role: Role,
  from: string,
  to: string,
  dialerNonce: string,
  acceptorNonce: string,
): string {
  return createHmac('sha256', secret)
    .update(
      [`truthkit-peer-v${PROTOCOL_VERSION}`, role, from, to, dialerNonce, acceptorNonce].join('\n'),
    )
    .digest('hex');
}

/** Constant-time comparison of an expected proof with whatever the other side sent. */
export function proofMatches(expected: string, got: unknown): boolean {
  if (typeof got !== 'string' || got.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected, 'utf8'), Buffer.from(got, 'utf8'));
}

/** Reads a secret file (surrounding whitespace ignored); throws a one-line error if unusable. */
export function readSecretFile(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new Error(
      `cannot read secret file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (text.length < MIN_SECRET_LENGTH) {
    throw new Error(`secret in ${file} is too short (at least ${MIN_SECRET_LENGTH} characters)`);
  }
  return Buffer.from(text, 'utf8');
}
