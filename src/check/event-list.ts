/**
 * The history of one partition as a doubly linked list of call and return events in time
 * order. The search "lifts" an operation out of the list when it linearizes it (both events
 * go) and puts it back when it backtracks; because removed entries keep their own links,
 * putting back is O(1) (Knuth's dancing links), and lifts and unlifts nest like a stack.
 */
export interface TimedOp {
  readonly invoke: number;
  /** Infinity when the outcome is unknown: nothing forces it to take effect by any time. */
  readonly returnsAt: number;
}

export class EventList {
  /** The sentinel before the first event. Entries are 0..2n-1, -1 ends the list. */
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The operation of each entry. */
  readonly opOf: Int32Array;
  /** 1 for a call event, 0 for a return. */
  readonly isCall: Uint8Array;
  /** The return entry of each operation. */
  readonly returnOf: Int32Array;

  constructor(ops: readonly TimedOp[]) {
    const n = ops.length;
    const order: number[] = [];
    for (let i = 0; i < n; i++) order.push(2 * i, 2 * i + 1);
    const time = (e: number): number => {
      const op = ops[e >> 1] as TimedOp;
      return e & 1 ? op.returnsAt : op.invoke;
    };
    // At equal times calls come first: events that share a timestamp are treated as
    // concurrent, the reading that never invents a violation.
    order.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b);

    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1);
    this.prev = new Int32Array(2 * n + 1);
    this.opOf = new Int32Array(2 * n);
    this.isCall = new Uint8Array(2 * n);
    this.returnOf = new Int32Array(n);
    let last = this.head;
    order.forEach((event, entry) => {
      const op = event >> 1;
      this.opOf[entry] = op;
      this.isCall[entry] = event & 1 ? 0 : 1;
      if (event & 1) this.returnOf[op] = entry;
      this.next[last] = entry;
      this.prev[entry] = last;
      last = entry;
    });
    this.next[last] = -1;
  }

  /** Removes call entry `call` and its operation's return entry. */
  lift(call: number): void {
    this.remove(call);
    this.remove(this.returnOf[this.opOf[call] as number] as number);
  }

  /** Undoes the latest `lift(call)`: reinserts in the reverse order of removal. */
  unlift(call: number): void {
    this.reinsert(this.returnOf[this.opOf[call] as number] as number);
    this.reinsert(call);
  }

  private remove(e: number): void {
    const p = this.prev[e] as number;
    const nx = this.next[e] as number;
    this.next[p] = nx;
    if (nx !== -1) this.prev[nx] = p;
  }

  private reinsert(e: number): void {
    const nx = this.next[e] as number;
    this.next[this.prev[e] as number] = e;
    if (nx !== -1) this.prev[nx] = e;
  }
}
