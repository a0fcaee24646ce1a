/**
 * What the checker needs to know about a data type: a sequential specification. A model
 * describes ONE object (one register, one key of a key-value store, one queue); `partitionKey`
 * says which object an operation touches. The checker either checks each object alone
 * (P-compositionality: linearizability is local, so a history is linearizable iff each object's
 * sub-history is) or, with partitioning off, combines the objects into one keyed state itself.
 *
 * Adding a model is one file under models/ plus a line in models/registry.ts; docs/checker.md
 * walks through it.
 */
import type { HistoryOp } from '../core/history.js';
import type { Json } from '../core/json.js';
import type { ValueTable } from './value-table.js';

export interface ModelOptions {
  /**
   * The value every object holds before the first operation. `null` (the default) means
   * absent, which is truthkit's semantics; Porcupine's kv histories start every key at "".
   */
  readonly initialValue?: Json;
}

export interface Model<State = unknown, Input = unknown> {
  /** Short name used on the command line (`--model`). */
  readonly name: string;
  /** One line for `truthkit list`. */
  readonly describe: string;
  /** Why `op` is not an operation of this model (unknown `f`, malformed value), or undefined. */
  validate(op: HistoryOp): string | undefined;
  /**
   * The object `op` touches. Operations on different objects never constrain each other.
   * Omit it for a model of a single indivisible object.
   */
  partitionKey?(op: HistoryOp): string | undefined;
  /**
   * True when `op` can never change the state. An unknown-outcome read constrains nothing (its
   * result is unknown), so the checker drops it before searching.
   */
  isReadOnly(op: HistoryOp): boolean;
  /** The state of one object before any operation. States must never be `undefined`. */
  init(values: ValueTable, options: ModelOptions): State;
  /** Compiles `op` once, before the search, into whatever `step` consumes fastest. */
  prepare(op: HistoryOp, values: ValueTable): Input;
  /**
   * The state after applying `input` to `state`, or `undefined` when the operation's observed
   * outcome is impossible in `state`. For an unknown outcome any result is acceptable. Must not
   * mutate `state` (the search keeps old states and returns to them).
   */
  step(state: State, input: Input, values: ValueTable): State | undefined;
  equal(a: State, b: State): boolean;
  /** A 32-bit hash consistent with `equal`. */
  hash(state: State): number;
  /** E.g. `write 3`, `read → nil`, `cas 1→2 ✓`. */
  describeOp(op: HistoryOp): string;
  /** E.g. `3`, `nil`, `"x 0 0 y"`. */
  describeState(state: State, values: ValueTable): string;
}

/** A model whose State and Input types are erased, as the registry hands them out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModel = Model<any, any>;
