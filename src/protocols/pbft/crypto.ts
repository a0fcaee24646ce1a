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

/** Texts each cache holds at most: a bound on memory over a long sweep. */
const CACHE_LIMIT = 100_000;

export function useSignatureScheme(scheme: SignatureScheme): void {
  installed = scheme;
  // Cached answers are the previous scheme's: the new one must give its own.
  verified.clear();
  signatures.clear();
  hashes.clear();
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

/**
 * SHA-256 is pure, so digests are cached per text: every replica hashes the same request text
 * when it accepts its pre-prepare, and the same checkpoint snapshot when it takes or checks one.
 */
const hashes = new Map<string, string>();

export function sha256Hex(text: string): string {
  let h = hashes.get(text);
  if (h === undefined) {
    h = scheme().hash(text);
    if (hashes.size >= CACHE_LIMIT) hashes.clear();
    hashes.set(text, h);
  }
  return h;
}

/**
 * Signatures are deterministic (Ed25519, RFC 8032 §5.1.6), so a replica that signs the same
 * text again (a resent status, the same prepare in a relay) gets the cached signature: the
 * one the scheme would compute. Per text, then per signer.
 */
const signatures = new Map<string, Map<NodeId, string>>();

/**
 * Verification is pure, so verdicts are cached (duplicates and relays are verified once). Per
 * text, then claimed signer, then signature: each key is a string a receiver already holds (the
 * text and signature it received, whose hashes the engine keeps), so a lookup builds no new
 * string to hash, as a joined (signer, signature) key did on every delivery.
 */
const verified = new Map<string, Map<NodeId, Map<string, boolean>>>();

/**
 * The entry of `text` in `cache`, made when absent. A full cache starts again: what it forgets
 * is computed again, to the same values.
 */
function entryOf<K, V>(cache: Map<string, Map<K, V>>, text: string): Map<K, V> {
  let entry = cache.get(text);
  if (entry === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    entry = new Map<K, V>();
    cache.set(text, entry);
  }
  return entry;
}

/** The verdicts cached for `text` as signed by `claimed`, per signature. */
function verdictsOf(text: string, claimed: NodeId): Map<string, boolean> {
  const bySigner = entryOf(verified, text);
  let verdicts = bySigner.get(claimed);
  if (verdicts === undefined) {
    verdicts = new Map<string, boolean>();
    bySigner.set(claimed, verdicts);
  }
  return verdicts;
}

/** Signs `body` (plain JSON data) as `signer`. */
export function signAs(signer: NodeId, body: unknown): SignedMsg {
  const p = JSON.stringify(body);
  const mine = entryOf(signatures, p);
  let s = mine.get(signer);
  if (s === undefined) {
    s = scheme().sign(signer, p);
    mine.set(signer, s);
    // A signature the scheme just made with `signer`'s key verifies against that key (this is
    // a signature scheme's correctness), so a receiver of exactly these bytes need not redo
    // the curve arithmetic; any other bytes (a forgery, a changed text) miss this entry.
    verdictsOf(p, signer).set(s, true);
  }
  return { type: 'pbft', p, s };
}

/** True when `msg.s` is `claimed`'s signature of `msg.p`. */
export function verifySigned(claimed: NodeId, msg: SignedMsg): boolean {
  const verdicts = verdictsOf(msg.p, claimed);
  const hit = verdicts.get(msg.s);
  if (hit !== undefined) return hit;
  const ok = scheme().verify(claimed, msg.p, msg.s);
  verdicts.set(msg.s, ok);
  return ok;
}
