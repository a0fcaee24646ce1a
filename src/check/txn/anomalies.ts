/**
 * Anomalies by their Adya / Elle names, the consistency models each one rules out (Elle's
 * lattice, restricted to the models offered here), and the evidence shape for each.
 */
import type { EdgeKind } from './dep-graph.js';

export const CONSISTENCY_MODELS = [
  'read-committed',
  'snapshot-isolation',
  'strong-session-snapshot-isolation',
  'serializable',
  'strong-session-serializable',
  'strict-serializable',
] as const;
export type ConsistencyModel = (typeof CONSISTENCY_MODELS)[number];

/** The order edges a model adds to the data dependencies. */
export function orderEdgesFor(model: ConsistencyModel): { realtime: boolean; process: boolean } {
  return {
    realtime: model === 'strict-serializable',
    // A client runs one transaction at a time, so real-time order contains process order (as
    // Elle has it: strict serializability implies strong session serializability) — and a
    // client's order is known even where timestamps tie.
    process: model === 'strict-serializable' || model.startsWith('strong-session-'),
  };
}

export const CYCLE_BASES = ['G0', 'G1c', 'G-single', 'G-nonadjacent', 'G2-item'] as const;
export type CycleBase = (typeof CYCLE_BASES)[number];
export type CycleAnomaly = CycleBase | `${CycleBase}-process` | `${CycleBase}-realtime`;

export const PLAIN_ANOMALIES = [
  'G1a',
  'G1b',
  'lost-update',
  'duplicate-elements',
  'internal',
  'incompatible-order',
  'garbage-read',
] as const;
export type PlainAnomaly = (typeof PLAIN_ANOMALIES)[number];
export type AnomalyType = CycleAnomaly | PlainAnomaly;

const ALL = CONSISTENCY_MODELS;
const SI_UP: readonly ConsistencyModel[] = [
  'snapshot-isolation',
  'strong-session-snapshot-isolation',
  'serializable',
  'strong-session-serializable',
  'strict-serializable',
];
const SER_UP: readonly ConsistencyModel[] = [
  'serializable',
  'strong-session-serializable',
  'strict-serializable',
];

/**
 * The models an anomaly rules out. Read committed forbids G0 and G1 (PL-2); snapshot
 * isolation adds G-single, lost update and (as in Elle, after Cerone and Gotsman) G-nonadjacent
 * — a cycle whose rw edges are never adjacent; serializability adds G2. Process and realtime
 * variants need the session / real-time orders those models promise: process order for the
 * strong-session models and strict serializability (which implies strong session
 * serializability), real-time order for strict serializability only. A transaction that reads a
 * key twice and sees different values without writing it between (internal) is a
 * non-repeatable read, which read committed allows and snapshot isolation does not. A history
 * whose reads cannot be explained at all (incompatible order, duplicates) rules out every
 * model.
 */
export function ruledOutBy(type: AnomalyType): readonly ConsistencyModel[] {
  switch (type) {
    case 'G0':
    case 'G1a':
    case 'G1b':
    case 'G1c':
    case 'incompatible-order':
    case 'duplicate-elements':
      return ALL;
    case 'garbage-read':
      // Reported, but, as in Elle, it decides nothing: a history cut from a longer one (as
      // Elle's own test histories are) reads values whose writers were left out.
      return [];
    case 'internal':
    case 'lost-update':
    case 'G-single':
    case 'G-nonadjacent':
      return SI_UP;
    case 'G2-item':
      return SER_UP;
    case 'G0-process':
    case 'G1c-process':
    case 'G-single-process':
    case 'G-nonadjacent-process':
      return [
        'strong-session-snapshot-isolation',
        'strong-session-serializable',
        'strict-serializable',
      ];
    case 'G2-item-process':
      return ['strong-session-serializable', 'strict-serializable'];
    case 'G0-realtime':
    case 'G1c-realtime':
    case 'G-single-realtime':
    case 'G-nonadjacent-realtime':
    case 'G2-item-realtime':
      return ['strict-serializable'];
  }
}

/** One edge of a cycle, with what made it. */
export interface CycleStep {
  /** History op ids. */
  readonly from: number;
  readonly to: number;
  readonly kind: EdgeKind;
  readonly key?: string;
  readonly why: string;
}

export interface CycleEvidence {
  readonly type: CycleAnomaly;
  /** The smallest cycle of this type found; the last step returns to the first's `from`. */
  readonly cycle: readonly CycleStep[];
}

export interface PlainEvidence {
  readonly type: PlainAnomaly;
  /** History op ids involved (the reader first). */
  readonly ops: readonly number[];
  readonly key?: string;
  readonly why: string;
}

export type AnomalyEvidence = CycleEvidence | PlainEvidence;
