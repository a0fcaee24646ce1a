/**
 * The witness regime of a swarm mix: a seed whose only event-triggered fault is a
 * `sole-witness` probe (triggers.ts) aimed at quorum requests, with no other trigger slot and no
 * link noise. The probe's catches need a forgetful answerer to meet a majority that never saw the
 * request; the other slots' cuts and the noise, unioned with the probe's cut, mostly keep that
 * majority from forming (docs/simulator.md, Swarm). Swarm testing's "feature omission" (Groce et
 * al., ISSTA 2012) says to draw such mixes, not to make every seed one: a share of the seeds.
 *
 * Drawn from a stream of its own (`swarm:witness`) after every other draw, so a seed that does
 * not draw the regime keeps its mix, and its run, exactly.
 */
import { streamFor, type Random } from '../core/random.js';
import type { TriggerSettings } from './triggers.js';

/**
 * How a `sole-witness` probe picks and cuts, when set (absent: the original probe).
 * `pick: 'broadcast'` waits only for a type some node has sent to two or more peers at one
 * instant (a request to a quorum: cutting a unicast to a sole witness proves nothing), weighted
 * by rarity as before. `reboot: 'all'` reboots every witness as it answers, leaving the
 * requester alone: with one reboot a cluster of even size never has two quorums (the forgetful
 * witness plus the nodes that never saw the request are n − ⌊n/2⌋, one short), and with five or
 * seven nodes the other witnesses stay on the requester's side.
 */

/** Share of the seeds that draw the regime. */
const WITNESS_SHARE = 0.3;

const round = (x: number): number => Number(x.toFixed(1));

function interval(r: Random, min: number, max: number, spread: number): [number, number] {
  const lo = round(r.range(min, max));
  return [lo, round(lo * r.range(1, spread))];
}

export interface WitnessRegime {
  readonly triggers: TriggerSettings;
  /**
   * The smallest cluster the swarm may draw, on half the regime's seeds (else null: the seed's
   * own size). Histories that need several leaders in turn to hold conflicting entries (Raft's
   * Figure 8) need fewer coincidences among three nodes than among seven.
   */
  readonly nodes: number | null;
}

/**
 * The regime for the seed, or null when it does not draw it. The heals and gaps are the seed's
 * own when it drew triggers; otherwise they are drawn here. `smallest` is the least cluster size
 * the swarm draws for the system.
 */
export function drawWitnessRegime(
  seed: number,
  triggers: TriggerSettings | null,
  smallest: number,
): WitnessRegime | null {
  const r = streamFor(seed, 'swarm:witness');
  if (!r.chance(WITNESS_SHARE)) return null;
  const reboot = r.chance(0.5) ? 'all' : 'first';
  // The cut must outlast an election on the majority side, or the requester's heartbeats undo
  // it first: half the regime's seeds hold it 100 ms to 3 s (election timeouts are 150–300 ms
  // for the Raft systems here), the rest keep the general trigger's hold (from 5 ms).
  const long = r.chance(0.5) ? interval(r, 100, 1500, 2) : null;
  const base: TriggerSettings = triggers ?? {
    events: ['send'],
    actions: ['crash'],
    heals: r.chance(0.5) ? ['timed'] : ['timed', 'after-log'],
    chance: 1,
    delayMs: [0, 0],
    holdMs: interval(r, 5, 1000, 4),
    gapMs: interval(r, 0, 500, 4),
    slots: 1,
  };
  const nodes = r.chance(0.5) ? smallest : null;
  return {
    triggers: {
      ...base,
      slots: 0,
      probes: ['sole-witness'],
      holdMs: long ?? base.holdMs,
      witness: { pick: 'broadcast', reboot },
    },
    nodes,
  };
}
