/**
 * Ed25519 signatures for PBFT in plain TypeScript (@noble/curves, @noble/hashes), for where
 * node:crypto is absent: the browser lab installs this one (Node keeps `ed25519.ts`, which is
 * faster). Keys are derived exactly as there (the secret key's seed is the SHA-256 of
 * `truthkit-pbft:<id>`), and Ed25519 signing is deterministic (RFC 8032), so both schemes give
 * the same signature text for the same message, and a seed's run has the same digest in Node
 * and in the browser. Importing this module installs it (see crypto.ts).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { NodeId } from '../../core/node.js';
import { type SignatureScheme, useSignatureScheme } from './crypto.js';

const keys = new Map<NodeId, { secret: Uint8Array; pub: Uint8Array }>();

function keyPair(id: NodeId): { secret: Uint8Array; pub: Uint8Array } {
  let k = keys.get(id);
  if (k === undefined) {
    const secret = sha256(utf8ToBytes(`truthkit-pbft:${id}`));
    k = { secret, pub: ed25519.getPublicKey(secret) };
    keys.set(id, k);
  }
  return k;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The bytes of `text` when it is the canonical base64 of a signature, else undefined. */
function signatureBytes(text: string): Uint8Array | undefined {
  let s: string;
  try {
    s = atob(text);
  } catch {
    return undefined;
  }
  const bytes = Uint8Array.from(s, (c) => c.charCodeAt(0));
  return bytes.length === 64 && toBase64(bytes) === text ? bytes : undefined;
}

export const ed25519Noble: SignatureScheme = {
  sign: (signer, text) => toBase64(ed25519.sign(utf8ToBytes(text), keyPair(signer).secret)),
  verify: (claimed, text, sig) => {
    const bytes = signatureBytes(sig);
    if (bytes === undefined) return false;
    try {
      // RFC 8032 rules (not ZIP-215's looser ones), as OpenSSL behind node:crypto applies them.
      return ed25519.verify(bytes, utf8ToBytes(text), keyPair(claimed).pub, { zip215: false });
    } catch {
      return false;
    }
  },
  hash: (text) => bytesToHex(sha256(utf8ToBytes(text))),
};

useSignatureScheme(ed25519Noble);
