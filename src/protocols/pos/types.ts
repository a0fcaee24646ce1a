/**
 * The beacon chain's data, reduced: checkpoints, attestations, slashing evidence and blocks.
 * All plain JSON. A block's root is the SHA-256 of a fixed-order encoding of its contents
 * (`roots.ts`), which its proposer signs; an attestation's signature covers its data the same way.
 */
import type { NodeId } from '../../core/node.js';

export type Root = string;
export type ValidatorId = NodeId;

/** An epoch boundary block: the unit Casper FFG votes on and finalizes. */
export interface Checkpoint {
  readonly epoch: number;
  readonly root: Root;
}

/** What a validator votes for once per epoch: an LMD-GHOST head and an FFG source → target link. */
export interface AttestationData {
  readonly slot: number;
  readonly head: Root;
  readonly source: Checkpoint;
  readonly target: Checkpoint;
}

export interface Attestation {
  readonly validator: ValidatorId;
  readonly data: AttestationData;
  readonly sig: string;
}

/** Two attestations of one validator that break a Casper FFG commandment. */
export interface SlashingEvidence {
  readonly a: Attestation;
  readonly b: Attestation;
}

/** The execution payload a block carries: the EVM block's header fields and transactions. */
export interface ExecutionPayload {
  readonly number: number;
  readonly timestamp: number;
  readonly coinbase: string;
  readonly baseFee: string;
  readonly gasLimit: string;
  readonly gasUsed: string;
  readonly txs: readonly string[];
  readonly stateRoot: string;
  readonly receiptsRoot: string;
}

export interface BeaconBlock {
  readonly slot: number;
  readonly parent: Root;
  readonly proposer: ValidatorId;
  /** The proposer's signature of `randao:<epoch>`, mixed into the chain's randomness. */
  readonly randaoReveal: string;
  readonly attestations: readonly Attestation[];
  readonly slashings: readonly SlashingEvidence[];
  readonly payload: ExecutionPayload;
  /** The proposer's signature of the block's root. */
  readonly sig: string;
}
