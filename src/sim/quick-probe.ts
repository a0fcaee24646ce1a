/**
 * Quick probes: a probe slot (triggers.ts) whose cut is healed within a few hundred
 * milliseconds, for the swarm seeds that drew no probe.
 *
 * A probe cuts the cluster along who saw a request, so that a node that answered it and then
 * lost the answer in a reboot meets the nodes that never saw it. The bug shows only when both
 * sides act: the majority side on the forgotten answer's absence, and the requester on the
 * answer it holds. The requester acts only while it still retries — a Paxos proposer resends
 * its accept for about 300 ms and then starts a higher ballot, which learns what the other side
 * chose — so a cut held for the seconds the plain triggers draw heals after the requester gave
 * up, and the two decisions never meet (`paxos` `forget-promise`: caught on no seed of 200 with
 * probes held that long, on about 1 in 100 with these). Real networks have short cuts too: a
 * flapping link, a switch failover.
 *
 * Drawn from a stream of its own, and only for seeds that drew no probe, so a seed that had a
 * probe keeps its run exactly.
 */
import type { Random } from '../core/random.js';
import { PROBE_ACTIONS, type TriggerSettings } from './triggers.js';
import { someOf } from './random-subsets.js';

/** How long a quick probe's cut is held, ms: lo drawn from this range, hi up to twice lo. */
const QUICK_HOLD_MS: readonly [number, number] = [5, 200];

/**
 * A quick probe's reboot restarts the node at once, as a supervisor restarts a killed process:
 * what it had not synced is gone, and the requests already on their way to it find it up. Held
 * down for the 1–50 ms of the other probes, it misses them, and the proposer that sent them
 * gives up its ballot for a higher one, which the requester's ballot no longer outranks
 * (`forget-promise`: 24 of 100 three-node seeds with the probe alone, against 10 of 100).
 */
const REBOOT_MS: readonly [number, number] = [0, 0];

/** The seed's triggers with a quick probe slot added, or as they were (drawn no). */
export function drawQuickProbe(
  random: Random,
  triggers: TriggerSettings | null,
): TriggerSettings | null {
  if (!random.chance(2 / 3)) return triggers;
  const lo = Number(random.range(QUICK_HOLD_MS[0], QUICK_HOLD_MS[1]).toFixed(1));
  const probeHoldMs: [number, number] = [lo, Number((lo * random.range(1, 2)).toFixed(1))];
  const probes = someOf(random, PROBE_ACTIONS, 0.5);
  if (triggers !== null) return { ...triggers, probes, probeHoldMs, probeRebootMs: REBOOT_MS };
  // No plain slot: the probe alone, healed only by time (at-once would undo its cut at once).
  const gap = Number(random.range(0, 500).toFixed(1));
  return {
    events: ['send'],
    actions: ['crash'],
    heals: ['timed'],
    chance: 1,
    delayMs: [0, 0],
    holdMs: probeHoldMs,
    gapMs: [gap, Number((gap * random.range(1, 4)).toFixed(1))],
    slots: 0,
    probes,
    probeHoldMs,
    probeRebootMs: REBOOT_MS,
  };
}
