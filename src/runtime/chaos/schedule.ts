/**
 * The fault schedule of a chaos run, drawn from its seed before the run starts, so the same
 * seed asks for the same faults (what the processes then do with them is real time and not
 * replayable). The run is cut into one slot per fault, a kill or a partition, one fault at a
 * time, so a majority of a cluster of three or more always has a live, connected quorum: what
 * the run measures is whether faults lose acknowledged writes, not whether a cluster without
 * quorum answers.
 *
 * A kill: at a drawn moment one member is killed with SIGKILL, stays down for a drawn time and
 * is restarted from its data. A partition: at a drawn moment a minority is cut off from the
 * rest (one member; with five or more, sometimes ⌊(n−1)/2⌋ of them) — half the time by severing
 * its connections, half by stalling them — and healed after a drawn time. The load stops at the last kill (see run-chaos.ts), so the last slot is a kill whenever
 * there are kills. Kills draw from the stream they always did, so a run without partitions
 * has the same schedule as before partitions existed.
 */
import { streamFor, type Random } from '../../core/random.js';
import type { CutKind } from './partition-proxy.js';

/** Who a slot kills: the member clients depend on at that moment, or a drawn one. */
export type Victim =
  { readonly kind: 'leader' } | { readonly kind: 'node'; readonly index: number };

export interface FaultSlot {
  readonly fault: 'kill' | 'partition';
  /** The member killed, or the one cut off (with `others`, when a partition cuts off more). */
  readonly victim: Victim;
  /**
   * A partition's further minority members, as draws: each picks (modulo) among the members
   * not chosen yet, in the cluster's order. Empty for a kill and for an isolation.
   */
  readonly others: readonly number[];
  /** How a partition cuts its links (partition-proxy.ts); absent for a kill. */
  readonly cut?: CutKind;
  /** From the slot's start to the fault. */
  readonly atMs: number;
  /** From the kill to the restart, or from the cut to the heal. */
  readonly downMs: number;
  /** The slot's length; the next slot starts when it ends (or when the restart is done). */
  readonly slotMs: number;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly kills: number;
  readonly partitions?: number;
  readonly durationMs: number;
  readonly nodes: number;
}

/** The shortest slot: a kill, a restart (a node process starts in ~0.3–1 s) and some load. */
export const MIN_SLOT_MS = 1000;
/**
 * The shortest slot of a run with partitions: a cut of at least 40 % of it, 800 ms, outlasts an
 * election on the majority's side (timers of 150–300 ms, then pre-vote and vote) and Raft's
 * check-quorum on the cut-off leader (it steps down 300–450 ms after it last heard from a
 * majority), so cutting off a leader shows as a new one.
 */
export const MIN_PARTITION_SLOT_MS = 2000;

export class ScheduleError extends Error {
  constructor(
    readonly code: 'slot-too-short' | 'too-few-nodes',
    message: string,
  ) {
    super(message);
    this.name = 'ScheduleError';
  }
}

export function faultSchedule(o: ScheduleOptions): FaultSlot[] {
  const partitions = o.partitions ?? 0;
  if (!Number.isSafeInteger(o.kills) || o.kills < 0) throw new RangeError('kills: whole, ≥ 0');
  if (!Number.isSafeInteger(partitions) || partitions < 0) {
    throw new RangeError('partitions: whole, ≥ 0');
  }
  if (!Number.isSafeInteger(o.nodes) || o.nodes < 1) throw new RangeError('nodes: whole, ≥ 1');
  if (partitions > 0 && o.nodes < 3) {
    throw new ScheduleError(
      'too-few-nodes',
      `a partition needs a minority to cut off and a majority left: at least 3 nodes, not ${o.nodes}`,
    );
  }
  const total = o.kills + partitions;
  if (total === 0) return [];
  const slotMs = o.durationMs / total;
  const min = partitions > 0 ? MIN_PARTITION_SLOT_MS : MIN_SLOT_MS;
  if (slotMs < min) {
    const what =
      partitions > 0 ? `${o.kills} kills and ${partitions} partitions` : `${o.kills} kills`;
    throw new ScheduleError(
      'slot-too-short',
      `${what} in ${o.durationMs} ms leave ${Math.floor(slotMs)} ms each; ` +
        `each needs at least ${min} ms (raise --duration or lower --kills${partitions > 0 ? ' or --partitions' : ''})`,
    );
  }
  const kills = killSlots(o.seed, o.kills, o.nodes, slotMs);
  if (partitions === 0) return kills;
  const rng = streamFor(o.seed, 'chaos:partitions');
  const cuts = partitionSlots(rng, partitions, o.nodes, slotMs);
  // Which slots are partitions: drawn among all but the last when there are kills (the load
  // ends with the last kill).
  const free = Array.from({ length: o.kills > 0 ? total - 1 : total }, (_, i) => i);
  const at = new Set(rng.shuffle(free).slice(0, partitions));
  const slots: FaultSlot[] = [];
  let k = 0;
  let p = 0;
  for (let i = 0; i < total; i++) {
    const next = at.has(i) ? cuts[p++] : kills[k++];
    if (next === undefined) throw new Error('fault schedule: slot count mismatch');
    slots.push(next);
  }
  return slots;
}

function killSlots(seed: number, count: number, nodes: number, slotMs: number): FaultSlot[] {
  const rng = streamFor(seed, 'chaos:faults');
  const slots: FaultSlot[] = [];
  for (let i = 0; i < count; i++) {
    // Half the kills hit the member that is serving writes (a Raft leader, kv-single's owner):
    // that is where an acknowledgement given before durability would show. The last one always
    // does: the load ends with it, so what it lost stays visible to the final reads.
    const drawLeader = rng.chance(0.5);
    const victim: Victim =
      drawLeader || i === count - 1 ? { kind: 'leader' } : { kind: 'node', index: rng.int(nodes) };
    slots.push({
      fault: 'kill',
      victim,
      others: [],
      atMs: Math.round(rng.range(0.1, 0.3) * slotMs),
      downMs: Math.round(rng.range(0.1, 0.4) * slotMs),
      slotMs: Math.round(slotMs),
    });
  }
  return slots;
}

function partitionSlots(rng: Random, count: number, nodes: number, slotMs: number): FaultSlot[] {
  const slots: FaultSlot[] = [];
  for (let i = 0; i < count; i++) {
    // Half the partitions cut off the leader — the one whose cut shows (a new leader on the
    // other side) and the one that tempts a stale read or a lost write; the first always does,
    // so every run with partitions checks at least once that its cuts take.
    const victim: Victim =
      i === 0 || rng.chance(0.5) ? { kind: 'leader' } : { kind: 'node', index: rng.int(nodes) };
    // With five or more members, half the partitions cut off the largest minority.
    const minority = nodes >= 5 && rng.chance(0.5) ? Math.floor((nodes - 1) / 2) : 1;
    const others = Array.from({ length: minority - 1 }, () => rng.int(nodes));
    slots.push({
      fault: 'partition',
      victim,
      others,
      cut: rng.chance(0.5) ? 'stall' : 'sever',
      atMs: Math.round(rng.range(0.1, 0.3) * slotMs),
      downMs: Math.round(rng.range(0.4, 0.6) * slotMs),
      slotMs: Math.round(slotMs),
    });
  }
  return slots;
}
