/**
 * Casper FFG's two commandments (Buterin & Griffith, "Casper the Friendly Finality Gadget",
 * 2017, §2.1): a validator must not publish two distinct votes for one target epoch (a double
 * vote), nor a vote whose source and target surround another of its votes (s1 < s2 < t2 < t1).
 * Breaking either is provable from the two signed votes alone, which is the evidence.
 */
import type { PosRules } from './config.js';
import { verify } from './crypto.js';
import { attestationText } from './roots.js';
import type { Attestation, AttestationData, SlashingEvidence } from './types.js';

function same(a: AttestationData, b: AttestationData): boolean {
  return attestationText(a) === attestationText(b);
}

export function isDoubleVote(a: AttestationData, b: AttestationData): boolean {
  return !same(a, b) && a.target.epoch === b.target.epoch;
}

/** `a` surrounds `b`. */
export function surrounds(a: AttestationData, b: AttestationData): boolean {
  return a.source.epoch < b.source.epoch && b.target.epoch < a.target.epoch;
}

/** Whether two votes (assumed one validator's) break a commandment the rules enforce. */
export function isSlashable(a: AttestationData, b: AttestationData, rules: PosRules): boolean {
  if (rules.doubleVote && isDoubleVote(a, b)) return true;
  return rules.surroundVote && (surrounds(a, b) || surrounds(b, a));
}

/** Evidence holds when both votes are the same validator's, both signed, and slashable. */
export function checkEvidence(e: SlashingEvidence, rules: PosRules): boolean {
  return (
    e.a.validator === e.b.validator &&
    verify(e.a.validator, attestationText(e.a.data), e.a.sig) &&
    verify(e.b.validator, attestationText(e.b.data), e.b.sig) &&
    isSlashable(e.a.data, e.b.data, rules)
  );
}

/** The evidence `fresh` makes against one of `earlier` (the same validator's votes), if any. */
export function findEvidence(
  fresh: Attestation,
  earlier: readonly Attestation[],
  rules: PosRules,
): SlashingEvidence | undefined {
  for (const old of earlier) {
    if (old.validator === fresh.validator && isSlashable(old.data, fresh.data, rules)) {
      return { a: old, b: fresh };
    }
  }
  return undefined;
}
