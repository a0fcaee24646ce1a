/**
 * Vector clocks (Fidge 1988, Mattern 1989): the version vector of a process's causal past,
 * stamped on every event. Unlike a Lamport clock it characterises happened-before exactly:
 * a → b iff VC(a) < VC(b) (`vvCompare(...) === 'before'`), and concurrency is visible.
 */
import { vvIncrement, vvMerge, type VersionVector } from './version-vector.js';

export class VectorClock {
  private v: VersionVector = {};

  constructor(readonly node: string) {}

  get now(): VersionVector {
    return this.v;
  }

  /** A local event or a send: the stamp it carries. */
  tick(): VersionVector {
    this.v = vvIncrement(this.v, this.node);
    return this.v;
  }

  /** A receive of a message stamped `stamp`: merge, then count the receive itself. */
  observe(stamp: VersionVector): VersionVector {
    this.v = vvIncrement(vvMerge(this.v, stamp), this.node);
    return this.v;
  }
}
