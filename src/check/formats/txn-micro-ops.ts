/**
 * Jepsen's transactions (`:f :txn`) as truthkit's transactional checker takes them: an
 * operation's `value` is its micro-operations as invoked, `[[f, key, v], …]`, and an ok
 * operation's `result` the same micro-operations as completed (reads filled in).
 *
 * - `f` is `r`, `w` or `append`. Knossos's multi-register histories spell them `:read` and
 *   `:write`; both spellings are accepted and written the short way.
 * - `key` is a string: keywords lose their colon (`:x` → `"x"`), numbers are printed (`9` →
 *   `"9"`).
 * - `v` of a write or append is a number or a string. A read's `v` is null as invoked; as
 *   completed it is what was read: null (nothing), a number or string (a register), or a list
 *   of them (list-append).
 */
import type { Json } from '../../core/json.js';
import { HistoryError } from '../errors.js';
import { EdnSymbol, Keyword, printEdn, type EdnValue } from './edn-reader.js';

export type MicroOpF = 'r' | 'w' | 'append';
export type MicroOp = readonly [MicroOpF, string, Json];

const MICRO_OP_NAMES: Readonly<Record<string, MicroOpF>> = {
  r: 'r',
  read: 'r',
  w: 'w',
  write: 'w',
  append: 'append',
};

const isRead = (f: EdnValue): boolean =>
  (f instanceof Keyword || f instanceof EdnSymbol) && MICRO_OP_NAMES[f.name] === 'r';

const isScalar = (v: EdnValue): v is number | string =>
  typeof v === 'number' || typeof v === 'string';

function microOpKey(key: EdnValue): string | undefined {
  if (key instanceof Keyword || key instanceof EdnSymbol) return key.name;
  if (isScalar(key)) return String(key);
  return undefined;
}

/** What a read returned: nil, a value, or a list of values. */
function readValue(v: EdnValue): Json | undefined {
  if (v === null || isScalar(v)) return v;
  if (Array.isArray(v) && v.every(isScalar)) return v as (number | string)[];
  return undefined;
}

/**
 * `value` (an EDN vector of `[f key v]` vectors) as micro-operations. `completed`: the
 * completion's value, whose reads carry what they read; otherwise every read's `v` is null.
 */
export function toMicroOps(value: EdnValue, completed: boolean, where: () => string): MicroOp[] {
  const fail = (message: string): never => {
    throw new HistoryError(`${where()}: ${message}`);
  };
  if (!Array.isArray(value))
    return fail(`a :txn value must be a vector of [f key value], got ${printEdn(value)}`);
  return value.map((micro): MicroOp => {
    // An invoked read may leave its value out: `[:r :x]`.
    const short = Array.isArray(micro) && micro.length === 2 && isRead(micro[0] ?? null);
    if (!Array.isArray(micro) || (micro.length !== 3 && !short))
      return fail(`a micro-operation must be [f key value], got ${printEdn(micro)}`);
    const [fe, ke, ve = null] = micro as [EdnValue, EdnValue, EdnValue?];
    const name = fe instanceof Keyword || fe instanceof EdnSymbol ? fe.name : undefined;
    const f =
      name !== undefined && Object.hasOwn(MICRO_OP_NAMES, name) ? MICRO_OP_NAMES[name] : undefined;
    if (f === undefined)
      return fail(`a micro-operation is :r, :w or :append (or :read, :write), got ${printEdn(fe)}`);
    const key = microOpKey(ke);
    if (key === undefined)
      return fail(`a micro-operation's key is a keyword, number or string, got ${printEdn(ke)}`);
    if (f === 'r') {
      if (!completed) return [f, key, null];
      const read = readValue(ve);
      if (read === undefined)
        return fail(`a read returns nil, a value or a list of values, got ${printEdn(ve)}`);
      return [f, key, read];
    }
    if (!isScalar(ve))
      return fail(`:${name} needs a number or string to write, got ${printEdn(ve)}`);
    return [f, key, ve];
  });
}

/** True when `value` looks like a transaction (a vector of 3-element vectors), for files that
 * leave out `:f`, as Elle's own example histories do. */
export function looksLikeTxn(value: EdnValue): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (m) =>
        Array.isArray(m) &&
        (m.length === 3 || (m.length === 2 && isRead(m[0] ?? null))) &&
        m[0] instanceof Keyword,
    )
  );
}

/** The transactional model a history's micro-operations imply: list-append when any appends. */
export function txnModelOf(ops: readonly { f: string; value?: Json }[]): string {
  for (const op of ops) {
    if (op.f !== 'txn' || !Array.isArray(op.value)) continue;
    for (const m of op.value as readonly MicroOp[]) if (m[0] === 'append') return 'list-append';
  }
  return 'rw-register';
}
