/**
 * The beacon state after a block, and the state transition: epoch processing (Casper FFG
 * justification and finalization from the votes included on this chain, the inactivity leak),
 * then the block itself (proposer, RANDAO reveal, slashings, attestations). Pure functions of
 * plain data: every node that applies the same blocks holds the same state.
 *
 * Reduced from Ethereum's (consensus-specs, phase0 + altair): one validator per node, no
 * deposits or exits beyond ejection, no rewards (only the penalties that matter for safety
 * and liveness: slashing and the leak). Finality is Gasper's k-finality for k ≤ 2, which is
 * what the spec's four bit-field cases compute.
 */
import { epochOf, type PosConfig } from './config.js';
import { sha256Hex, verify } from './crypto.js';
import { attestationText, randaoText } from './roots.js';
import { checkEvidence } from './slashing.js';
import type { BeaconBlock, Checkpoint, Root, ValidatorId } from './types.js';

export interface FfgVote {
  readonly source: Checkpoint;
  readonly target: Checkpoint;
}

export interface Shuffling {
  readonly validators: readonly ValidatorId[];
  readonly stakes: Readonly<Record<ValidatorId, number>>;
}

export interface BeaconState {
  /** The slot this state is at (the latest block's, or later after `advance`). */
  readonly slot: number;
  /** The latest block applied. */
  readonly latest: Root;
  readonly mix: string;
  /** The seed each epoch's proposers and committees are drawn from (epoch → mix). */
  readonly seeds: Readonly<Record<string, string>>;
  readonly stakes: Readonly<Record<ValidatorId, number>>;
  readonly slashed: readonly ValidatorId[];
  /**
   * Who proposes and attests in an epoch, fixed when it starts (epoch → active validators and
   * their stakes), for the current and the previous epoch: a validator slashed mid-epoch keeps
   * its committee seat (its votes no longer count), so nobody else's duties move.
   */
  readonly shufflings: Readonly<Record<string, Shuffling>>;
  readonly inactivity: Readonly<Record<ValidatorId, number>>;
  /** This chain's checkpoint root of each epoch: its block at the boundary slot, or the latest before. */
  readonly epochRoots: Readonly<Record<string, Root>>;
  /** Every checkpoint justified on this chain (epoch → root). */
  readonly justifiedSet: Readonly<Record<string, Root>>;
  readonly justified: Checkpoint;
  readonly finalized: Checkpoint;
  /** Votes included on this chain: target epoch → validator → its first included vote. */
  readonly votes: Readonly<Record<string, Readonly<Record<ValidatorId, FfgVote>>>>;
}

export function genesisState(config: PosConfig, genesisRoot: Root): BeaconState {
  const mix = sha256Hex(`genesis-mix:${genesisRoot}`);
  const g: Checkpoint = { epoch: 0, root: genesisRoot };
  const stakes = { ...config.stakes };
  return {
    slot: 0,
    latest: genesisRoot,
    mix,
    seeds: { '0': mix, '1': mix },
    stakes,
    slashed: [],
    shufflings: { '0': { validators: [...config.validators], stakes } },
    inactivity: Object.fromEntries(config.validators.map((v) => [v, 0])),
    epochRoots: { '0': genesisRoot },
    justifiedSet: { '0': genesisRoot },
    justified: g,
    finalized: g,
    votes: {},
  };
}

/** Validators that vote and propose: not slashed, not ejected. */
export function activeValidators(state: BeaconState, config: PosConfig): ValidatorId[] {
  return config.validators.filter(
    (v) => !state.slashed.includes(v) && (state.stakes[v] ?? 0) >= config.ejectionStake,
  );
}

export function activeStake(state: BeaconState, config: PosConfig): number {
  return activeValidators(state, config).reduce((s, v) => s + (state.stakes[v] ?? 0), 0);
}

function seedOf(state: BeaconState, epoch: number): string {
  const s = state.seeds[String(epoch)];
  if (s === undefined) throw new Error(`no seed for epoch ${epoch} at slot ${state.slot}`);
  return s;
}

function shufflingOf(state: BeaconState, epoch: number): Shuffling {
  const s = state.shufflings[String(epoch)];
  if (s === undefined) throw new Error(`no shuffling for epoch ${epoch} at slot ${state.slot}`);
  return s;
}

/**
 * The proposer of `slot`: drawn by stake from the epoch's seed among the validators active when
 * the epoch began (advance the state to the slot's epoch first); undefined when none is.
 */
export function proposerOf(
  state: BeaconState,
  slot: number,
  config: PosConfig,
): ValidatorId | undefined {
  const { validators, stakes } = shufflingOf(state, epochOf(slot, config));
  const total = validators.reduce((s, v) => s + (stakes[v] ?? 0), 0);
  if (total <= 0) return undefined;
  let r =
    parseInt(
      sha256Hex(`proposer:${seedOf(state, epochOf(slot, config))}:${slot}`).slice(0, 12),
      16,
    ) % total;
  for (const v of validators) {
    r -= stakes[v] ?? 0;
    if (r < 0) return v;
  }
  throw new Error('unreachable: the draw is below the total stake');
}

/** The committee that attests in `slot`: every validator of the epoch's shuffling once per epoch. */
export function committeeOf(state: BeaconState, slot: number, config: PosConfig): ValidatorId[] {
  const epoch = epochOf(slot, config);
  const seed = seedOf(state, epoch);
  const order = shufflingOf(state, epoch)
    .validators.map((v) => ({ v, k: sha256Hex(`shuffle:${seed}:${epoch}:${v}`) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.v);
  return order.filter((_, i) => i % config.slotsPerEpoch === slot % config.slotsPerEpoch);
}

function sameCp(a: Checkpoint, b: Checkpoint): boolean {
  return a.epoch === b.epoch && a.root === b.root;
}

/** Casper FFG and the inactivity leak at the end of `epoch`. */
function processEpochEnd(s: BeaconState, epoch: number, config: PosConfig): BeaconState {
  const rules = config.rules;
  const active = activeValidators(s, config);
  const total = active.reduce((sum, v) => sum + (s.stakes[v] ?? 0), 0);
  let justifiedSet = { ...s.justifiedSet };
  let justified = s.justified;
  let finalized = s.finalized;
  // Late votes for the previous epoch count too: they may be included an epoch later.
  for (const target of [epoch - 1, epoch]) {
    const root = s.epochRoots[String(target)];
    if (target < 1 || root === undefined) continue;
    const bySource = new Map<string, { source: Checkpoint; stake: number }>();
    for (const v of active) {
      const vote = s.votes[String(target)]?.[v];
      if (vote === undefined || !sameCp(vote.target, { epoch: target, root })) continue;
      if (justifiedSet[String(vote.source.epoch)] !== vote.source.root) continue;
      const key = `${vote.source.epoch}:${vote.source.root}`;
      const g = bySource.get(key) ?? { source: vote.source, stake: 0 };
      g.stake += s.stakes[v] ?? 0;
      bySource.set(key, g);
    }
    for (const { source, stake } of bySource.values()) {
      const enough = rules.supermajority ? 3 * stake >= 2 * total : 2 * stake > total;
      if (!enough || total === 0) continue;
      justifiedSet = { ...justifiedSet, [String(target)]: root };
      if (target > justified.epoch) justified = { epoch: target, root };
      // Gasper's k-finality for k ≤ 2, as the consensus specs: a link from S to T finalizes S
      // when every checkpoint from S to T is justified (T one epoch after S, or two with the one
      // between justified). Votes included a slot late make the two-epoch case the usual one
      // when justification itself lags an epoch.
      const gap = target - source.epoch;
      const finalize = rules.finalityLink
        ? gap === 1 || (gap === 2 && justifiedSet[String(source.epoch + 1)] !== undefined)
        : true;
      const newly = rules.finalityLink ? source : { epoch: target, root };
      if (finalize && newly.epoch > finalized.epoch) finalized = newly;
    }
  }
  let stakes = s.stakes;
  let inactivity = s.inactivity;
  if (rules.inactivityLeak && epoch - finalized.epoch > config.leakAfterEpochs) {
    // Participation is judged on the previous epoch, whose votes have had an epoch to be included.
    const judged = epoch - 1;
    const root = s.epochRoots[String(judged)];
    const nextStakes: Record<ValidatorId, number> = { ...stakes };
    const nextScores: Record<ValidatorId, number> = { ...inactivity };
    for (const v of active) {
      const vote = s.votes[String(judged)]?.[v];
      const hit = vote !== undefined && root !== undefined && vote.target.root === root;
      const score = hit ? Math.max(0, (inactivity[v] ?? 0) - 1) : (inactivity[v] ?? 0) + 4;
      nextScores[v] = score;
      const stake = nextStakes[v] ?? 0;
      nextStakes[v] = stake - Math.floor((stake * score) / (4 * config.leakQuotient));
    }
    stakes = nextStakes;
    inactivity = nextScores;
  }
  // The seed two epochs ahead is fixed now, so proposers are known an epoch in advance.
  const seeds: Record<string, string> = { ...s.seeds, [String(epoch + 2)]: s.mix };
  delete seeds[String(epoch - 2)];
  const votes = { ...s.votes };
  delete votes[String(epoch - 1)];
  return { ...s, justifiedSet, justified, finalized, stakes, inactivity, seeds, votes };
}

/** The state moved to `slot` with no block: every epoch that ends on the way is processed. */
export function advance(state: BeaconState, slot: number, config: PosConfig): BeaconState {
  let s = state;
  for (let e = epochOf(s.slot, config); e < epochOf(slot, config); e++) {
    s = processEpochEnd(s, e, config);
    const shufflings: Record<string, Shuffling> = {
      ...s.shufflings,
      [String(e + 1)]: { validators: activeValidators(s, config), stakes: s.stakes },
    };
    delete shufflings[String(e - 1)];
    s = { ...s, shufflings, epochRoots: { ...s.epochRoots, [String(e + 1)]: s.latest } };
  }
  return s.slot === slot ? s : { ...s, slot };
}

export type BlockError = 'slot' | 'proposer' | 'randao' | 'signature' | 'slashing' | 'attestation';

export type Applied =
  | { readonly ok: true; readonly state: BeaconState }
  | { readonly ok: false; readonly code: BlockError; readonly message: string };

function fail(code: BlockError, message: string): Applied {
  return { ok: false, code, message };
}

/** Applies `block` (whose root is `root`) on its parent's state. The block's signature is checked by the caller. */
export function applyBlock(
  parent: BeaconState,
  block: BeaconBlock,
  root: Root,
  config: PosConfig,
): Applied {
  if (block.slot <= parent.slot)
    return fail('slot', `slot ${block.slot} ≤ parent's ${parent.slot}`);
  let s = advance(parent, block.slot, config);
  const epoch = epochOf(block.slot, config);
  const proposer = proposerOf(s, block.slot, config);
  if (proposer === undefined || block.proposer !== proposer || s.slashed.includes(proposer)) {
    return fail('proposer', `slot ${block.slot}'s proposer is ${proposer}, not ${block.proposer}`);
  }
  if (!verify(proposer, randaoText(epoch), block.randaoReveal)) {
    return fail('randao', `bad RANDAO reveal from ${proposer}`);
  }
  const mix = config.rules.randaoMix
    ? sha256Hex(`${s.mix}:${sha256Hex(block.randaoReveal)}`)
    : s.mix;
  s = { ...s, mix };
  for (const e of block.slashings) {
    if (!checkEvidence(e, config.rules))
      return fail('slashing', `invalid evidence against ${e.a.validator}`);
    const v = e.a.validator;
    if (s.slashed.includes(v)) continue;
    const stake = s.stakes[v] ?? 0;
    s = {
      ...s,
      slashed: [...s.slashed, v],
      stakes: { ...s.stakes, [v]: stake - Math.floor(stake / config.slashDivisor) },
    };
  }
  const votes: Record<string, Record<ValidatorId, FfgVote>> = { ...s.votes };
  for (const a of block.attestations) {
    const d = a.data;
    const attEpoch = epochOf(d.slot, config);
    if (d.slot >= block.slot || attEpoch + 1 < epoch || d.target.epoch !== attEpoch) {
      return fail(
        'attestation',
        `vote of ${a.validator} at slot ${d.slot} not includable at ${block.slot}`,
      );
    }
    if (!committeeOf(s, d.slot, config).includes(a.validator)) {
      return fail('attestation', `${a.validator} is not in slot ${d.slot}'s committee`);
    }
    if (!verify(a.validator, attestationText(d), a.sig)) {
      return fail('attestation', `bad signature on ${a.validator}'s vote`);
    }
    const key = String(d.target.epoch);
    // A slashed validator's vote is valid but no longer counts.
    if (s.slashed.includes(a.validator) || votes[key]?.[a.validator] !== undefined) continue;
    votes[key] = { ...votes[key], [a.validator]: { source: d.source, target: d.target } };
  }
  s = { ...s, votes };
  if (block.slot % config.slotsPerEpoch === 0) {
    s = { ...s, epochRoots: { ...s.epochRoots, [String(epoch)]: root } };
  }
  return { ok: true, state: { ...s, latest: root } };
}
