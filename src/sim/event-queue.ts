/**
 * The simulator's agenda: a binary min-heap ordered by (time, seq). `seq` increases with every
 * insertion, so events at the same instant run in the order they were scheduled — the one
 * tie-break rule that keeps runs deterministic.
 */
export interface SimEvent {
  time: number;
  seq: number;
  /** Index of the node the event is for, or -1 for global events. */
  node: number;
  /** The node incarnation it belongs to; -1 when any live incarnation may take it. */
  incarnation: number;
  cancelled: boolean;
  run: () => void;
}

export class EventQueue {
  private heap: SimEvent[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(time: number, node: number, incarnation: number, run: () => void): SimEvent {
    const ev: SimEvent = { time, seq: this.nextSeq++, node, incarnation, cancelled: false, run };
    const h = this.heap;
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as SimEvent;
      if (parent.time < time || (parent.time === time && parent.seq < ev.seq)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = ev;
    return ev;
  }

  peekTime(): number {
    return this.heap.length > 0 ? (this.heap[0] as SimEvent).time : Infinity;
  }

  pop(): SimEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = h[l] as SimEvent;
      if (r < n) {
        const right = h[r] as SimEvent;
        if (right.time < child.time || (right.time === child.time && right.seq < child.seq)) {
          c = r;
          child = right;
        }
      }
      if (last.time < child.time || (last.time === child.time && last.seq < child.seq)) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
    return top;
  }

  clear(): void {
    this.heap = [];
  }
}
