import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromDisplayHex, toDisplayHex } from '../../../src/protocols/nakamoto/bytes.js';
import { merkleRoot } from '../../../src/protocols/nakamoto/merkle.js';
import {
  leafHash,
  merkleProof,
  proofDepth,
  verifyMerkleProof,
} from '../../../src/protocols/nakamoto/merkle-proof.js';
import { BLOCK100000_TXIDS } from './bitcoin-data.js';

test('every leaf of trees of 1..33 leaves proves in ceil(log2 n) hashes; tampering fails', () => {
  for (let n = 1; n <= 33; n++) {
    const leaves = Array.from({ length: n }, (_, i) => leafHash(`line ${i}`));
    const root = merkleRoot(leaves).root;
    for (let i = 0; i < n; i++) {
      const proof = merkleProof(leaves, i);
      assert.equal(proof.siblings.length, Math.ceil(Math.log2(n)), `n=${n}`);
      assert.equal(proof.siblings.length, proofDepth(n));
      assert.deepEqual(verifyMerkleProof(root, leaves[i] as Uint8Array, proof), { ok: true });
      const other = leaves[(i + 1) % n] as Uint8Array;
      if (n > 1)
        assert.equal(verifyMerkleProof(root, other, proof).ok, false, `wrong leaf n=${n} i=${i}`);
      const wrongCount = { ...proof, leafCount: 2 * n + 1 }; // a deeper tree: the path is too short
      assert.equal(verifyMerkleProof(root, leaves[i] as Uint8Array, wrongCount).ok, false);
      if (n > 1) {
        const flipped = {
          ...proof,
          siblings: proof.siblings.map((s, j) => (j === 0 ? leafHash('x') : s)),
        };
        assert.equal(verifyMerkleProof(root, leaves[i] as Uint8Array, flipped).ok, false);
      }
    }
  }
});

test('block 100000: the proof of its second transaction is the real SPV branch', () => {
  const leaves = BLOCK100000_TXIDS.map((t) => fromDisplayHex(t));
  const proof = merkleProof(leaves, 1);
  // The branch an SPV wallet gets for txid fff2525b…: the coinbase txid, then hash(tx2, tx3).
  assert.deepEqual(proof.siblings.map(toDisplayHex), [
    '8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87',
    '8e30899078ca1813be036a073bbf80b86cdddde1c96e9e9c99e9e3782df4ae49',
  ]);
  const root = fromDisplayHex('f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766');
  assert.deepEqual(verifyMerkleProof(root, leaves[1] as Uint8Array, proof), { ok: true });
});

test('the padding duplicate cannot pose as a leaf: the leaf count pins where duplication is', () => {
  const leaves = ['a', 'b', 'c'].map(leafHash);
  const root = merkleRoot(leaves).root;
  // [a,b,c] pads to [a,b,c,c]: a proof claiming index 3 of 4 has the same hashes…
  const forged = merkleProof([...leaves, leaves[2] as Uint8Array], 3);
  assert.equal(merkleRoot([...leaves, leaves[2] as Uint8Array]).root.join(), root.join());
  // …but against the true count it is rejected, and as a 4-leaf tree it is the CVE shape.
  assert.equal(
    verifyMerkleProof(root, leaves[2] as Uint8Array, { ...forged, leafCount: 3 }).ok,
    false,
  );
  const r = verifyMerkleProof(root, leaves[2] as Uint8Array, forged);
  assert.deepEqual(r, { ok: false, reason: 'level 0: equal siblings (the CVE-2012-2459 shape)' });
  // The honest proof of c (index 2 of 3) pairs c with itself, as the padding rule says.
  assert.deepEqual(verifyMerkleProof(root, leaves[2] as Uint8Array, merkleProof(leaves, 2)), {
    ok: true,
  });
});
