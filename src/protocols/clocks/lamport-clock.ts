/**
 * Lamport clocks (Lamport, "Time, Clocks, and the Ordering of Events in a Distributed System",
 * CACM 1978): one counter per process, ticked on every event and raised past every timestamp
 * received, so that a → b implies C(a) < C(b). The converse does not hold — that is what
 * vector clocks add. Ties are broken by process id to give the total order the paper builds.
 */

export interface LamportStamp {
  readonly time: number;
  readonly node: string;
}

export class LamportClock {
  private time = 0;

  constructor(readonly node: string) {}

  get now(): number {
    return this.time;
  }

  /** A local event or a send: the stamp it carries. */
  tick(): LamportStamp {
    this.time++;
    return { time: this.time, node: this.node };
  }

  /** A receive of a message stamped `time`: the receive event's stamp. */
  observe(time: number): LamportStamp {
    if (!Number.isInteger(time) || time < 0) throw new RangeError(`bad Lamport time ${time}`);
    this.time = Math.max(this.time, time) + 1;
    return { time: this.time, node: this.node };
  }
}

/** The total order: by time, then by node id. Negative, zero or positive, as for `Array.sort`. */
export function compareLamport(a: LamportStamp, b: LamportStamp): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}
