/**
 * What the search runs on: a model bound to one check's ValueTable, with every operation
 * already compiled. For a partition touching one object this is the model itself; for a
 * partition touching several (partitioning turned off), the objects are combined into one
 * keyed state here, so no model has to know how to be a map of itself.
 */
import type { HistoryOp } from '../core/history.js';
import type { AnyModel, ModelOptions } from './model.js';
import { mixId, type ValueTable } from './value-table.js';

export interface SearchSpec {
  readonly init: unknown;
  /**
   * inputs[i] is the compiled form of the partition's i-th operation. Built by push, never by
   * Array.prototype.map: map's result has one elements kind from the builtin and another once
   * the caller is optimized, and the search loop, optimized for the first, was deoptimized by
   * the second (twice in a fresh process checking the 102 etcd logs).
   */
  readonly inputs: readonly unknown[];
  step(state: unknown, input: unknown): unknown;
  equal(a: unknown, b: unknown): boolean;
  hash(state: unknown): number;
  describeState(state: unknown): string;
}

export function singleObjectSpec(
  model: AnyModel,
  ops: readonly HistoryOp[],
  values: ValueTable,
  options: ModelOptions,
): SearchSpec {
  const inputs: unknown[] = [];
  for (const op of ops) inputs.push(model.prepare(op, values));
  return {
    init: model.init(values, options),
    inputs,
    step: (state, input) => model.step(state, input, values),
    equal: (a, b) => model.equal(a, b),
    hash: (state) => model.hash(state),
    describeState: (state) => model.describeState(state, values),
  };
}

// ---- several objects: a persistent vector of per-object states ----------------------------

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

/**
 * An immutable vector of per-key states with its hash kept up to date: the XOR of one term per
 * key, so changing a key re-hashes in O(1). The vector is a 32-way trie, so a step copies only
 * one path (at most 32 slots per level) however many keys there are.
 */
class KeyedState {
  constructor(
    readonly root: unknown[],
    readonly hash: number,
  ) {}
}

class KeyedInput {
  constructor(
    readonly key: number,
    readonly input: unknown,
  ) {}
}

export function keyedSpec(
  model: AnyModel,
  ops: readonly HistoryOp[],
  keyOf: (op: HistoryOp) => string | undefined,
  values: ValueTable,
  options: ModelOptions,
): SearchSpec {
  const keyIndex = new Map<string | undefined, number>();
  const keyNames: (string | undefined)[] = [];
  const inputs: KeyedInput[] = [];
  for (const op of ops) {
    const key = keyOf(op);
    let index = keyIndex.get(key);
    if (index === undefined) {
      index = keyNames.length;
      keyIndex.set(key, index);
      keyNames.push(key);
    }
    inputs.push(new KeyedInput(index, model.prepare(op, values)));
  }
  const count = Math.max(1, keyNames.length);
  let depth = 1;
  while (WIDTH ** depth < count) depth++;
  const topShift = (depth - 1) * BITS;
  // Random salts make a key's term depend on which key it is, so swapping two keys' values
  // changes the hash.
  const salts = new Int32Array(count);
  for (let i = 0; i < count; i++) salts[i] = mixId(0x7f4a7c15 ^ i) ^ mixId(i + count);
  const term = (key: number, state: unknown): number =>
    mixId(model.hash(state) ^ (salts[key] as number));

  const initCell = model.init(values, options);
  const build = (level: number, first: number): unknown[] => {
    const span = WIDTH ** level;
    const node: unknown[] = [];
    for (let i = 0; i < WIDTH && first + i * span < count; i++)
      node.push(level === 0 ? initCell : build(level - 1, first + i * span));
    return node;
  };
  let initHash = 0;
  for (let k = 0; k < count; k++) initHash ^= term(k, initCell);
  const init = new KeyedState(build(depth - 1, 0), initHash);

  const get = (state: KeyedState, key: number): unknown => {
    let node = state.root;
    for (let shift = topShift; shift > 0; shift -= BITS)
      node = node[(key >>> shift) & MASK] as unknown[];
    return node[key & MASK];
  };
  const set = (node: unknown[], shift: number, key: number, cell: unknown): unknown[] => {
    const copy = node.slice();
    const slot = (key >>> shift) & MASK;
    copy[slot] = shift === 0 ? cell : set(node[slot] as unknown[], shift - BITS, key, cell);
    return copy;
  };
  const equalNodes = (a: unknown[], b: unknown[], shift: number): boolean => {
    if (a === b) return true;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      if (x === y) continue;
      if (
        shift === 0 ? !model.equal(x, y) : !equalNodes(x as unknown[], y as unknown[], shift - BITS)
      )
        return false;
    }
    return true;
  };

  return {
    init,
    inputs,
    step(state, input) {
      const s = state as KeyedState;
      const { key, input: inner } = input as KeyedInput;
      const before = get(s, key);
      const after = model.step(before, inner, values);
      if (after === undefined) return undefined;
      if (after === before) return s;
      return new KeyedState(
        set(s.root, topShift, key, after),
        s.hash ^ term(key, before) ^ term(key, after),
      );
    },
    equal: (a, b) => {
      const x = a as KeyedState;
      const y = b as KeyedState;
      return x.hash === y.hash && equalNodes(x.root, y.root, topShift);
    },
    hash: (state) => (state as KeyedState).hash,
    describeState(state) {
      const parts = keyNames.map(
        (name, k) =>
          `${name === undefined ? '(no key)' : JSON.stringify(name)}: ${model.describeState(get(state as KeyedState, k), values)}`,
      );
      return `{${parts.join(', ')}}`;
    },
  };
}
