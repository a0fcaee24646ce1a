/**
 * The network between nodes: per directed link, a latency distribution and the fault knobs the
 * nemesis turns — blocked (partitions of any shape, one-way included), loss, duplication,
 * reordering (an occasional long extra delay) and slowness (a latency multiplier).
 */
import type { Random } from '../core/random.js';
import { meanLatency, sampleLatency, type Latency, type LatencyByType } from './latency.js';

export interface LinkFaults {
  loss?: number;
  duplicate?: number;
  reorder?: number;
  slow?: number;
}

export class Network {
  readonly blocked: Uint8Array;
  readonly loss: Float64Array;
  readonly duplicate: Float64Array;
  readonly reorder: Float64Array;
  readonly slow: Float64Array;
  readonly latency: Latency[];
  /** Latency by message type; it replaces the link's latency for the types it names. */
  private readonly byType: ReadonlyMap<string, Latency> | undefined;

  constructor(
    readonly size: number,
    latency: Latency,
    byType: LatencyByType = {},
  ) {
    // Absent unless a run asks for it: every message's delay is drawn here.
    this.byType = Object.keys(byType).length > 0 ? new Map(Object.entries(byType)) : undefined;
    const links = size * size;
    this.blocked = new Uint8Array(links);
    this.loss = new Float64Array(links);
    this.duplicate = new Float64Array(links);
    this.reorder = new Float64Array(links);
    this.slow = new Float64Array(links).fill(1);
    this.latency = new Array<Latency>(links).fill(latency);
  }

  link(from: number, to: number): number {
    return from * this.size + to;
  }

  /**
   * Samples the delivery delay of one message of type `type` on link `l`. The link's faults
   * (slowness, reordering) apply on top of a per-type latency as they do on the link's own.
   */
  delay(l: number, random: Random, type?: string): number {
    const lat =
      (type === undefined ? undefined : this.byType?.get(type)) ?? (this.latency[l] as Latency);
    let d = sampleLatency(lat, random) * (this.slow[l] as number);
    const reorder = this.reorder[l] as number;
    if (reorder > 0 && random.next() < reorder) d += random.range(0, 20 * meanLatency(lat));
    return d;
  }

  /** Directed links currently blocked, as [from, to] index pairs. */
  blockedPairs(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.size; i++) {
      for (let j = 0; j < this.size; j++) if (this.blocked[i * this.size + j]) out.push([i, j]);
    }
    return out;
  }

  setAllFaults(f: LinkFaults): void {
    if (f.loss !== undefined) this.loss.fill(f.loss);
    if (f.duplicate !== undefined) this.duplicate.fill(f.duplicate);
    if (f.reorder !== undefined) this.reorder.fill(f.reorder);
    if (f.slow !== undefined) this.slow.fill(f.slow);
  }
}
