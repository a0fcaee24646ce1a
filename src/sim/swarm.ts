/**
 * Swarm testing (Groce, Zhang, Eide, Chen, Regehr, "Swarm Testing", ISSTA 2012): rather than
 * run every seed under one configuration that turns every feature on, each seed draws its own
 * configuration, with a random subset of the features on. Their finding: features suppress
 * bugs as well as trigger them (a test with every fault kind on rarely lets a node stay up long
 * enough to reach a deep state), so many small random mixes find more than one full mix.
 *
 * Here a feature is a nemesis plan, an event-triggered fault kind (triggers.ts), a level of
 * link noise; the mix also draws the fault and heal phase lengths, the link latency, the
 * workload's concurrency, timeout and pacing, the cluster size where the system allows, and
 * how much of the run is under faults. Everything is drawn from the seed's `swarm` stream, so
 * `--seed N --swarm` replays a mix exactly, and the mix is printed with the seed's result.
 */
import type { SystemDefinition } from '../core/system.js';
import { streamFor, type Random } from '../core/random.js';
import { describeByzantine, drawByzantine, type ByzantineSettings } from './byzantine-draw.js';
import { AIMED_ACTIONS, type AimedAction } from './aimed-triggers.js';
import type { Latency } from './latency.js';
import {
  describeMembership,
  drawMembership,
  type MembershipSettings,
} from './membership-workload.js';
import { nemesisPlans, type NemesisTiming } from './nemesis.js';
import { describeSwarmParams, drawSwarmParams, type SwarmParams } from './swarm-params.js';
import { drawQuickProbe } from './quick-probe.js';
import { drawReplay } from './replay-draw.js';
import { someOf, subset } from './random-subsets.js';
import {
  PROBE_ACTIONS,
  TRIGGER_ACTIONS,
  TRIGGER_EVENTS,
  TRIGGER_HEALS,
  type TriggerSettings,
} from './triggers.js';
import { drawWitnessRegime } from './witness-regime.js';

export interface SwarmMix {
  readonly nodes: number;
  /** Nemesis plans on, joined by commas, or `none`. */
  readonly nemesis: string;
  readonly timing: NemesisTiming;
  readonly latency: Latency;
  /** Link noise during the fault window (healed with everything else at the final heal). */
  readonly noise: { readonly loss: number; readonly duplicate: number; readonly reorder: number };
  readonly triggers: TriggerSettings | null;
  readonly workload: {
    readonly clients: number;
    readonly timeoutMs: number;
    readonly thinkMs: number;
    readonly keys: number;
  };
  readonly faultFraction: number;
  /** Membership changes during the run (membership-workload.ts), or null for none. */
  readonly membership: MembershipSettings | null;
  /** The system's params drawn for the seed (swarm-params.ts); empty when none. */
  readonly params: SwarmParams;
  /** Byzantine replicas (byzantine-draw.ts), or null for none. */
  readonly byzantine: ByzantineSettings | null;
}

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** The seed's triggers with its aimed faults (aimed-triggers.ts) added, when it has both. */
function withAimed(
  triggers: TriggerSettings | null,
  aimed: readonly AimedAction[],
): TriggerSettings | null {
  return triggers !== null && aimed.length > 0 ? { ...triggers, aimed: [...aimed] } : triggers;
}

/** An interval [lo, hi] with lo drawn from [min, max) and hi up to `spread` times lo. */
function interval(random: Random, min: number, max: number, spread: number): [number, number] {
  const lo = round(random.range(min, max), 1);
  return [lo, round(lo * random.range(1, spread), 1)];
}

/**
 * Cluster sizes a swarm may draw: from the system's minimum (but at least 3 when its default is,
 * since one or two nodes leave no minority to fault) up to two more than its default.
 */
export function swarmNodeRange(system: SystemDefinition): [number, number] {
  const lo = Math.max(system.minNodes, Math.min(3, system.defaultNodes));
  return [lo, Math.max(lo, system.defaultNodes + 2)];
}

/**
 * The seed's mix. `nodes`, when given, is kept (the user fixed the cluster); the draws are made
 * either way so the rest of the mix does not depend on it.
 */
export function drawSwarm(system: SystemDefinition, seed: number, nodes?: number): SwarmMix {
  const r = streamFor(seed, 'swarm');
  const [nlo, nhi] = swarmNodeRange(system);
  const drawnNodes = nlo + r.int(nhi - nlo + 1);
  // Each plan on with probability 1/3: mostly a few kinds at a time, sometimes none (then the
  // triggers alone act), as the paper's "feature omission" recommends.
  const plans = subset(
    r,
    nemesisPlans().map((p) => p.name),
    1 / 3,
  );
  const timing: NemesisTiming = {
    faultMs: interval(r, 30, 1500, 3),
    healMs: interval(r, 10, 1000, 3),
  };
  const mean = r.pick([0.5, 1, 2, 5]);
  const latency: Latency = r.chance(0.5)
    ? { kind: 'exponential', mean, floor: round(mean / 2) }
    : { kind: 'uniform', min: round(mean / 4), max: round(mean * 2) };
  const noisy = (): number => (r.chance(1 / 3) ? round(r.range(0, 0.15)) : 0);
  const noise = { loss: noisy(), duplicate: noisy(), reorder: noisy() };
  const triggers: TriggerSettings | null = r.chance(0.75)
    ? {
        events: someOf(r, TRIGGER_EVENTS, 0.5),
        actions: someOf(r, TRIGGER_ACTIONS, 0.5),
        heals: someOf(r, TRIGGER_HEALS, 0.5),
        chance: round(r.pick([0.02, 0.1, 0.3, 1])),
        delayMs: r.chance(0.5) ? [0, 0] : interval(r, 0, 2, 5),
        holdMs: interval(r, 5, 1000, 4),
        gapMs: interval(r, 0, 500, 4),
        slots: 1 + r.int(3),
      }
    : null;
  const workload = {
    clients: 1 + r.int(10),
    timeoutMs: Math.round(r.range(200, 3000)),
    thinkMs: round(r.pick([0, 1, 10, 50]) * r.next(), 1),
    keys: 1 + r.int(8),
  };
  const faultFraction = round(r.range(0.5, 0.9), 2);
  // Probes (triggers.ts) draw from a stream of their own, after everything else, so that a
  // seed's mix is otherwise what it was before probes existed.
  const pr = streamFor(seed, 'swarm:probes');
  const probes = triggers !== null && pr.chance(2 / 3) ? someOf(pr, PROBE_ACTIONS, 0.5) : [];
  // A share of the seeds replaces the triggers with a lone sole-witness probe, without noise,
  // half of them on the smallest cluster.
  const witness = drawWitnessRegime(seed, triggers, nlo);
  // Aimed faults (aimed-triggers.ts) likewise, from a stream of their own.
  const ar = streamFor(seed, 'swarm:aimed');
  const aimed = triggers !== null && ar.chance(2 / 3) ? someOf(ar, AIMED_ACTIONS, 0.75) : [];
  const drawnTriggers = withAimed(
    witness?.triggers ??
      (triggers !== null && probes.length > 0
        ? { ...triggers, probes }
        : drawQuickProbe(streamFor(seed, 'swarm:quick-probe'), triggers)),
    witness === null ? aimed : [],
  );
  return {
    nodes: nodes ?? witness?.nodes ?? drawnNodes,
    nemesis: plans.length > 0 ? plans.join(',') : 'none',
    timing,
    latency,
    noise: witness !== null ? { loss: 0, duplicate: 0, reorder: 0 } : noise,
    // Replay probes (replay-probe.ts) likewise, but not in the witness regime's lone probe.
    triggers: witness === null ? drawReplay(seed, drawnTriggers) : drawnTriggers,
    workload,
    faultFraction,
    membership: drawMembership(system, seed),
    params: drawSwarmParams(system, seed),
    byzantine: drawByzantine(system, seed, nodes ?? drawnNodes),
  };
}

/** One line saying what a mix turned on, for the failing-seed line. */
export function describeSwarm(mix: SwarmMix): string {
  const n = mix.noise;
  const noise = [
    n.loss > 0 ? `loss ${n.loss}` : '',
    n.duplicate > 0 ? `dup ${n.duplicate}` : '',
    n.reorder > 0 ? `reorder ${n.reorder}` : '',
  ].filter((x) => x !== '');
  const t = mix.triggers;
  const triggers =
    t === null
      ? 'none'
      : `${t.slots}× ${t.actions.join('/')} on ${t.events.join('/')} (chance ${t.chance}, heal ${t.heals.join('/')})` +
        (t.probes !== undefined && t.probes.length > 0 ? ` probes=${t.probes.join('/')}` : '') +
        (t.witness !== undefined ? ` witness=${t.witness.pick}/reboot-${t.witness.reboot}` : '') +
        (t.probeHoldMs !== undefined ? ` (quick: held ${t.probeHoldMs.join('-')}ms)` : '') +
        (t.aimed !== undefined && t.aimed.length > 0 ? ` aimed=${t.aimed.join('+')}` : '') +
        (t.replay !== undefined ? ` replay=${t.replay.delayMs.join('-')}ms` : '');
  const w = mix.workload;
  return (
    `swarm: nodes=${mix.nodes} nemesis=${mix.nemesis} ` +
    `fault=${mix.timing.faultMs.join('-')}ms heal=${mix.timing.healMs.join('-')}ms ` +
    `noise=${noise.length > 0 ? noise.join(',') : 'none'} triggers=${triggers} ` +
    `clients=${w.clients} timeout=${w.timeoutMs}ms think=${w.thinkMs}ms keys=${w.keys} ` +
    `faults-until=${Math.round(mix.faultFraction * 100)}%` +
    (mix.membership !== null ? ` membership=${describeMembership(mix.membership)}` : '') +
    (Object.keys(mix.params).length > 0 ? ` params=${describeSwarmParams(mix.params)}` : '') +
    (mix.byzantine !== null ? ` byzantine=${describeByzantine(mix.byzantine)}` : '')
  );
}
