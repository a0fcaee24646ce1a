/**
 * Knossos's multi-register: registers named by key, and operations that are transactions over
 * them — `f: "txn"`, `value` the micro-ops as invoked, `[["r", k, null], ["w", k, v]]`, an ok
 * one's `result` the same with each read's value filled in. A transaction takes effect at one
 * instant: its micro-ops apply in order, a read seeing the writes before it. Linearizability
 * then is strict serializability of such transactions, with writes that need not be unique —
 * which is why Knossos's multi-register histories are answered here, by the Wing–Gong search,
 * and not by the transactional checker's rw-register analysis (which infers dependencies from
 * unique writes).
 *
 * A read of null reads an absent register; registers start at `initialValue` (absent unless the
 * history says otherwise: `--format knossos` starts them at 0 and drops the ok reads of nil, which
 * Knossos takes as "read nothing"). An unknown transaction's reads constrain nothing.
 *
 * The whole history is one object: a transaction may touch any key, so keys do not partition it.
 */
import type { Json } from '../../core/json.js';
import { describeValue } from '../describe-value.js';
import type { Model } from '../model.js';
import { mixId, type ValueTable } from '../value-table.js';

/**
 * The registers' values: the ids of (key, value) pairs, sorted by key id, for every register
 * whose value is not the initial one — so equal states have equal arrays.
 */
export interface MultiRegisterState {
  readonly base: number;
  readonly cells: readonly number[];
  readonly hash: number;
}

/** A compiled micro-op: `read` with the value id it must see (-1: any), or `write`. */
interface MicroInput {
  readonly read: boolean;
  readonly key: number;
  readonly value: number;
}

const ANY = -1;

/**
 * The deliberately broken variants, each lacking one rule: `unchecked-reads` lets a read return
 * anything; `reads-before-writes` shows a read the state before its transaction (not its own
 * earlier writes).
 */
export const MULTI_REGISTER_MUTANTS = ['unchecked-reads', 'reads-before-writes'] as const;
export type MultiRegisterMutant = (typeof MULTI_REGISTER_MUTANTS)[number];

const MICRO_F = new Set(['r', 'w']);

function microOps(
  v: Json | undefined,
): readonly (readonly [string, string | number, Json])[] | undefined {
  if (!Array.isArray(v)) return undefined;
  for (const m of v) {
    if (!Array.isArray(m) || m.length !== 3) return undefined;
    const [f, key] = m;
    if (typeof f !== 'string' || !MICRO_F.has(f)) return undefined;
    if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  }
  return v as unknown as readonly (readonly [string, string | number, Json])[];
}

function cellHash(key: number, value: number): number {
  return mixId(mixId(key) ^ value);
}

function get(state: MultiRegisterState, key: number): number {
  const c = state.cells;
  for (let i = 0; i < c.length; i += 2) if (c[i] === key) return c[i + 1] as number;
  return state.base;
}

function set(state: MultiRegisterState, key: number, value: number): MultiRegisterState {
  const old = get(state, key);
  if (old === value) return state;
  const cells: number[] = [];
  const c = state.cells;
  let placed = value === state.base;
  for (let i = 0; i < c.length; i += 2) {
    const k = c[i] as number;
    if (k === key) continue;
    if (!placed && k > key) {
      cells.push(key, value);
      placed = true;
    }
    cells.push(k, c[i + 1] as number);
  }
  if (!placed) cells.push(key, value);
  let hash = state.hash;
  if (old !== state.base) hash ^= cellHash(key, old);
  if (value !== state.base) hash ^= cellHash(key, value);
  return { base: state.base, cells, hash };
}

export function multiRegisterModelWith(
  mutant?: MultiRegisterMutant,
): Model<MultiRegisterState, readonly MicroInput[]> {
  return {
    name: 'multi-register',
    describe:
      'registers by key read and written by transactions (f "txn", [["r", k, v], ["w", k, v]]), as Knossos\'s multi-register',

    validate(op) {
      if (op.f !== 'txn') return `multi-register has no operation "${op.f}" (txn)`;
      const invoked = microOps(op.value);
      if (invoked === undefined || invoked.length === 0)
        return 'a txn needs a value [[f, key, value], …] with f "r" or "w"';
      if (op.outcome !== 'ok') return undefined;
      const done = microOps(op.result);
      if (done === undefined || done.length !== invoked.length)
        return 'an ok txn needs a result: its micro-ops, reads filled in';
      for (let i = 0; i < done.length; i++) {
        const [f, k] = invoked[i] as readonly [string, string | number, Json];
        const [g, l] = done[i] as readonly [string, string | number, Json];
        if (f !== g || String(k) !== String(l))
          return `the result's micro-op ${i} is not the one invoked`;
      }
      return undefined;
    },

    isReadOnly: (op) => (microOps(op.value) ?? []).every(([f]) => f === 'r'),
    init: (values, options) => ({
      base: values.intern(options.initialValue ?? null),
      cells: [],
      hash: 0,
    }),

    prepare(op, values) {
      const known = op.outcome === 'ok';
      const mops = microOps(known ? op.result : op.value) ?? [];
      return mops.map(([f, key, v]) => ({
        read: f === 'r',
        key: values.intern(String(key)),
        value: f === 'r' && !known ? ANY : values.intern(v),
      }));
    },

    step(state, input) {
      let next = state;
      for (const m of input) {
        if (!m.read) next = set(next, m.key, m.value);
        else if (m.value !== ANY && mutant !== 'unchecked-reads') {
          const seen = get(mutant === 'reads-before-writes' ? state : next, m.key);
          if (seen !== m.value) return undefined;
        }
      }
      return next;
    },

    equal(a, b) {
      if (a.hash !== b.hash || a.base !== b.base || a.cells.length !== b.cells.length) return false;
      for (let i = 0; i < a.cells.length; i++) if (a.cells[i] !== b.cells[i]) return false;
      return true;
    },
    hash: (state) => state.hash ^ mixId(state.base + 1),

    describeOp(op) {
      const mops = microOps(op.outcome === 'ok' ? op.result : op.value) ?? [];
      const text = mops
        .map(
          ([f, k, v]) =>
            `[${f} ${k}${f === 'r' && op.outcome !== 'ok' ? '' : ` ${describeValue(v)}`}]`,
        )
        .join(' ');
      const outcome = op.outcome === 'unknown' ? ' → ?' : op.outcome === 'fail' ? ' → failed' : '';
      return `txn ${text}${outcome}`;
    },

    describeState(state: MultiRegisterState, values: ValueTable) {
      const cells: string[] = [];
      for (let i = 0; i < state.cells.length; i += 2) {
        const key = values.value(state.cells[i] as number);
        cells.push(`${String(key)}: ${describeValue(values.value(state.cells[i + 1] as number))}`);
      }
      const rest = `others ${describeValue(values.value(state.base))}`;
      return `{${[...cells, rest].join(', ')}}`;
    },
  };
}

export const multiRegisterModel = multiRegisterModelWith();
