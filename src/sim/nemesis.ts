/**
 * The nemesis: named fault plans, combinable with commas. Fault and heal phases alternate on a
 * schedule drawn from the seed; each fault phase applies one or a few of the combined plans, each
 * of which draws its own choices (which node, which halves…) from its own random stream. Then
 * `finish()` heals everything for the run's recovery window.
 */
import type { NodeId } from '../core/node.js';
import { streamFor, type Random } from '../core/random.js';
import type { SimEvent } from './event-queue.js';
import type { FaultState } from './faults.js';
import type { Simulator } from './simulator.js';

export interface NemesisPlan {
  readonly name: string;
  readonly description: string;
  /** Only when named: not part of `all` nor of a swarm's draw (it breaks a system's promise). */
  readonly explicitOnly?: boolean;
  /** Applies one fault through `faults` under the source name `source`; returns what it did. */
  fault(faults: FaultState, source: string, nodes: readonly NodeId[], random: Random): string;
}

function allPairsBetween(a: readonly NodeId[], b: readonly NodeId[]): [NodeId, NodeId][] {
  const out: [NodeId, NodeId][] = [];
  for (const x of a) for (const y of b) out.push([x, y], [y, x]);
  return out;
}

function split(nodes: readonly NodeId[], random: Random, size: number): [NodeId[], NodeId[]] {
  const shuffled = random.shuffle([...nodes]);
  return [shuffled.slice(0, size), shuffled.slice(size)];
}

const list = (ns: readonly NodeId[]): string => `[${ns.join(' ')}]`;

const PLANS: readonly NemesisPlan[] = [
  {
    name: 'partition-halves',
    description: 'cut the cluster into a random minority and majority',
    fault(faults, source, nodes, random) {
      const [a, b] = split(nodes, random, Math.floor(nodes.length / 2));
      faults.cut(source, allPairsBetween(a, b));
      return `${list(a)} | ${list(b)}`;
    },
  },
  {
    name: 'partition-one',
    description: 'isolate one random node from all others',
    fault(faults, source, nodes, random) {
      const [a, b] = split(nodes, random, 1);
      faults.cut(source, allPairsBetween(a, b));
      return `isolated ${list(a)}`;
    },
  },
  {
    name: 'partition-bridge',
    description: 'two halves that cannot talk, and one bridge node that talks to both',
    fault(faults, source, nodes, random) {
      const shuffled = random.shuffle([...nodes]);
      const bridge = shuffled[0] as NodeId;
      const rest = shuffled.slice(1);
      const a = rest.slice(0, Math.floor(rest.length / 2));
      const b = rest.slice(a.length);
      faults.cut(source, allPairsBetween(a, b));
      return `${list(a)} | ${bridge} | ${list(b)}`;
    },
  },
  {
    name: 'partition-ring',
    description: 'each node hears only its two neighbours on a random ring',
    fault(faults, source, nodes, random) {
      const ring = random.shuffle([...nodes]);
      const n = ring.length;
      const cut: [NodeId, NodeId][] = [];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const d = Math.min((i - j + n) % n, (j - i + n) % n);
          if (d > 1) cut.push([ring[i] as NodeId, ring[j] as NodeId]);
        }
      }
      faults.cut(source, cut);
      return `ring ${ring.join('-')}`;
    },
  },
  {
    name: 'partition-oneway',
    description: 'a random group stops hearing the others, while they still hear it',
    fault(faults, source, nodes, random) {
      const [deaf, others] = split(nodes, random, 1 + random.int(Math.max(1, nodes.length - 1)));
      const cut: [NodeId, NodeId][] = [];
      for (const o of others) for (const d of deaf) cut.push([o, d]);
      faults.cut(source, cut);
      return `${list(others)} -/-> ${list(deaf)}`;
    },
  },
  {
    name: 'crash',
    description: 'kill a random set of nodes (losing unsynced writes), restart them at heal',
    fault(faults, source, nodes, random) {
      const [victims] = split(nodes, random, 1 + random.int(nodes.length));
      faults.crash(source, victims);
      return `crashed ${list(victims)}`;
    },
  },
  {
    name: 'kill-minority',
    description: 'kill a random minority of nodes, restart them at heal',
    fault(faults, source, nodes, random) {
      const [victims] = split(nodes, random, Math.floor((nodes.length - 1) / 2));
      faults.crash(source, victims);
      return victims.length > 0 ? `crashed ${list(victims)}` : 'no minority to kill';
    },
  },
  {
    name: 'pause',
    description: 'freeze one random process (as SIGSTOP would), resume it at heal',
    fault(faults, source, nodes, random) {
      const [victims] = split(nodes, random, 1);
      faults.pause(source, victims);
      return `paused ${list(victims)}`;
    },
  },
  {
    name: 'clock-skew',
    description: 'offset every clock by up to ±1 s and let it drift by up to ±5 %',
    fault(faults, source, nodes, random) {
      const parts: string[] = [];
      for (const n of nodes) {
        const offset = random.range(-1000, 1000);
        const drift = random.range(-0.05, 0.05);
        faults.clock(source, n, offset, drift);
        parts.push(`${n} ${offset.toFixed(0)}ms ${(drift * 100).toFixed(1)}%`);
      }
      return parts.join(', ');
    },
  },
  {
    name: 'clock-jump',
    description: "jump one node's clock 0.5–5 s forward or back",
    fault(faults, source, nodes, random) {
      const node = random.pick(nodes);
      const jump = random.range(500, 5000) * (random.chance(0.5) ? 1 : -1);
      faults.clock(source, node, jump, 0);
      return `${node} jumped ${jump.toFixed(0)}ms`;
    },
  },
  {
    name: 'lossy',
    description: 'drop 25 % of messages on every link',
    fault(faults, source) {
      faults.links(source, { loss: 0.25 });
      return 'loss 25%';
    },
  },
  {
    name: 'duplicate',
    description: 'deliver 25 % of messages twice',
    fault(faults, source) {
      faults.links(source, { duplicate: 0.25 });
      return 'duplicate 25%';
    },
  },
  {
    name: 'reorder',
    description: 'hold back 25 % of messages for up to 20 mean latencies',
    fault(faults, source) {
      faults.links(source, { reorder: 0.25 });
      return 'reorder 25%';
    },
  },
  {
    name: 'slow',
    description: 'make every link 5–20× slower',
    fault(faults, source, _nodes, random) {
      const factor = random.range(5, 20);
      faults.links(source, { slow: factor });
      return `slow ×${factor.toFixed(1)}`;
    },
  },
];

/**
 * Offsets every clock by two to four times the system's clock bound (or ±1–2 s where it
 * declares none), past what its timestamps assume: TrueTime's ε, the HLC's max offset. Spanner
 * and CockroachDB say plainly that their guarantees then fail; this shows how.
 */
const SKEW_BEYOND_BOUND: NemesisPlan = {
  name: 'skew-beyond-bound',
  description: "offset every clock by 2–4× the system's clock bound, breaking its promise",
  explicitOnly: true,
  fault(faults, source, nodes, random) {
    const bound = faults.clockBoundMs ?? 500;
    const parts: string[] = [];
    for (const n of nodes) {
      const offset = random.range(2 * bound, 4 * bound) * (random.chance(0.5) ? 1 : -1);
      faults.clock(source, n, offset, 0, true);
      parts.push(`${n} ${offset.toFixed(0)}ms`);
    }
    return parts.join(', ');
  },
};

const BY_NAME = new Map([...PLANS, SKEW_BEYOND_BOUND].map((p) => [p.name, p]));

export function nemesisNames(): string[] {
  return ['none', ...PLANS.map((p) => p.name), SKEW_BEYOND_BOUND.name, 'all'];
}

/** The plans `all` and the swarm draw from (every plan but the explicit-only ones). */
export function nemesisPlans(): readonly NemesisPlan[] {
  return PLANS;
}

export class UnknownNemesisError extends Error {}

/** Parses `partition-halves,crash`, `all` or `none` into plans. */
export function parseNemesis(spec: string): NemesisPlan[] {
  const out: NemesisPlan[] = [];
  for (const raw of spec.split(',')) {
    const name = raw.trim();
    if (name === 'none') continue;
    if (name === 'all') {
      for (const p of PLANS) if (!out.includes(p)) out.push(p);
      continue;
    }
    const plan = BY_NAME.get(name);
    if (plan === undefined) {
      throw new UnknownNemesisError(
        `unknown nemesis '${name}' (choose from ${nemesisNames().join(', ')})`,
      );
    }
    if (!out.includes(plan)) out.push(plan);
  }
  return out;
}

export interface NemesisTiming {
  /** Length of a fault phase, ms (uniform between the two). */
  readonly faultMs: readonly [number, number];
  /** Length of a healed phase between faults, ms. */
  readonly healMs: readonly [number, number];
}

export const DEFAULT_TIMING: NemesisTiming = { faultMs: [300, 1500], healMs: [200, 1000] };

export class Nemesis {
  private readonly pending = new Set<SimEvent>();
  private finished = false;

  constructor(
    private readonly sim: Simulator,
    private readonly faults: FaultState,
    private readonly plans: readonly NemesisPlan[],
    private readonly timing: NemesisTiming = DEFAULT_TIMING,
  ) {}

  start(): void {
    if (this.plans.length === 0) return;
    const randoms = this.plans.map((p) => streamFor(this.sim.seed, `nemesis:${p.name}`));
    this.healed(randoms, streamFor(this.sim.seed, 'nemesis:schedule'));
  }

  /** Heals every fault and stops scheduling new ones: the recovery window begins. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const ev of this.pending) ev.cancelled = true;
    this.pending.clear();
    for (const plan of this.plans) this.faults.heal(this.source(plan));
    if (this.plans.length > 0) this.sim.note('nemesis', 'heal', 'final heal: recovery window');
  }

  private source(plan: NemesisPlan): string {
    return `nemesis:${plan.name}`;
  }

  private later(delay: number, run: () => void): void {
    const ev = this.sim.schedule(delay, () => {
      this.pending.delete(ev);
      run();
    });
    this.pending.add(ev);
  }

  /**
   * One schedule for the whole combination: each fault phase picks the plans that act in it,
   * each with probability 2/k (at least one), so combining k plans varies the faults without
   * piling k of them on at once — with all 14 at once nearly every operation timed out and the
   * runs were unjudgeable. Each plan still draws its own choices from its own stream.
   */
  private healed(randoms: readonly Random[], schedule: Random): void {
    const [lo, hi] = this.timing.healMs;
    this.later(schedule.range(lo, hi), () => {
      const k = this.plans.length;
      let chosen = this.plans.map((_, i) => i).filter(() => schedule.chance(Math.min(1, 2 / k)));
      if (chosen.length === 0) chosen = [schedule.int(k)];
      for (const i of chosen) {
        const plan = this.plans[i] as NemesisPlan;
        const detail = plan.fault(
          this.faults,
          this.source(plan),
          this.sim.nodeIds,
          randoms[i] as Random,
        );
        this.sim.note(plan.name, 'fault', detail);
      }
      const [flo, fhi] = this.timing.faultMs;
      this.later(schedule.range(flo, fhi), () => {
        for (const i of chosen) {
          const plan = this.plans[i] as NemesisPlan;
          this.faults.heal(this.source(plan));
          this.sim.note(plan.name, 'heal', '');
        }
        this.healed(randoms, schedule);
      });
    });
  }
}
