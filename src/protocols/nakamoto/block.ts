/**
 * Blocks as the simulated network passes them: plain JSON (messages must be), carrying a real
 * Bitcoin header whose Merkle root commits to the transaction ids and whose hash is the real
 * double SHA-256. Transactions are ids; a payment's id names the coin it spends before a `>`
 * (`pay-3>merchant`), so two payments of one coin conflict.
 */
import { toDisplayHex } from './bytes.js';
import { blockHash, type BlockHeader } from './header.js';
import { merkleRoot } from './merkle.js';
import { leafHash } from './merkle-proof.js';

export interface Block {
  readonly hash: string;
  readonly header: BlockHeader;
  readonly height: number;
  readonly miner: string;
  /** The coinbase first (it makes every block's Merkle root unique), then payments. */
  readonly txs: readonly string[];
}

export function txid(tx: string): Uint8Array {
  return leafHash(tx);
}

export function txMerkleRoot(txs: readonly string[]): string {
  return toDisplayHex(merkleRoot(txs.map(txid)).root);
}

/** The coin a transaction spends: the part of its id before `>`, or the whole id. */
export function coinOf(tx: string): string {
  const i = tx.indexOf('>');
  return i < 0 ? tx : tx.slice(0, i);
}

export function makeBlock(
  parent: { hash: string; height: number },
  fields: Omit<BlockHeader, 'prevHash' | 'merkleRoot'>,
  miner: string,
  txs: readonly string[],
): Block {
  const header: BlockHeader = {
    ...fields,
    prevHash: parent.hash,
    merkleRoot: txMerkleRoot(txs),
  };
  return { hash: blockHash(header), header, height: parent.height + 1, miner, txs: [...txs] };
}

/** Why a block is malformed on its own (its place in the chain is checked elsewhere). */
export function blockDefect(b: Block): string | undefined {
  if (b.txs.length === 0 || !(b.txs[0] as string).startsWith('coinbase:')) {
    return 'no coinbase';
  }
  if (txMerkleRoot(b.txs) !== b.header.merkleRoot) return 'Merkle root does not match';
  if (blockHash(b.header) !== b.hash) return 'hash does not match the header';
  return undefined;
}

/** Bitcoin's real genesis block header: every simulated chain grows from it. */
export const GENESIS: Block = (() => {
  const header: BlockHeader = {
    version: 1,
    prevHash: '00'.repeat(32),
    merkleRoot: '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b',
    time: 1231006505,
    bits: 0x1d00ffff,
    nonce: 2083236893,
  };
  return { hash: blockHash(header), header, height: 0, miner: 'satoshi', txs: [] };
})();
