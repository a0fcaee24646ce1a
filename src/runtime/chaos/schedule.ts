/**
 * The fault schedule of a chaos run, drawn from its seed before the run starts, so the same
 * seed asks for the same faults (what the processes then do with them is real time and not
 * replayable). The run is cut into one slot per kill; in each, one member is killed with
 * SIGKILL at a drawn moment, stays down for a drawn time and is restarted from its data. One
 * member is down at a time, so a majority of a cluster of three or more stays up: what the
 * run measures is whether crashes lose acknowledged writes, not whether a cluster without
 * quorum answers. The load stops at the last kill (see run-chaos.ts).
 */
import { streamFor } from '../../core/random.js';

/** Who a slot kills: the member clients depend on at that moment, or a drawn one. */
export type Victim =
  { readonly kind: 'leader' } | { readonly kind: 'node'; readonly index: number };

export interface FaultSlot {
  readonly victim: Victim;
  /** From the slot's start to the kill. */
  readonly killAtMs: number;
  /** From the kill to the restart. */
  readonly downMs: number;
  /** The slot's length; the next slot starts when it ends (or when the restart is done). */
  readonly slotMs: number;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly kills: number;
  readonly durationMs: number;
  readonly nodes: number;
}

/** The shortest slot: a kill, a restart (a node process starts in ~0.3–1 s) and some load. */
export const MIN_SLOT_MS = 1000;

export class ScheduleError extends Error {
  readonly code = 'slot-too-short';
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

export function faultSchedule(o: ScheduleOptions): FaultSlot[] {
  if (!Number.isSafeInteger(o.kills) || o.kills < 0) throw new RangeError('kills: whole, ≥ 0');
  if (!Number.isSafeInteger(o.nodes) || o.nodes < 1) throw new RangeError('nodes: whole, ≥ 1');
  if (o.kills === 0) return [];
  const slotMs = o.durationMs / o.kills;
  if (slotMs < MIN_SLOT_MS) {
    throw new ScheduleError(
      `${o.kills} kills in ${o.durationMs} ms leave ${Math.floor(slotMs)} ms each; ` +
        `each needs at least ${MIN_SLOT_MS} ms (raise --duration or lower --kills)`,
    );
  }
  const rng = streamFor(o.seed, 'chaos:faults');
  const slots: FaultSlot[] = [];
  for (let i = 0; i < o.kills; i++) {
    // Half the kills hit the member that is serving writes (a Raft leader, kv-single's owner):
    // that is where an acknowledgement given before durability would show. The last one always
    // does: the load ends with it, so what it lost stays visible to the final reads.
    const drawLeader = rng.chance(0.5);
    const victim: Victim =
      drawLeader || i === o.kills - 1
        ? { kind: 'leader' }
        : { kind: 'node', index: rng.int(o.nodes) };
    slots.push({
      victim,
      killAtMs: Math.round(rng.range(0.1, 0.3) * slotMs),
      downMs: Math.round(rng.range(0.1, 0.4) * slotMs),
      slotMs: Math.round(slotMs),
    });
  }
  return slots;
}
