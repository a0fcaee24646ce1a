/**
 * Signatures for PBFT, behind a small interface so protocol code stays free of Node modules
 * (the browser lab type-checks and bundles it). Ed25519 through node:crypto is `ed25519.ts`
 * (the CLI and the tests import it); the same signatures in plain TypeScript are
 * `ed25519-noble.ts` (the lab imports it). Importing either installs it.
 */
import type { NodeId } from '../../core/node.js';

/** A signed message: the JSON text of its body and its sender's signature of that text. */
export interface SignedMsg {
  readonly type: 'pbft';
  readonly p: string;
  readonly s: string;
}

export interface SignatureScheme {
  /** `signer`'s signature of `text`. */
  sign(signer: NodeId, text: string): string;
  /** True when `sig` is `claimed`'s signature of `text`. */
  verify(claimed: NodeId, text: string, sig: string): boolean;
  /** A collision-resistant digest of `text` (hex). */
  hash(text: string): string;
}

let installed: SignatureScheme | undefined;

export function useSignatureScheme(scheme: SignatureScheme): void {
  installed = scheme;
  // Cached answers are the previous scheme's: the new one must give its own.
  verified.clear();
}

function scheme(): SignatureScheme {
  if (installed === undefined) {
    throw new Error(
      'pbft needs a signature scheme: import src/protocols/pbft/ed25519.js (Node) or ' +
        'ed25519-noble.js (anywhere, the browser lab included)',
    );
  }
  return installed;
}

export function hasSignatureScheme(): boolean {
  return installed !== undefined;
}

export function sha256Hex(text: string): string {
  return scheme().hash(text);
}

/** Signs `body` (plain JSON data) as `signer`. */
export function signAs(signer: NodeId, body: unknown): SignedMsg {
  const p = JSON.stringify(body);
  return { type: 'pbft', p, s: scheme().sign(signer, p) };
}

/** Verification is pure, so results are cached (duplicates and relays are verified once). */
const verified = new Map<string, boolean>();
const CACHE_LIMIT = 200_000;

/** True when `msg.s` is `claimed`'s signature of `msg.p`. */
export function verifySigned(claimed: NodeId, msg: SignedMsg): boolean {
  const cacheKey = `${claimed}\u0000${msg.s}\u0000${msg.p}`;
  const hit = verified.get(cacheKey);
  if (hit !== undefined) return hit;
  const ok = scheme().verify(claimed, msg.p, msg.s);
  if (verified.size >= CACHE_LIMIT) verified.clear();
  verified.set(cacheKey, ok);
  return ok;
}
