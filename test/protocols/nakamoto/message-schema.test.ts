/**
 * The miners' message schema refuses what is no block or transaction at all, naming the field,
 * and lets a well-formed but invalid block through to the protocol's own checks; what it accepts
 * from the system's own miners, attackers included, is test/systems/message-schemas.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS, makeBlock } from '../../../src/protocols/nakamoto/block.js';
import { minerMessageCheck } from '../../../src/protocols/nakamoto/message-schema.js';

const check = minerMessageCheck(3);
const block = makeBlock(
  GENESIS,
  { version: 1, time: 1231006600, bits: 0x207fffff, nonce: 7 },
  'n1',
  ['coinbase:n1:1:0', 'tx:n2:0'],
);

test('a well-formed message passes, an invalid but well-formed block included', () => {
  assert.equal(check({ type: 'block', block }), undefined);
  assert.equal(check({ type: 'getblock', hash: GENESIS.hash }), undefined);
  assert.equal(check({ type: 'tx', tx: 'pay-3>merchant' }), undefined);
  // A wrong Merkle root and hash: blockDefect's to refuse (and count), not the schema's.
  assert.equal(
    check({ type: 'block', block: { ...block, txs: ['coinbase:x', 'lie'] } }),
    undefined,
  );
});

test('a malformed message is refused and named by its field', () => {
  const cases: [unknown, RegExp][] = [
    [{ type: 'block', block: { ...block, hash: 'abc' } }, /^block\.hash: /],
    [{ type: 'block', block: { ...block, hash: block.hash.toUpperCase() } }, /^block\.hash: /],
    [{ type: 'block', block: { ...block, height: -1 } }, /^block\.height: /],
    [{ type: 'block', block: { ...block, height: 1e18 } }, /^block\.height: /],
    [
      { type: 'block', block: { ...block, header: { ...block.header, nonce: 2 ** 32 } } },
      /^block\.header\.nonce: /,
    ],
    [
      { type: 'block', block: { ...block, header: { ...block.header, bits: 1.5 } } },
      /^block\.header\.bits: /,
    ],
    [
      { type: 'block', block: { ...block, header: { ...block.header, version: 2 ** 31 } } },
      /^block\.header\.version: /,
    ],
    [{ type: 'block', block: { ...block, txs: ['a', 'b', 'c', 'd', 'e'] } }, /^block\.txs: /],
    [{ type: 'block', block: { ...block, txs: [7] } }, /^block\.txs\.0: /],
    [{ type: 'block', block: { ...block, miner: 'm'.repeat(300) } }, /^block\.miner: /],
    [{ type: 'tx', tx: 'x'.repeat(257) }, /^tx: /],
    [{ type: 'getblock' }, /hash/],
    [{ type: 'inv', hashes: [] }, /^type: /],
  ];
  for (const [msg, why] of cases) {
    const problem = check(msg);
    assert.ok(problem !== undefined, `accepted: ${JSON.stringify(msg)}`);
    assert.match(problem, why, JSON.stringify(msg));
  }
});
