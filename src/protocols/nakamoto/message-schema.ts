/**
 * The shape of every miner message (miner-node.ts), checked before a real node hands a peer's
 * message to the protocol. Nakamoto consensus takes lies from anyone: a block with a wrong
 * Merkle root, a hash that misses its target, unexpected difficulty bits or a height that does
 * not follow its parent is the protocol's to refuse (blockDefect, the work and difficulty
 * checks), and it counts them. The schema refuses only what is no block at all: a header field
 * that does not fit its 32-bit slot of the 80-byte header (the hash is computed over those
 * bytes), a hash that is not 32 bytes of hex, a height past MAX_COUNT, more transactions than a
 * block may carry. A block's `miner` is the name it claims (like a coinbase tag), not a route,
 * so it is a short string and not checked against the cluster.
 */
import * as v from 'valibot';
import { count, shortText } from '../../core/message-schema.js';
import { schemaProblem } from '../../core/schema-issue.js';

/** 32 bytes in hex, as blocks' and transactions' hashes are shown. */
const hash32 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'is no 32-byte hex hash'));
const u32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));
const i32 = v.pipe(v.number(), v.integer(), v.minValue(-0x80000000), v.maxValue(0x7fffffff));

const header = v.strictObject({
  version: i32,
  prevHash: hash32,
  merkleRoot: hash32,
  time: u32,
  bits: u32,
  nonce: u32,
});

/**
 * Why `msg` is no miner message (`field: problem`), or undefined when it is one, for miners that
 * put at most `maxBlockTxs` transactions after the coinbase into a block.
 */
export function minerMessageCheck(maxBlockTxs: number): (msg: unknown) => string | undefined {
  if (!Number.isSafeInteger(maxBlockTxs) || maxBlockTxs < 0) {
    throw new RangeError(`maxBlockTxs must be a whole number, got ${maxBlockTxs}`);
  }
  const block = v.strictObject({
    hash: hash32,
    header,
    height: count,
    miner: shortText,
    txs: v.pipe(v.array(shortText), v.maxLength(maxBlockTxs + 1)),
  });
  const schema = v.variant('type', [
    v.strictObject({ type: v.literal('block'), block }),
    v.strictObject({ type: v.literal('getblock'), hash: hash32 }),
    v.strictObject({ type: v.literal('tx'), tx: shortText }),
  ]);
  return (msg) => schemaProblem(schema, msg, 'message');
}
