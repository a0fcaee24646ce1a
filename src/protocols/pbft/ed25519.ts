/**
 * Ed25519 signatures for PBFT through node:crypto; importing this module installs them (see
 * crypto.ts). Every replica's key pair is derived from its id (the private key's seed is the
 * SHA-256 of `truthkit-pbft:<id>`), so keys are the same in every run and every node knows every
 * public key. This simulates a PKI; it is no secret: anyone can derive any key. `ed25519-noble.ts`
 * is the same scheme in plain TypeScript (the browser lab's), signature for signature.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { NodeId } from '../../core/node.js';
import { type SignatureScheme, useSignatureScheme } from './crypto.js';

/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

const keys = new Map<NodeId, { priv: KeyObject; pub: KeyObject }>();

function keyPair(id: NodeId): { priv: KeyObject; pub: KeyObject } {
  let k = keys.get(id);
  if (k === undefined) {
    const seed = createHash('sha256').update(`truthkit-pbft:${id}`).digest();
    const key = Buffer.concat([PKCS8_ED25519, seed]);
    const priv = createPrivateKey({ key, format: 'der', type: 'pkcs8' });
    k = { priv, pub: createPublicKey(priv) };
    keys.set(id, k);
  }
  return k;
}

export const ed25519: SignatureScheme = {
  sign: (signer, text) => sign(null, Buffer.from(text), keyPair(signer).priv).toString('base64'),
  verify: (claimed, text, sig) => {
    // Only the canonical base64 of a signature (Buffer's decoder would also take other spellings
    // of the same bytes), so this scheme and ed25519-noble.ts accept exactly the same texts.
    const bytes = Buffer.from(sig, 'base64');
    if (bytes.length !== 64 || bytes.toString('base64') !== sig) return false;
    try {
      return verify(null, Buffer.from(text), keyPair(claimed).pub, bytes);
    } catch {
      return false;
    }
  },
  hash: (text) => createHash('sha256').update(text).digest('hex'),
};

useSignatureScheme(ed25519);
