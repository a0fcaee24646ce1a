/**
 * Deliberately broken group coordinators, each with exactly one rule removed, that the tests in
 * test/systems/kafka/ must catch (group-coordinator.test.ts one by one, group-random.test.ts the
 * first three from random runs).
 */
export const GROUP_MUTANTS = [
  /** A completed rebalance keeps the members that did not rejoin. */
  'keep-absent-members',
  /** Members are never dropped for missing heartbeats. */
  'no-session-expiry',
  /** A follower's SyncGroup is answered at once instead of waiting for the leader's. */
  'sync-before-leader',
  /** Members need not share a protocol; the leader's first choice is taken. */
  'any-protocol',
  /** OffsetCommit does not check the generation. */
  'commit-any-generation',
] as const;
export type GroupMutant = (typeof GROUP_MUTANTS)[number];
