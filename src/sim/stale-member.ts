/**
 * The stale-member regime of the admin client (membership-workload.ts): a member on a bad link
 * misses the configuration changes that follow, and comes back just as a member the operator
 * wiped starts again, on that node's side of a cut from the rest: the two hold an election
 * among themselves while no one who saw the changes can reach them. Why: a configuration change commits on a majority, not on every voter, so a voter cut off
 * across two changes (a promotion that grows the voters, then a removal) still runs a
 * configuration that counts the removed member, and the removed member, wiped and started again
 * under its name, has forgotten every vote it gave and every entry it held. Whether the two of
 * them can elect a leader is exactly what a joining server's rules decide (Ongaro's dissertation
 * §4.2.1 on disjoint majorities; docs/runtime.md, Rejoin). Random partitions line this up only by
 * luck: the cut must start after one change and span the next two, and end when the wiped node
 * is back but before any leader has reached it.
 *
 * The regime knows no protocol: it sees the admin's own steps (a node added back, a wiped node
 * started again), and cuts links. It is drawn for a share of the seeds that run
 * membership changes, from a stream of its own (`swarm:stale-member`), so other seeds keep their
 * runs; on its seeds every removed member is wiped (etcd's procedure for a member that lost its
 * disk), since the point is a member that comes back with nothing.
 */
import type { NodeId } from '../core/node.js';
import { streamFor, type Random } from '../core/random.js';
import type { FaultState } from './faults.js';
import type { Simulator } from './simulator.js';

export interface StaleMemberSettings {
  /** Longest a member stays cut off when no wiped node comes back meanwhile, ms. */
  readonly maxStaleMs: number;
  /** How long the stale member, once back, talks to the wiped node alone, ms. */
  readonly pairMs: number;
}

/** Share of the membership seeds that draw the regime. */
const STALE_SHARE = 0.5;

/** The regime for a seed that runs membership changes, or null when it does not draw it. */
export function drawStaleMember(seed: number): StaleMemberSettings | null {
  const r = streamFor(seed, 'swarm:stale-member');
  if (!r.chance(STALE_SHARE)) return null;
  return {
    maxStaleMs: Math.round(r.range(2000, 8000)),
    pairMs: Math.round(r.range(300, 3000)),
  };
}

export function describeStaleMember(s: StaleMemberSettings): string {
  return `stale:${s.maxStaleMs}ms/pair:${s.pairMs}ms`;
}

const STALE_SOURCE = 'membership:stale';
const PAIR_SOURCE = 'membership:stale-pair';

/** Every link between `node` and the others, both ways. */
function isolating(sim: Simulator, node: NodeId): (readonly [NodeId, NodeId])[] {
  return sim.nodeIds
    .filter((n) => n !== node)
    .flatMap((n) => [[node, n] as const, [n, node] as const]);
}

export class StaleMember {
  private readonly random: Random;
  private stale: { readonly node: NodeId; readonly since: number; readonly token: number } | null =
    null;
  private tokens = 0;
  /** The token of the pair's cut in force, so an older cut's timer does not heal a newer one. */
  private paired = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly faults: FaultState,
    private readonly settings: StaleMemberSettings,
  ) {
    this.random = streamFor(sim.seed, 'workload:admin:stale');
  }

  private note(detail: string): void {
    this.sim.note('membership', 'fault', detail);
  }

  /**
   * `node` is being added back: unless a member is stale already, a random other member, not
   * one of `busy` (being replaced, or dead), is cut off from everyone.
   */
  adding(node: NodeId, busy: readonly NodeId[]): void {
    if (this.stale !== null) return;
    const candidates = this.sim.nodeIds.filter((n) => n !== node && !busy.includes(n));
    if (candidates.length === 0) return;
    const stale = this.random.pick(candidates);
    const token = ++this.tokens;
    this.stale = { node: stale, since: this.sim.now, token };
    this.faults.cut(STALE_SOURCE, isolating(this.sim, stale));
    this.note(`${stale} cut off: it misses the changes that follow`);
    this.sim.schedule(this.settings.maxStaleMs, () => {
      if (this.stale?.token !== token) return;
      this.stale = null;
      this.faults.heal(STALE_SOURCE);
      this.note(`${stale} back: no wiped node started again meanwhile`);
    });
  }

  /** The nodes the admin may pick from: the stale member is not replaced while it is away. */
  spare(nodes: readonly NodeId[]): readonly NodeId[] {
    const s = this.stale;
    if (s === null) return nodes;
    const rest = nodes.filter((n) => n !== s.node);
    return rest.length > 0 ? rest : nodes;
  }

  /**
   * `node`, wiped at `wipedAt`, starts again. When the wipe came after the stale member was cut
   * off, the stale member comes back on `node`'s side only: the two of them are cut off from the
   * rest for a while (`pairMs`), then every cut heals. The oldest view of the configuration and
   * the newest amnesiac meet with no one else to correct them.
   */
  restarted(node: NodeId, wipedAt: number): void {
    const s = this.stale;
    if (s === null || node === s.node || wipedAt < s.since) return;
    this.stale = null;
    const pair = [s.node, node];
    const rest = this.sim.nodeIds.filter((n) => !pair.includes(n));
    const token = ++this.tokens;
    this.paired = token;
    this.faults.cut(
      PAIR_SOURCE,
      pair.flatMap((a) => rest.flatMap((b) => [[a, b] as const, [b, a] as const])),
    );
    this.faults.heal(STALE_SOURCE);
    this.note(`${s.node} back with ${node} alone as ${node} starts again`);
    this.sim.schedule(this.settings.pairMs, () => {
      if (this.paired === token) this.faults.heal(PAIR_SOURCE);
    });
  }

  /** The fault window closed: every cut of the regime heals. */
  stop(): void {
    this.stale = null;
    this.paired = 0;
    this.faults.heal(STALE_SOURCE);
    this.faults.heal(PAIR_SOURCE);
  }
}
