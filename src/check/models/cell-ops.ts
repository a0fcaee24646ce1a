/**
 * The compiled form shared by the register and kv models: both are a single value cell whose
 * state is the ValueTable id of its value (ABSENT when it has none), so a state is a small
 * integer — compared with ===, hashed with one multiply, and never allocated.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import { mixId, type ValueTable } from '../value-table.js';

export const enum CellOp {
  Read,
  Write,
  Append,
  Cas,
  Delete,
}

/** What `step` needs, as plain numbers so the hot loop stays monomorphic. */
export class CellInput {
  constructor(
    readonly kind: CellOp,
    /** Read: the id it returned. Write/append: the id written. Cas: the id compared with. */
    readonly a: number,
    /** Cas: the id written when it swaps. */
    readonly b: number,
    /** False when the outcome is unknown: any result is then acceptable. */
    readonly known: boolean,
    /** Cas with a known outcome: whether it reported swapping. */
    readonly swapped: boolean,
  ) {}
}

export function prepareCell(kind: CellOp, op: HistoryOp, values: ValueTable): CellInput {
  const known = op.outcome === 'ok';
  switch (kind) {
    case CellOp.Read:
      return new CellInput(kind, values.intern(op.result ?? null), 0, known, false);
    case CellOp.Write:
    case CellOp.Append:
      return new CellInput(kind, values.intern(op.value ?? null), 0, known, false);
    case CellOp.Cas: {
      const [from, to] = op.value as readonly [Json, Json];
      return new CellInput(kind, values.intern(from), values.intern(to), known, op.result === true);
    }
    case CellOp.Delete:
      return new CellInput(kind, 0, 0, known, false);
  }
}

/** One step of a value cell; `undefined` when the observed outcome is impossible. */
export function stepCell(state: number, input: CellInput, values: ValueTable): number | undefined {
  switch (input.kind) {
    case CellOp.Read:
      return !input.known || input.a === state ? state : undefined;
    case CellOp.Write:
      return input.a;
    case CellOp.Append:
      // ABSENT reads as "" for concatenation: appending to an absent key starts from "".
      return values.concat(state, input.a);
    case CellOp.Delete:
      return 0;
    case CellOp.Cas:
      if (!input.known) return state === input.a ? input.b : state;
      if (input.swapped) return state === input.a ? input.b : undefined;
      // A cas that reported not swapping still tells us the value was not `from` at that point.
      return state !== input.a ? state : undefined;
  }
}

export function hashCell(state: number): number {
  return mixId(state);
}

export function equalCells(a: number, b: number): boolean {
  return a === b;
}

export function isPair(value: Json | undefined): value is readonly [Json, Json] {
  return Array.isArray(value) && value.length === 2;
}
