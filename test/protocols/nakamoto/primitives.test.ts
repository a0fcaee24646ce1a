/**
 * Bitcoin primitives against real Bitcoin data, bit for bit. Sources of the test data:
 * - block headers/hashes/txids: the Bitcoin mainnet chain (genesis, blocks 1, 100000, 125552 —
 *   the last also the example of https://en.bitcoin.it/wiki/Block_hashing_algorithm);
 * - compact targets: Bitcoin Core src/test/arith_uint256_tests.cpp (bignum_SetCompact);
 * - retargets: Bitcoin Core src/test/pow_tests.cpp (get_next_work*).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fromHex, toHex } from '../../../src/protocols/nakamoto/bytes.js';
import { sha256, sha256d } from '../../../src/protocols/nakamoto/sha256.js';
import {
  blockHash,
  hashMeetsBits,
  headerHashBytes,
  parseHeaderHex,
  serializeHeader,
} from '../../../src/protocols/nakamoto/header.js';
import { bitcoinMerkleRoot, merkleRoot } from '../../../src/protocols/nakamoto/merkle.js';
import {
  decodeCompact,
  encodeCompact,
  targetFromBits,
} from '../../../src/protocols/nakamoto/compact-target.js';
import { nextBits, MAINNET_POW_LIMIT } from '../../../src/protocols/nakamoto/retarget.js';
import { blockWork } from '../../../src/protocols/nakamoto/work.js';
import {
  BLOCK100000_HEADER,
  BLOCK100000_TXIDS,
  BLOCK125552_HEADER,
  BLOCK1_HEADER,
  GENESIS_HEADER,
} from './bitcoin-data.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

test('sha256 matches the FIPS 180-4 examples', () => {
  assert.equal(
    toHex(sha256(utf8(''))),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
  assert.equal(
    toHex(sha256(utf8('abc'))),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
  assert.equal(
    toHex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
});

test('sha256 agrees with node:crypto on every length across the padding boundaries', () => {
  const data = new Uint8Array(300);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
  for (let n = 0; n <= 300; n++) {
    const slice = data.subarray(0, n);
    assert.equal(
      toHex(sha256(slice)),
      createHash('sha256').update(slice).digest('hex'),
      `len ${n}`,
    );
  }
  const d = createHash('sha256').update(createHash('sha256').update(data).digest()).digest('hex');
  assert.equal(toHex(sha256d(data)), d);
});

test('real block headers: fields and the byte-reversed double SHA-256 hash', () => {
  const cases = [
    [GENESIS_HEADER, '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f'],
    [BLOCK1_HEADER, '00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048'],
    [BLOCK100000_HEADER, '000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506'],
    [BLOCK125552_HEADER, '00000000000000001e8d6829a8a21adc5d38d0a473b144b6765798e61f98bd1d'],
  ] as const;
  for (const [hex, hash] of cases) {
    const h = parseHeaderHex(hex);
    assert.equal(blockHash(h), hash);
    assert.equal(toHex(serializeHeader(h)), hex, 'serialization round-trips');
    assert.ok(
      hashMeetsBits(headerHashBytes(fromHex(hex)), h.bits),
      'real blocks meet their target',
    );
  }
  const g = parseHeaderHex(GENESIS_HEADER);
  assert.deepEqual(g, {
    version: 1,
    prevHash: '0'.repeat(64),
    merkleRoot: '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b',
    time: 1231006505,
    bits: 0x1d00ffff,
    nonce: 2083236893,
  });
  const b = parseHeaderHex(BLOCK100000_HEADER);
  assert.equal(b.prevHash, '000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250');
  assert.equal(b.merkleRoot, 'f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766');
  assert.equal(b.time, 1293623863);
  assert.equal(b.bits, 0x1b04864c);
  assert.equal(b.nonce, 274148111);
  // One nonce off and the proof of work is gone.
  assert.ok(!hashMeetsBits(sha256d(serializeHeader({ ...b, nonce: b.nonce + 1 })), b.bits));
});

test('Merkle root of block 100000 from its four txids, and of a one-transaction block', () => {
  assert.deepEqual(bitcoinMerkleRoot(BLOCK100000_TXIDS), {
    root: 'f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766',
    mutated: false,
  });
  // Genesis has one transaction: the root is its txid.
  const coinbase = '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b';
  assert.equal(bitcoinMerkleRoot([coinbase]).root, coinbase);
  assert.equal(toHex(merkleRoot([]).root), '0'.repeat(64));
});

test('CVE-2012-2459: [a,b,c] and [a,b,c,c] share a root; the duplicate is detected', () => {
  const [a, b, c] = BLOCK100000_TXIDS as [string, string, string];
  const three = bitcoinMerkleRoot([a, b, c]);
  const four = bitcoinMerkleRoot([a, b, c, c]);
  assert.equal(three.root, four.root);
  assert.equal(three.mutated, false);
  assert.equal(four.mutated, true);
  // Six leaves duplicated as [.. e f e f]: the shape reappears one level up.
  const six = bitcoinMerkleRoot([a, b, c, a, b, c]);
  assert.equal(six.mutated, false);
  const five = bitcoinMerkleRoot(BLOCK100000_TXIDS.concat([a]));
  assert.equal(bitcoinMerkleRoot([...BLOCK100000_TXIDS, a, a]).mutated, true);
  assert.equal(five.mutated, false);
});

test('compact targets: Bitcoin Core arith_uint256 SetCompact/GetCompact cases', () => {
  // [bits, target hex (no leading zeros), GetCompact, negative, overflow]
  const cases: [number, string, number, boolean, boolean][] = [
    [0, '0', 0, false, false],
    [0x00123456, '0', 0, false, false],
    [0x01003456, '0', 0, false, false],
    [0x02000056, '0', 0, false, false],
    [0x03000000, '0', 0, false, false],
    [0x04000000, '0', 0, false, false],
    [0x00923456, '0', 0, false, false],
    [0x01803456, '0', 0, false, false],
    [0x02800056, '0', 0, false, false],
    [0x03800000, '0', 0, false, false],
    [0x04800000, '0', 0, false, false],
    [0x01123456, '12', 0x01120000, false, false],
    [0x01fedcba, '7e', 0x01fe0000, true, false],
    [0x02123456, '1234', 0x02123400, false, false],
    [0x03123456, '123456', 0x03123456, false, false],
    [0x04123456, '12345600', 0x04123456, false, false],
    [0x04923456, '12345600', 0x04923456, true, false],
    [0x05009234, '92340000', 0x05009234, false, false],
    [
      0x20123456,
      '1234560000000000000000000000000000000000000000000000000000000000',
      0x20123456,
      false,
      false,
    ],
  ];
  for (const [bits, hex, compact, negative, overflow] of cases) {
    const d = decodeCompact(bits);
    assert.equal(d.target.toString(16), hex, `target of ${bits.toString(16)}`);
    assert.equal(d.negative, negative, `negative ${bits.toString(16)}`);
    assert.equal(d.overflow, overflow, `overflow ${bits.toString(16)}`);
    assert.equal(encodeCompact(d.target, negative), compact, `compact ${bits.toString(16)}`);
  }
  assert.equal(decodeCompact(0xff123456).overflow, true);
  assert.equal(decodeCompact(0xff123456).negative, false);
  // Never a mantissa with the sign bit set: 0x80 needs a size-2 encoding.
  assert.equal(encodeCompact(0x80n), 0x02008000);
  assert.equal(targetFromBits(0x1d00ffff).ok, true);
  assert.deepEqual(targetFromBits(0x04923456), { ok: false, reason: 'negative target' });
  assert.equal(targetFromBits(0x1d01ffff, MAINNET_POW_LIMIT).ok, false);
});

test('retarget: Bitcoin Core pow_tests.cpp cases', () => {
  // get_next_work: no constraint applies (blocks 30240..32255).
  assert.equal(nextBits(0x1d00ffff, 1261130161, 1262152739), 0x1d00d86a);
  // get_next_work_pow_limit: capped at the proof-of-work limit (blocks 0..2015).
  assert.equal(nextBits(0x1d00ffff, 1231006505, 1233061996), 0x1d00ffff);
  // get_next_work_lower_limit_actual: the timespan is clamped at a quarter (×4 harder at most).
  assert.equal(nextBits(0x1c05a3f4, 1279008237, 1279297671), 0x1c0168fd);
  // get_next_work_upper_limit_actual: clamped at four times (×4 easier at most).
  assert.equal(nextBits(0x1c387f6f, 1263163443, 1269211443), 0x1d00e1fd);
});

test('block work is 2^256 / (target + 1): difficulty 1 is 0x100010001 hashes', () => {
  assert.equal(blockWork(0x1d00ffff), 0x100010001n);
  assert.equal(blockWork(0x207fffff), 2n);
  assert.equal(blockWork(0x04923456), 0n, 'an invalid target earns nothing');
});
