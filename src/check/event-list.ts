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
    const invokes = new Float64Array(n);
    const returns = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const op = ops[i] as TimedOp;
      invokes[i] = op.invoke;
      returns[i] = op.returnsAt;
    }
    const calls = orderByTime(invokes);
    const rets = orderByTime(returns);

    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1);
    this.prev = new Int32Array(2 * n + 1);
    this.opOf = new Int32Array(2 * n);
    this.isCall = new Uint8Array(2 * n);
    this.returnOf = new Int32Array(n);
    const { next, prev, opOf, isCall, returnOf } = this;
    let last = this.head;
    let c = 0;
    let r = 0;
    for (let entry = 0; entry < 2 * n; entry++) {
      // At equal times calls come first: events that share a timestamp are treated as
      // concurrent, the reading that never invents a violation. Among calls (or returns) at one
      // time, the operation listed first comes first.
      const call =
        c < n &&
        (r >= n ||
          (invokes[calls[c] as number] as number) <= (returns[rets[r] as number] as number));
      const op = call ? (calls[c++] as number) : (rets[r++] as number);
      opOf[entry] = op;
      if (call) isCall[entry] = 1;
      else returnOf[op] = entry;
      next[last] = entry;
      prev[entry] = last;
      last = entry;
    }
    next[last] = -1;
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

/**
 * The indices 0..n-1 ordered by `times`, ties by index: a stable bottom-up merge sort over
 * typed arrays. Not Array.prototype.sort with a comparator: that calls back into JavaScript
 * for every comparison, which in a fresh process (interpreted, before any JIT) was a quarter
 * of the cost of setting up a small check. Histories arrive nearly in time order, so an
 * already sorted input is detected and costs one pass.
 */
export function orderByTime(times: Float64Array): Int32Array {
  const n = times.length;
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = (times[i - 1] as number) <= (times[i] as number);
  if (sorted) return order;
  let other = new Int32Array(n);
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let a = lo;
      let b = mid;
      let out = lo;
      while (a < mid && b < hi) {
        const x = order[a] as number;
        const y = order[b] as number;
        // `<=` keeps the left run first on ties: with runs in index order, ties stay by index.
        if ((times[x] as number) <= (times[y] as number)) {
          other[out++] = x;
          a++;
        } else {
          other[out++] = y;
          b++;
        }
      }
      while (a < mid) other[out++] = order[a++] as number;
      while (b < hi) other[out++] = order[b++] as number;
    }
    const t = order;
    order = other;
    other = t;
  }
  return order;
}
