/**
 * The shape of every validator message (validator-node.ts), checked before a real node hands a
 * peer's message to the protocol. What a message claims — a signature, a proposer, a state root
 * — is the protocol's to refuse; the schema refuses only what is no message at all: hashes that
 * are not hex of their length, validators that are not members, lists longer than a block
 * carries, transactions larger than a block's gas could pay for.
 */
import * as v from 'valibot';
import { count, memberOf, perClusterCheck } from '../../core/message-schema.js';
import type { NodeId } from '../../core/node.js';

const root = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'is no 32-byte hex root'));
const sig = v.pipe(v.string(), v.regex(/^[0-9a-f]{128}$/, 'is no 64-byte hex signature'));
const hex32 = v.pipe(v.string(), v.regex(/^0x[0-9a-f]{64}$/, 'is no 0x 32-byte hex'));
const address = v.pipe(v.string(), v.regex(/^0x[0-9a-f]{40}$/, 'is no 0x 20-byte address'));
const decimal = v.pipe(v.string(), v.regex(/^[0-9]{1,78}$/, 'is no decimal amount'));
/** A raw transaction: 30 M gas of calldata at 4 gas a zero byte is 7.5 MB; far above what any wallet here sends. */
const rawTx = v.pipe(
  v.string(),
  v.maxLength(2 * 131_072 + 2),
  v.regex(/^0x([0-9a-f]{2})+$/, 'is no raw transaction'),
);
const checkpoint = v.strictObject({ epoch: count, root });

const MAX_ATTS = 1024;
const MAX_SLASHINGS = 64;
const MAX_TXS = 1000;

function schema(cluster: readonly NodeId[]) {
  const member = memberOf(cluster);
  const attestation = v.strictObject({
    validator: member,
    data: v.strictObject({ slot: count, head: root, source: checkpoint, target: checkpoint }),
    sig,
  });
  const evidence = v.strictObject({ a: attestation, b: attestation });
  const block = v.strictObject({
    slot: count,
    parent: root,
    proposer: member,
    randaoReveal: sig,
    attestations: v.pipe(v.array(attestation), v.maxLength(MAX_ATTS)),
    slashings: v.pipe(v.array(evidence), v.maxLength(MAX_SLASHINGS)),
    payload: v.strictObject({
      number: count,
      timestamp: count,
      coinbase: address,
      baseFee: decimal,
      gasLimit: decimal,
      gasUsed: decimal,
      txs: v.pipe(v.array(rawTx), v.maxLength(MAX_TXS)),
      stateRoot: hex32,
      receiptsRoot: hex32,
    }),
    sig,
  });
  return v.variant('type', [
    v.strictObject({ type: v.literal('block'), block }),
    v.strictObject({ type: v.literal('att'), att: attestation }),
    v.strictObject({ type: v.literal('slashing'), evidence }),
    v.strictObject({ type: v.literal('get-block'), root }),
    v.strictObject({ type: v.literal('tx'), raw: rawTx }),
  ]);
}

export const ethMessageCheck = perClusterCheck(schema);
