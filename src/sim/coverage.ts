/**
 * What a run reached, counted from what the simulator already sees: each message kind a node
 * sent in each role it held, each fault the nemesis applied, each kind of protocol log line and
 * each timer that fired. Summed over a sweep (mergeCoverage), the distinct keys tell a strong
 * sweep from a weak one: one that never saw an `install-snapshot` from a leader, a view change
 * or a torn write did not test the code behind them, whatever its verdicts say.
 *
 * The recorder only observes: it wraps each node's `send` and reads the trace's non-message
 * events, so a run's digest is the same with it as without it (a test checks this).
 */
import type { Message, NodeEnv, NodeFactory, NodeId, ProtocolNode } from '../core/node.js';
import type { DropReason, TraceEvent } from './trace.js';

/** Counts by key, one map per kind of thing reached. Keys are sorted when serialised. */
export interface Coverage {
  /** `role type`: a node in `role` (its inspect() role) sent a message of `type`. */
  readonly sends: Readonly<Record<string, number>>;
  /** `plan fault`/`plan heal` from the nemesis, and what the simulator did: `crash`, `restart`… */
  readonly faults: Readonly<Record<string, number>>;
  /** The message of each log line a node wrote (NodeEnv.log), e.g. `became leader`. */
  readonly logs: Readonly<Record<string, number>>;
  /** The name of each timer that fired. */
  readonly timers: Readonly<Record<string, number>>;
  /**
   * Samples of each measurement the nodes reported (NodeEnv.metric): protocol events a message
   * type does not show, e.g. PBFT's `pbft.view-changes`, whose messages are all `pbft` envelopes.
   */
  readonly metrics: Readonly<Record<string, number>>;
}

export const COVERAGE_KINDS = ['sends', 'faults', 'logs', 'timers', 'metrics'] as const;
export type CoverageKind = (typeof COVERAGE_KINDS)[number];

/** A node with no `role` in its view: one kind of node, or a view naming no role. */
export const NO_ROLE = 'node';

/**
 * The role a node's view names: its `role` when that is a string; otherwise, for views that
 * name the `primary` (PBFT), `primary` or `backup`.
 */
export function roleOf(id: NodeId, node: ProtocolNode): string {
  const view = node.inspect();
  const role = view['role'];
  if (typeof role === 'string') return role;
  const primary = view['primary'];
  if (typeof primary === 'string') return primary === id ? 'primary' : 'backup';
  return NO_ROLE;
}

interface RoleCache {
  node: ProtocolNode | null;
  stamp: number;
  role: string;
}

export class CoverageRecorder {
  private readonly sends = new Map<string, number>();
  private readonly faults = new Map<string, number>();
  private readonly logs = new Map<string, number>();
  private readonly timers = new Map<string, number>();
  private readonly roles = new Map<NodeId, RoleCache>();
  /**
   * `role type` for each role and type seen, built once: a fresh string per send was made and
   * hashed on every message (tens of thousands a run), where this lookup hashes nothing new.
   */
  private readonly sendKeys = new Map<string, Map<string, string>>();

  /**
   * `stamp()` changes whenever the simulator processes another event (its event count): a
   * node's role is read once per event in which it sends, not once per message, which keeps a
   * leader's fan-out of appends to one inspect().
   */
  constructor(private readonly stamp: () => number) {}

  /** The factory, with each node's `send` counted under the role the node holds then. */
  wrap(factory: NodeFactory): NodeFactory {
    return (env: NodeEnv) => {
      const cache: RoleCache = { node: null, stamp: -1, role: NO_ROLE };
      this.roles.set(env.id, cache);
      const observed: NodeEnv = {
        ...env,
        send: (to: NodeId, msg: Message): void => {
          this.sent(env.id, cache, msg.type);
          env.send(to, msg);
        },
      };
      const node = factory(observed);
      cache.node = node;
      return node;
    };
  }

  private sent(id: NodeId, cache: RoleCache, type: string): void {
    const now = this.stamp();
    if (cache.stamp !== now && cache.node !== null) {
      cache.role = roleOf(id, cache.node);
      cache.stamp = now;
    }
    let byType = this.sendKeys.get(cache.role);
    if (byType === undefined) this.sendKeys.set(cache.role, (byType = new Map()));
    let key = byType.get(type);
    if (key === undefined) byType.set(type, (key = `${cache.role} ${type}`));
    bump(this.sends, key);
  }

  /** Every non-message trace event (Trace.observer). */
  event(ev: TraceEvent): void {
    switch (ev.e) {
      case 'nemesis':
        bump(this.faults, `${ev.plan} ${ev.phase}`);
        return;
      case 'crash':
        bump(this.faults, 'crash');
        if (ev.lostWrites > 0) bump(this.faults, 'crash lost-writes');
        if (ev.tornWrite) bump(this.faults, 'crash torn-write');
        return;
      case 'restart':
      case 'pause':
      case 'resume':
      case 'partition':
      case 'clock':
      case 'link':
        bump(this.faults, ev.e);
        return;
      case 'drop':
        bump(this.faults, DROP_KEYS[ev.why]);
        return;
      case 'log':
        bump(this.logs, ev.msg);
        return;
      case 'timer':
        bump(this.timers, ev.name);
        return;
      default:
        return;
    }
  }

  /** The counts so far; `metrics` is the simulator's samples by name (Simulator.metrics). */
  result(metrics: ReadonlyMap<string, readonly number[]>): Coverage {
    return {
      sends: sortedRecord(this.sends),
      faults: sortedRecord(this.faults),
      logs: sortedRecord(this.logs),
      timers: sortedRecord(this.timers),
      metrics: sortedRecord(new Map([...metrics].map(([name, samples]) => [name, samples.length]))),
    };
  }
}

/**
 * Most distinct keys kept per kind. Keys are message types, roles, plan names and log messages,
 * a few dozen in every system; a protocol that put ids in its log messages would otherwise grow
 * every shard file's lines without bound. Past the cap, new keys count under OTHER.
 */
export const MAX_KEYS = 256;

/** The fault key of each kind of drop (one per dropped message: no string built per drop). */
const DROP_KEYS: Readonly<Record<DropReason, string>> = {
  loss: 'drop loss',
  partition: 'drop partition',
  down: 'drop down',
};
export const OTHER = '(other)';

function bump(map: Map<string, number>, key: string): void {
  const seen = map.get(key);
  if (seen !== undefined) map.set(key, seen + 1);
  else if (map.size < MAX_KEYS) map.set(key, 1);
  else map.set(OTHER, (map.get(OTHER) ?? 0) + 1);
}

function sortedRecord(map: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A sweep's coverage: per key, how often it happened and in how many runs. */
export type SweepCoverage = Record<CoverageKind, Record<string, { count: number; runs: number }>>;

export function emptySweepCoverage(): SweepCoverage {
  return { sends: {}, faults: {}, logs: {}, timers: {}, metrics: {} };
}

/** Adds one run's coverage into a sweep's (in place; keys re-sorted by sweepCoverageSorted). */
export function addRunCoverage(into: SweepCoverage, run: Coverage): void {
  for (const kind of COVERAGE_KINDS) {
    const target = into[kind];
    for (const [key, count] of Object.entries(run[kind])) {
      const seen = Object.hasOwn(target, key) ? target[key] : undefined;
      if (seen === undefined) target[key] = { count, runs: 1 };
      else {
        seen.count += count;
        seen.runs += 1;
      }
    }
  }
}

/** Two sweeps' coverage combined (disjoint runs: counts and runs add). */
export function mergeSweepCoverage(a: SweepCoverage, b: SweepCoverage): SweepCoverage {
  const out = emptySweepCoverage();
  for (const kind of COVERAGE_KINDS) {
    for (const part of [a[kind], b[kind]]) {
      for (const [key, v] of Object.entries(part)) {
        const seen = Object.hasOwn(out[kind], key) ? out[kind][key] : undefined;
        if (seen === undefined) out[kind][key] = { count: v.count, runs: v.runs };
        else {
          seen.count += v.count;
          seen.runs += v.runs;
        }
      }
    }
  }
  return sweepCoverageSorted(out);
}

export function sweepCoverageSorted(c: SweepCoverage): SweepCoverage {
  const out = emptySweepCoverage();
  for (const kind of COVERAGE_KINDS) {
    for (const [key, v] of Object.entries(c[kind]).sort(([a], [b]) => (a < b ? -1 : 1))) {
      out[kind][key] = v;
    }
  }
  return out;
}

/** The coverage as a few lines: distinct keys per kind, then each key with its runs. */
export function formatSweepCoverage(c: SweepCoverage, runs: number): string {
  const n = (kind: CoverageKind): number => Object.keys(c[kind]).length;
  const lines = [
    `coverage: ${n('sends')} (role, message) pairs, ${n('faults')} fault actions, ` +
      `${n('logs')} log events, ${n('timers')} timers, ${n('metrics')} measurements`,
  ];
  const label: Record<CoverageKind, string> = {
    sends: 'sent',
    faults: 'faults',
    logs: 'logged',
    timers: 'timers',
    metrics: 'measured',
  };
  for (const kind of COVERAGE_KINDS) {
    const entries = Object.entries(c[kind]);
    if (entries.length === 0) continue;
    lines.push(
      `  ${label[kind]}: ` +
        entries.map(([k, v]) => `${k} ×${v.count} (${v.runs}/${runs} runs)`).join(', '),
    );
  }
  return lines.join('\n');
}
