/**
 * Interning for the values a model keeps in its state. The search compares and hashes states
 * millions of times; with every value replaced by a small integer id, both are one machine
 * operation.
 *
 * Strings are indexed by a polynomial hash that can be extended in O(1) when a string is
 * appended to, so `concat` never has to read (or even flatten) the strings it joins: a new
 * result costs O(1), and the exact comparison happens only when the hash says a string may
 * already be known.
 *
 * A table lives for one check, so ids are meaningless across checks and memory is released
 * when the check ends.
 */
import type { Json } from '../core/json.js';

/** The id of `null`: an absent key or register. Never the id of any string, including "". */
export const ABSENT = 0;

const BASE = 0x01000193;

export class ValueTable {
  private readonly values: Json[] = [null];
  /** For string ids: the polynomial hash of the text and its length. */
  private readonly stringHash: number[] = [0];
  private readonly stringLength: number[] = [0];
  /** Powers of BASE mod 2^32, by exponent, extended as longer strings appear. */
  private readonly powers: number[] = [1];
  /** (hash, length) bucket → the string ids with that bucket (a number for one, the usual case). */
  private readonly strings = new Map<number, number | number[]>();
  private readonly scalars = new Map<number | boolean, number>();
  /** Arrays and objects, by JSON text (kept apart so no string can collide with them). */
  private readonly composites = new Map<string, number>();
  /** concatenations[left] maps a right-hand id to the id of left + right. */
  private readonly concatenations: (Map<number, number> | undefined)[] = [];

  /** The id of `value`: equal values (by JSON equality) get equal ids. */
  intern(value: Json): number {
    if (value === null) return ABSENT;
    if (typeof value === 'string') {
      let h = 0;
      for (let i = 0; i < value.length; i++) h = (Math.imul(h, BASE) + value.charCodeAt(i)) | 0;
      return this.internString(value, h);
    }
    if (typeof value === 'object') {
      const text = JSON.stringify(value);
      let id = this.composites.get(text);
      if (id === undefined) this.composites.set(text, (id = this.add(value, 0)));
      return id;
    }
    let id = this.scalars.get(value);
    if (id === undefined) this.scalars.set(value, (id = this.add(value, 0)));
    return id;
  }

  /** The value behind `id`. */
  value(id: number): Json {
    return this.values[id] ?? null;
  }

  /**
   * The id of the string `left + right`, where both ids name strings (ABSENT counts as "": an
   * append to an absent key starts from the empty string).
   */
  concat(left: number, right: number): number {
    let memo = this.concatenations[left];
    if (memo === undefined) this.concatenations[left] = memo = new Map();
    let id = memo.get(right);
    if (id === undefined) {
      const rightLength = this.stringLength[right] ?? 0;
      const h =
        (Math.imul(this.stringHash[left] ?? 0, this.power(rightLength)) +
          (this.stringHash[right] ?? 0)) |
        0;
      // A rope concatenation: O(1), flattened only if it is ever compared or printed.
      const text = this.text(left) + this.text(right);
      id = this.internString(text, h);
      memo.set(right, id);
    }
    return id;
  }

  /** How many distinct values have been interned (ABSENT included). */
  get size(): number {
    return this.values.length;
  }

  private internString(text: string, h: number): number {
    const bucket = (h ^ Math.imul(text.length, 0x9e3779b1)) | 0;
    const found = this.strings.get(bucket);
    if (found === undefined) {
      const id = this.add(text, h);
      this.strings.set(bucket, id);
      return id;
    }
    const candidates = typeof found === 'number' ? [found] : found;
    for (const id of candidates) if (this.values[id] === text) return id;
    const id = this.add(text, h);
    this.strings.set(bucket, [...candidates, id]);
    return id;
  }

  private power(exponent: number): number {
    const { powers } = this;
    while (powers.length <= exponent)
      powers.push(Math.imul(powers[powers.length - 1] as number, BASE));
    return powers[exponent] as number;
  }

  private text(id: number): string {
    const v = this.values[id];
    return typeof v === 'string' ? v : '';
  }

  private add(value: Json, hash: number): number {
    this.values.push(value);
    this.stringHash.push(hash);
    this.stringLength.push(typeof value === 'string' ? value.length : 0);
    return this.values.length - 1;
  }
}

/** A well-mixed 32-bit hash of a small integer (ids are dense, so they need spreading). */
export function mixId(id: number): number {
  let h = Math.imul(id ^ 0x5bd1e995, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}
