/**
 * Which swarm seeds draw a replay slot (replay-probe.ts), and its delays: a module of its own so
 * that the slot, which triggers.ts runs, does not have to know the trigger settings it is added to.
 */
import { streamFor } from '../core/random.js';
import type { TriggerSettings } from './triggers.js';

/** Share of the swarm seeds with triggers (and no witness regime) that draw a replay probe. */
const REPLAY_SHARE = 1 / 3;

/**
 * How long after the restart the copies come, ms: lo drawn from this range, hi up to three times
 * lo. Long enough, at the top, for what made the node refuse (a lock, a missing entry) to have
 * changed since — a transaction decided, a retry timer of 100 ms fired — and short enough, at
 * the bottom, to land before the sender has given up and moved on.
 */
const DELAY_MS: readonly [number, number] = [1, 300];

/**
 * The seed's triggers with a replay slot added, or as they were. Drawn from a stream of its own
 * (`swarm:replay`) after every other draw, and only for seeds that drew triggers and no witness
 * regime, so every other seed keeps its run exactly.
 */
export function drawReplay(seed: number, triggers: TriggerSettings | null): TriggerSettings | null {
  const r = streamFor(seed, 'swarm:replay');
  if (triggers === null || !r.chance(REPLAY_SHARE)) return triggers;
  const lo = Number(r.range(DELAY_MS[0], DELAY_MS[1]).toFixed(1));
  return { ...triggers, replay: { delayMs: [lo, Number((lo * r.range(1, 3)).toFixed(1))] } };
}
