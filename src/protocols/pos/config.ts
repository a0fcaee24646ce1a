/**
 * The parameters of the reduced Gasper and the rules a mutant may remove. Stakes are whole
 * milli-ether (32 ETH = 32000), so every sum is an exact integer.
 */
import type { ValidatorId } from './types.js';

export interface PosRules {
  /** Each proposer's reveal is mixed into the chain's randomness (RANDAO). */
  readonly randaoMix: boolean;
  /** Justification needs two thirds of the active stake (not a bare majority). */
  readonly supermajority: boolean;
  /** A justified checkpoint is finalized only by a supermajority link to its direct child. */
  readonly finalityLink: boolean;
  /** Two votes with the same target epoch are slashable. */
  readonly doubleVote: boolean;
  /** A vote whose source and target surround another's is slashable. */
  readonly surroundVote: boolean;
  /** Validators that miss votes lose stake while finality is stalled. */
  readonly inactivityLeak: boolean;
  /** LMD-GHOST weighs each subtree by the stake of its latest votes. */
  readonly ghostWeight: boolean;
}

export const ALL_RULES: PosRules = {
  randaoMix: true,
  supermajority: true,
  finalityLink: true,
  doubleVote: true,
  surroundVote: true,
  inactivityLeak: true,
  ghostWeight: true,
};

export interface PosConfig {
  readonly validators: readonly ValidatorId[];
  /** Stake per validator, milli-ether. */
  readonly stakes: Readonly<Record<ValidatorId, number>>;
  readonly slotsPerEpoch: number;
  /** Epochs without finality after which the inactivity leak starts (Ethereum: 4). */
  readonly leakAfterEpochs: number;
  /** Per epoch of leak, a validator loses stake × score / (4 × leakQuotient). */
  readonly leakQuotient: number;
  /** A validator below this stake is ejected: it no longer votes or proposes (Ethereum: 16 ETH). */
  readonly ejectionStake: number;
  /** A slashed validator loses stake / slashDivisor at once, and is ejected. */
  readonly slashDivisor: number;
  readonly rules: PosRules;
}

export const DEFAULT_STAKE = 32_000;

export function defaultPosConfig(validators: readonly ValidatorId[]): PosConfig {
  return {
    validators,
    stakes: Object.fromEntries(validators.map((v) => [v, DEFAULT_STAKE])),
    slotsPerEpoch: 4,
    leakAfterEpochs: 4,
    leakQuotient: 4096,
    ejectionStake: 16_000,
    slashDivisor: 32,
    rules: ALL_RULES,
  };
}

export function epochOf(slot: number, config: PosConfig): number {
  return Math.floor(slot / config.slotsPerEpoch);
}
