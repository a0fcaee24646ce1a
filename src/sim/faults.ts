/**
 * Composes faults from several sources (nemesis plans, the lab's buttons) onto one simulator.
 * Each source holds its own faults; what the simulator sees is their union: a link is blocked
 * if any source blocks it, a node is down while any source holds it down, loss rates combine
 * as independent chances, slowness multiplies, clock offsets add. Healing one source never
 * undoes another's fault.
 */
import type { NodeId } from '../core/node.js';
import { FaultWindowLog } from './fault-windows.js';
import type { Simulator } from './simulator.js';

interface SourceFaults {
  cut: Set<string>;
  down: Set<NodeId>;
  paused: Set<NodeId>;
  loss: number;
  duplicate: number;
  reorder: number;
  slow: number;
  /** Per node: clock offset (ms) and drift contributed by this source. */
  clocks: Map<NodeId, { offset: number; drift: number }>;
  /** This source's clock faults may break the system's clock bound (skew-beyond-bound). */
  beyondBound: boolean;
}

const linkKey = (a: NodeId, b: NodeId): string => `${a}\u0000${b}`;

export class FaultState {
  private readonly sources = new Map<string, SourceFaults>();
  /** When any fault that delays or drops messages was on (for judges; fault-windows.ts). */
  readonly windows = new FaultWindowLog();
  /** Whether any source has offset a node's clock (its own timestamps are then not true time). */
  clockFaulted = false;
  /**
   * The system's promise about its clocks (SystemDefinition.clockBoundMs): no clock fault moves
   * a clock further than this from true time, nor lets it drift (drift would carry it past the
   * bound), except a fault whose source is declared beyond the bound. Null: clocks are unbounded.
   */
  clockBoundMs: number | null = null;

  constructor(private readonly sim: Simulator) {}

  private noteWindow(): void {
    const degraded = [...this.sources.values()].some(
      (s) =>
        s.cut.size > 0 ||
        s.down.size > 0 ||
        s.paused.size > 0 ||
        s.loss > 0 ||
        s.reorder > 0 ||
        s.slow !== 1,
    );
    this.windows.note(degraded, this.sim.now);
  }

  private source(name: string): SourceFaults {
    let s = this.sources.get(name);
    if (s === undefined) {
      s = {
        cut: new Set(),
        down: new Set(),
        paused: new Set(),
        loss: 0,
        duplicate: 0,
        reorder: 0,
        slow: 1,
        clocks: new Map(),
        beyondBound: false,
      };
      this.sources.set(name, s);
    }
    return s;
  }

  /** The source blocks exactly these directed links (replacing what it blocked before). */
  cut(source: string, links: readonly (readonly [NodeId, NodeId])[]): void {
    this.source(source).cut = new Set(links.map(([a, b]) => linkKey(a, b)));
    this.applyPartition();
  }

  crash(source: string, nodes: readonly NodeId[]): void {
    for (const n of nodes) this.source(source).down.add(n);
    this.applyProcesses();
  }

  pause(source: string, nodes: readonly NodeId[]): void {
    for (const n of nodes) this.source(source).paused.add(n);
    this.applyProcesses();
  }

  links(
    source: string,
    f: { loss?: number; duplicate?: number; reorder?: number; slow?: number },
  ): void {
    const s = this.source(source);
    s.loss = f.loss ?? s.loss;
    s.duplicate = f.duplicate ?? s.duplicate;
    s.reorder = f.reorder ?? s.reorder;
    s.slow = f.slow ?? s.slow;
    this.applyLinks();
  }

  /**
   * The source sets `node`'s clock to run `offset` ms ahead of true time, drifting at `drift`;
   * kept inside the clock bound unless `beyondBound`.
   */
  clock(source: string, node: NodeId, offset: number, drift: number, beyondBound = false): void {
    const s = this.source(source);
    s.clocks.set(node, { offset, drift });
    if (beyondBound) s.beyondBound = true;
    if (offset !== 0 || drift !== 0) this.clockFaulted = true;
    this.applyClock(node);
  }

  /** Removes every fault the source holds. */
  heal(source: string): void {
    const s = this.sources.get(source);
    if (s === undefined) return;
    this.sources.delete(source);
    if (s.cut.size > 0) this.applyPartition();
    if (s.down.size > 0 || s.paused.size > 0) this.applyProcesses();
    if (s.loss > 0 || s.duplicate > 0 || s.reorder > 0 || s.slow !== 1) this.applyLinks();
    for (const node of s.clocks.keys()) this.applyClock(node);
  }

  healAll(): void {
    for (const name of [...this.sources.keys()]) this.heal(name);
  }

  /** Whether some source blocks the directed link from `a` to `b`. */
  blocks(a: NodeId, b: NodeId): boolean {
    const k = linkKey(a, b);
    for (const s of this.sources.values()) if (s.cut.has(k)) return true;
    return false;
  }

  /** Nodes some source currently holds down. */
  downNodes(): Set<NodeId> {
    const out = new Set<NodeId>();
    for (const s of this.sources.values()) for (const n of s.down) out.add(n);
    return out;
  }

  private applyPartition(): void {
    this.noteWindow();
    const all = new Set<string>();
    for (const s of this.sources.values()) for (const k of s.cut) all.add(k);
    this.sim.setPartition([...all].map((k) => k.split('\u0000') as [NodeId, NodeId]));
  }

  private applyProcesses(): void {
    this.noteWindow();
    const down = this.downNodes();
    const paused = new Set<NodeId>();
    for (const s of this.sources.values()) for (const n of s.paused) paused.add(n);
    for (const id of this.sim.nodeIds) {
      const status = this.sim.status(id);
      if (down.has(id)) {
        if (status !== 'down') this.sim.crash(id);
        continue;
      }
      if (status === 'down') this.sim.restart(id);
      if (paused.has(id)) this.sim.pause(id);
      else this.sim.resume(id);
    }
  }

  private applyLinks(): void {
    this.noteWindow();
    let keepAll = 1;
    let noDup = 1;
    let noReorder = 1;
    let slow = 1;
    for (const s of this.sources.values()) {
      keepAll *= 1 - s.loss;
      noDup *= 1 - s.duplicate;
      noReorder *= 1 - s.reorder;
      slow *= s.slow;
    }
    this.sim.setLinkFaults({
      loss: 1 - keepAll,
      duplicate: 1 - noDup,
      reorder: 1 - noReorder,
      slow,
    });
  }

  private applyClock(node: NodeId): void {
    let offset = 0;
    let drift = 0;
    let sources = 0;
    let beyond = false;
    for (const s of this.sources.values()) {
      const c = s.clocks.get(node);
      if (c !== undefined) {
        offset += c.offset;
        drift += c.drift;
        sources++;
        beyond ||= s.beyondBound;
      }
    }
    // Steps move the clock by the change in the summed offsets, keeping what drift has already
    // accumulated; once no source touches the clock it is resynchronised exactly, as NTP would.
    const before = this.appliedOffset.get(node) ?? 0;
    const current = this.sim.clockState(node).offset;
    this.appliedOffset.set(node, offset);
    let target = sources === 0 ? 0 : current + offset - before;
    const bound = this.clockBoundMs;
    if (bound !== null && !beyond) {
      target = Math.max(-bound, Math.min(bound, target));
      drift = 0;
    }
    this.sim.setClock(node, target, drift);
  }

  private readonly appliedOffset = new Map<NodeId, number>();
}
