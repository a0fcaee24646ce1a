/**
 * The Wing–Gong–Lowe search for one partition: repeatedly pick an operation that may take
 * effect next (it was called before every pending operation returned), apply it to the model,
 * and backtrack when some operation's return is reached before it could be placed. The memo
 * of (linearized set, state) pairs prunes orders that reach a configuration already explored.
 *
 * Operations with an unknown outcome return "at infinity": they may be placed at any point
 * after their call, and the search succeeds as soon as every operation with a known outcome is
 * placed — so an unknown operation may also never take effect.
 *
 * The search runs in slices (`run(steps)`) so the checker can interleave partitions: like
 * Porcupine's parallel partitions, one easy violation is then found without first exhausting
 * a hard partition.
 */
import { EventList, type TimedOp } from './event-list.js';
import { SearchCache } from './search-cache.js';
import type { SearchSpec } from './search-spec.js';

export interface SearchOp extends TimedOp {
  /** False for an unknown outcome: the search may finish without placing it. */
  readonly required: boolean;
}

export type SearchStatus = 'valid' | 'invalid' | 'running';

/** Deterministic per-operation keys: the linearized set's hash is the XOR of its members'. */
function zobristKeys(n: number): Int32Array {
  const keys = new Int32Array(n);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < n; i++) {
    // xorshift32: reproducible runs, and good enough to spread set hashes.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys[i] = x;
  }
  return keys;
}

export class PartitionSearch {
  status: SearchStatus = 'running';
  /** Search steps taken so far. */
  steps = 0;
  /**
   * The longest sequence of operations (indices) linearized so far: the first one the search
   * reached of that length. Copied when the search backtracks from a new greatest depth (or
   * pauses there), not every time it goes one deeper: copying on every new depth made a
   * valid search of n operations copy n²/2 entries.
   */
  longest: readonly number[] = [];

  private readonly events: EventList;
  private readonly keys: Int32Array;
  private readonly required: Uint8Array;
  private readonly linearized: Uint32Array;
  private readonly cache: SearchCache;
  /** The stack of placed operations: their call entries and the state before each. */
  private readonly placedCall: Int32Array;
  private readonly stateBefore: unknown[];
  private depth = 0;
  private requiredLeft = 0;
  private state: unknown;
  private setHash = 0;
  private entry: number;

  constructor(
    ops: readonly SearchOp[],
    private readonly spec: SearchSpec,
  ) {
    const n = ops.length;
    this.events = new EventList(ops);
    this.keys = zobristKeys(n);
    this.required = new Uint8Array(n);
    ops.forEach((op, i) => {
      if (op.required) {
        this.required[i] = 1;
        this.requiredLeft++;
      }
    });
    const words = (n + 31) >>> 5;
    this.linearized = new Uint32Array(words);
    this.cache = new SearchCache(words, spec.equal, n);
    this.placedCall = new Int32Array(n);
    this.stateBefore = new Array<unknown>(n).fill(undefined);
    this.state = spec.init;
    this.entry = this.events.next[this.events.head] as number;
    if (this.requiredLeft === 0) this.status = 'valid';
  }

  /** Searches for at most `maxSteps` steps; returns how many it took. */
  run(maxSteps: number): number {
    if (this.status !== 'running') return 0;
    const { events, keys, required, linearized, cache, placedCall, stateBefore, spec } = this;
    const { next, opOf, isCall, head } = events;
    const inputs = spec.inputs;
    let { depth, requiredLeft, state, setHash, entry } = this;
    let steps = 0;
    // Kept in a local and stored once after the loop, where every call passes: a store inside
    // the loop that the first searches never reach (a valid ending, say) left the optimized
    // loop without type feedback for it, and the first search to reach it threw the loop
    // back to the interpreter (a deoptimization, seen in a fresh process's first checks).
    let status: SearchStatus = 'running';

    while (steps < maxSteps) {
      steps++;
      const op = opOf[entry] as number;
      if (isCall[entry] === 1) {
        const after = spec.step(state, inputs[op]);
        if (after !== undefined) {
          const word = op >>> 5;
          const bit = 1 << (op & 31);
          linearized[word] = (linearized[word] as number) | bit;
          const candidateHash = setHash ^ (keys[op] as number);
          if (cache.add(candidateHash ^ spec.hash(after), linearized, after)) {
            placedCall[depth] = entry;
            stateBefore[depth] = state;
            depth++;
            state = after;
            setHash = candidateHash;
            events.lift(entry);
            if (required[op] === 1 && --requiredLeft === 0) {
              status = 'valid';
              break;
            }
            entry = next[head] as number;
            continue;
          }
          linearized[word] = (linearized[word] as number) & ~bit;
        }
        entry = next[entry] as number;
      } else {
        // The return of an operation not yet placed: every order tried from here is a dead end.
        if (depth === 0) {
          status = 'invalid';
          break;
        }
        if (depth > this.longest.length) this.longest = placedOps(placedCall, opOf, depth);
        depth--;
        const call = placedCall[depth] as number;
        const undone = opOf[call] as number;
        state = stateBefore[depth];
        stateBefore[depth] = undefined;
        setHash ^= keys[undone] as number;
        linearized[undone >>> 5] = (linearized[undone >>> 5] as number) & ~(1 << (undone & 31));
        if (required[undone] === 1) requiredLeft++;
        events.unlift(call);
        entry = next[call] as number;
      }
    }
    // Unconditionally called, unlike a copy guarded here: a call the first searches never made
    // had no type feedback, and reaching it deoptimized the optimized loop (18 times in a
    // fresh process checking the 102 etcd logs).
    this.keepLongest(depth);
    this.status = status;
    this.depth = depth;
    this.requiredLeft = requiredLeft;
    this.state = state;
    this.setHash = setHash;
    this.entry = entry;
    this.steps += steps;
    return steps;
  }

  /** Keeps the placed operations as the longest prefix if none this long was kept yet. */
  private keepLongest(depth: number): void {
    if (depth > this.longest.length)
      this.longest = placedOps(this.placedCall, this.events.opOf, depth);
  }
}

function placedOps(placedCall: Int32Array, opOf: Int32Array, depth: number): number[] {
  const out = new Array<number>(depth);
  for (let i = 0; i < depth; i++) out[i] = opOf[placedCall[i] as number] as number;
  return out;
}
