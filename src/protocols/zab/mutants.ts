/**
 * Deliberately broken Zabs, one rule removed each. The scenario tests
 * (test/protocols/zab/mutant-scenarios.test.ts) and `--swarm` seeds must catch each: a checker
 * that never fails proves nothing.
 */
export interface ZabMutants {
  /** A follower ACKs a proposal before the proposal is synced to its disk. */
  readonly ackBeforeSync: boolean;
  /** A follower told to TRUNC keeps the proposals past the point the new leader named. */
  readonly skipTruncate: boolean;
  /** The leader commits a proposal on its own ack, without waiting for a quorum. */
  readonly commitWithoutQuorum: boolean;
}

export const NO_ZAB_MUTANTS: ZabMutants = {
  ackBeforeSync: false,
  skipTruncate: false,
  commitWithoutQuorum: false,
};

export const ZAB_MUTANTS = [
  {
    name: 'ack-before-sync',
    description: 'a follower ACKs a proposal before it is synced, so a crash can lose an acked one',
  },
  {
    name: 'skip-truncate',
    description:
      'a follower ignores TRUNC and keeps a proposal the new leader never committed, then delivers it',
  },
  {
    name: 'commit-without-quorum',
    description: 'the leader commits a proposal on its own ack, without a quorum of followers',
  },
] as const;

export function zabMutantsFor(name: string | undefined): ZabMutants {
  if (name === undefined) return NO_ZAB_MUTANTS;
  if (!ZAB_MUTANTS.some((m) => m.name === name)) throw new Error(`unknown Zab mutant ${name}`);
  return {
    ackBeforeSync: name === 'ack-before-sync',
    skipTruncate: name === 'skip-truncate',
    commitWithoutQuorum: name === 'commit-without-quorum',
  };
}
