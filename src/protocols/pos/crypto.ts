/**
 * Signatures and hashes for proof of stake: Ed25519 and SHA-256 from @noble (plain TypeScript,
 * synchronous, the same bytes in Node and in the browser lab). Ethereum signs with BLS12-381 so
 * that a committee's signatures aggregate into one; with one signature per attestation checked
 * one by one, aggregation only saves bandwidth, so Ed25519 (as PBFT here) keeps what matters:
 * nobody forges a vote, and two signed votes are evidence against their signer. Keys are derived
 * from the validator's id (SHA-256 of `truthkit-pos:<id>`), a simulated PKI and no secret.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { ValidatorId } from './types.js';

const secrets = new Map<ValidatorId, { secret: Uint8Array; pub: Uint8Array }>();

function keyPair(id: ValidatorId): { secret: Uint8Array; pub: Uint8Array } {
  let k = secrets.get(id);
  if (k === undefined) {
    const secret = sha256(utf8ToBytes(`truthkit-pos:${id}`));
    k = { secret, pub: ed25519.getPublicKey(secret) };
    secrets.set(id, k);
  }
  return k;
}

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** Deterministic (RFC 8032), so a text signed twice gives the same signature: cached. */
const signed = new Map<string, string>();
/** Verification is pure: verdicts cached per (signer, text, signature). */
const verdicts = new Map<string, boolean>();
const CACHE_LIMIT = 100_000;

export function sign(signer: ValidatorId, text: string): string {
  const key = `${signer}\n${text}`;
  let s = signed.get(key);
  if (s === undefined) {
    s = bytesToHex(ed25519.sign(utf8ToBytes(text), keyPair(signer).secret));
    if (signed.size >= CACHE_LIMIT) signed.clear();
    signed.set(key, s);
  }
  return s;
}

export function verify(claimed: ValidatorId, text: string, sig: string): boolean {
  if (!/^[0-9a-f]{128}$/.test(sig)) return false;
  const key = `${claimed}\n${text}\n${sig}`;
  let v = verdicts.get(key);
  if (v === undefined) {
    try {
      v = ed25519.verify(hexBytes(sig), utf8ToBytes(text), keyPair(claimed).pub);
    } catch {
      v = false;
    }
    if (verdicts.size >= CACHE_LIMIT) verdicts.clear();
    verdicts.set(key, v);
  }
  return v;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
