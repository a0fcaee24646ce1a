/**
 * Plain data: what may cross between nodes, be stored durably, or be written to a trace.
 * Keeping messages and stored values to plain data is what lets the simulator copy them and the
 * real runtime turn them into bytes without either one knowing the protocol.
 */
export type Json =
  null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export class NotPlainDataError extends Error {
  constructor(path: string, what: string) {
    super(`not plain data at ${path || '(root)'}: ${what}`);
    this.name = 'NotPlainDataError';
  }
}

// Content hash folded in while copying, so the trace digest covers message contents for the
// price of one walk. Two 32-bit FNV-1a lanes with different offsets give a 64-bit digest.
let lo = 0;
let hi = 0;

function mixNumber(n: number): void {
  // Integers hash by value; other numbers by their exact decimal form (deterministic in JS).
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) {
    lo = Math.imul(lo ^ n, 0x01000193);
    hi = Math.imul(hi ^ (n >>> 16), 0x01000193) ^ n;
  } else {
    mixString(String(n));
  }
}

/**
 * Long strings whose hash was folded in lately: the running hash before and after. A message
 * carries the same long string again and again (a broadcast's n copies, duplicates, relays,
 * PBFT's signed texts inside certificates), usually at the same place in the same kind of
 * message, so from the same running hash; the engine keeps each string's own hash, and a hit
 * skips the walk over every character. A hit only when the hash before matches: the answer is
 * the walk's.
 */
interface Folded {
  readonly loBefore: number;
  readonly hiBefore: number;
  readonly lo: number;
  readonly hi: number;
}
const folded = new Map<string, Folded>();
/** Shorter strings are walked: a lookup would cost about as much. */
const FOLD_MIN_LENGTH = 64;
/**
 * Bounds on memory over a long sweep, in strings and in their characters (the map keeps the
 * strings alive); a forgotten string is walked again, to the same hash.
 */
const FOLD_LIMIT = 50_000;
const FOLD_MAX_CHARS = 16_000_000;
let foldedChars = 0;

function mixString(s: string): void {
  if (s.length < FOLD_MIN_LENGTH) {
    walkString(s);
    return;
  }
  const known = folded.get(s);
  if (known !== undefined && known.loBefore === lo && known.hiBefore === hi) {
    lo = known.lo;
    hi = known.hi;
    return;
  }
  const loBefore = lo;
  const hiBefore = hi;
  walkString(s);
  if (known === undefined) {
    // A new entry (replacing one from another running hash grows nothing).
    if (folded.size >= FOLD_LIMIT || foldedChars + s.length > FOLD_MAX_CHARS) {
      folded.clear();
      foldedChars = 0;
    }
    foldedChars += s.length;
  }
  folded.set(s, { loBefore, hiBefore, lo, hi });
}

function walkString(s: string): void {
  let a = lo ^ s.length;
  let b = hi;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x0100019b);
  }
  lo = a;
  hi = b;
}

/** Plain objects only: a class instance (Date, Map, …) is not plain data. */
function refuseInstance(v: object, path: string): void {
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
    throw new NotPlainDataError(path, `instance of ${name}`);
  }
}

/** Copies plain data; with `hash`, folds its contents into the running hash as it goes. */
function copyValue(v: unknown, path: string, hash: boolean): unknown {
  switch (typeof v) {
    case 'string':
      if (hash) mixString(v);
      return v;
    case 'number':
      if (!Number.isFinite(v)) throw new NotPlainDataError(path, `non-finite number ${v}`);
      if (hash) mixNumber(v);
      return v;
    case 'boolean':
      if (hash) mixNumber(v ? 2 : 3);
      return v;
    case 'object': {
      if (v === null) {
        if (hash) mixNumber(1);
        return null;
      }
      if (Array.isArray(v)) {
        if (hash) mixNumber(4 + v.length);
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) out[i] = copyValue(v[i], path, hash);
        return out;
      }
      refuseInstance(v, path);
      const out: Record<string, unknown> = {};
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue; // JSON drops undefined fields; so do we
        if (hash) mixString(k);
        out[k] = copyValue(x, path, hash);
      }
      return out;
    }
    default:
      throw new NotPlainDataError(path, typeof v);
  }
}

export interface Copied<T> {
  readonly value: T;
  /** 32-bit halves of the content hash. */
  readonly hashLo: number;
  readonly hashHi: number;
}

/** Deep-copies plain data, rejecting anything that is not (class instances, functions, NaN…). */
export function copyJson<T>(value: T): T {
  // No hash: hashing walks every character of every string, and only copyJsonHashed's callers
  // (the simulator's trace digest) want one.
  return copyValue(value, '', false) as T;
}

/** Deep-copies plain data and returns a hash of its contents alongside. */
export function copyJsonHashed<T>(value: T): Copied<T> {
  lo = 0x811c9dc5;
  hi = 0x050c5d1f;
  const copy = copyValue(value, '', true) as T;
  return { value: copy, hashLo: lo >>> 0, hashHi: hi >>> 0 };
}

/**
 * Checks that a value is plain data (as copyJson does) and deep-freezes it in place, without
 * copying: what storage keeps is then the caller's own object, which neither side can change
 * any more (a later mutation throws, in every simulated run). Already-frozen objects were
 * checked when they were frozen and are not walked again.
 */
export function freezePlain<T>(value: T): T {
  checkFreeze(value, '');
  return value;
}

function checkFreeze(v: unknown, path: string): void {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(v)) throw new NotPlainDataError(path, `non-finite number ${v}`);
      return;
    case 'undefined':
      // Only reachable as an object field (JSON drops those, and so do copies): allowed there.
      if (path === '') throw new NotPlainDataError(path, 'undefined');
      return;
    case 'object': {
      if (v === null || Object.isFrozen(v)) return;
      if (Array.isArray(v)) {
        Object.freeze(v);
        for (let i = 0; i < v.length; i++) {
          if (v[i] === undefined) throw new NotPlainDataError(path, 'undefined array element');
          checkFreeze(v[i], path);
        }
        return;
      }
      refuseInstance(v, path);
      Object.freeze(v);
      for (const k in v) checkFreeze((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    default:
      throw new NotPlainDataError(path, typeof v);
  }
}

/** Deep-freezes plain data in place: stored values are shared, never mutated. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const k of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[k]);
  }
  return value;
}

/**
 * An upper bound on the length of `JSON.stringify(value)` in UTF-16 units, and also on its
 * UTF-8 bytes, without encoding it: a string counts six per character (a control character is
 * written as `\u00XX`; nothing takes more, in units or in bytes), a number 24 (the longest form
 * of a double). For plain data only. It lets a sender cap a message's size (a batch of large
 * log entries must stay under the transport's frame limit) for the price of a walk.
 */
export function jsonSizeBound(value: Json): number {
  if (typeof value === 'string') return 6 * value.length + 2;
  if (typeof value === 'number') return 24;
  if (typeof value !== 'object' || value === null) return 5;
  let n = 2;
  if (Array.isArray(value)) {
    for (const v of value as readonly Json[]) n += jsonSizeBound(v) + 1;
    return n;
  }
  const o = value as { readonly [key: string]: Json };
  for (const k in o) n += 6 * k.length + 4 + jsonSizeBound(o[k] as Json);
  return n;
}

/**
 * How many of `count` items, taken in order, fit within `maxSize` by jsonSizeBound — always at
 * least one (when there is one), so a sender cutting batches this way still makes progress on
 * an item larger than the limit.
 */
export function countWithinSize(count: number, item: (i: number) => Json, maxSize: number): number {
  let size = 0;
  for (let i = 0; i < count; i++) {
    size += jsonSizeBound(item(i));
    if (i > 0 && size > maxSize) return i;
  }
  return Math.max(count, 0);
}
