/**
 * Deliberately broken replication, each with exactly one rule removed, for the checker and the
 * tests to catch (docs/kafka.md lists which test catches each).
 */
export interface IsrMutants {
  /** The high watermark is the leader's own log end offset, not the ISR's minimum. */
  readonly hwFromLeaderOnly: boolean;
  /** An acks=all produce is answered when the leader appends it, not once the HW passes it. */
  readonly ackBeforeIsr: boolean;
  /**
   * Pre-KIP-101: a replica that becomes a follower truncates its log to its own high watermark
   * and fetches from there; the leader never answers with a diverging epoch.
   */
  readonly truncateToHw: boolean;
  /**
   * Kafka's own durability: a follower reports a fetched offset, and the leader counts its own
   * log end, before the records are on disk.
   */
  readonly countBeforeSync: boolean;
}

export const NO_ISR_MUTANTS: IsrMutants = {
  hwFromLeaderOnly: false,
  ackBeforeIsr: false,
  truncateToHw: false,
  countBeforeSync: false,
};

export const ISR_MUTANTS = [
  {
    name: 'hw-from-leader-only',
    description: "the high watermark is the leader's log end offset, not the ISR's minimum",
  },
  {
    name: 'ack-before-isr',
    description: 'an acks=all produce is answered at append on the leader',
  },
  {
    name: 'truncate-to-hw',
    description:
      'a new follower truncates to its high watermark instead of by leader epoch (pre-KIP-101)',
  },
  {
    name: 'count-before-sync',
    description:
      'an offset counts toward the high watermark before it is on disk (Kafka acks from page cache)',
  },
] as const;

export function isrMutantsFor(name: string | undefined): IsrMutants {
  switch (name) {
    case undefined:
      return NO_ISR_MUTANTS;
    case 'hw-from-leader-only':
      return { ...NO_ISR_MUTANTS, hwFromLeaderOnly: true };
    case 'ack-before-isr':
      return { ...NO_ISR_MUTANTS, ackBeforeIsr: true };
    case 'truncate-to-hw':
      return { ...NO_ISR_MUTANTS, truncateToHw: true };
    case 'count-before-sync':
      return { ...NO_ISR_MUTANTS, countBeforeSync: true };
    default:
      throw new Error(`unknown ISR mutant '${name}'`);
  }
}
