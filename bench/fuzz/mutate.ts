/**
 * Seeded input generation for the fuzzer: byte-level mutations of valid inputs (bit flips,
 * interesting bytes, truncation, splices, repeats, inserted garbage), JSON-level ones (a field
 * given a value of the wrong type, deep nesting, huge numbers), and frame-level ones (a length
 * prefix that lies). Every input is a pure function of (seed, target, index), so a finding is
 * replayed from those three numbers alone.
 */
import { Sfc32, type Random } from '../../src/core/random.js';

/** The generator of input `index` of `target` under `seed`. */
export function inputRandom(seed: number, target: string, index: number): Random {
  return new Sfc32(seed, `${target}#${index}`);
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x22, 0x5c, 0x5b, 0x7b, 0x7d, 0x5d, 0x3a];
const INTERESTING_U32 = [
  0, 1, 3, 4, 5, 0x7f, 0x80, 0xff, 0x1000, 0x1001, 0xffff, 0x7fffffff, 0xffffffff,
];

function randomBytes(r: Random, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = r.int(256);
  return b;
}

/** One byte-level mutation of `input`; `others` are splice partners. */
export function mutateBytes(r: Random, input: Buffer, others: readonly Buffer[]): Buffer {
  const b = Buffer.from(input);
  const at = (): number => r.int(Math.max(1, b.length));
  switch (r.int(9)) {
    case 0: {
      for (let k = 1 + r.int(8); k > 0 && b.length > 0; k--) {
        const i = at();
        b[i] = (b[i] ?? 0) ^ (1 << r.int(8));
      }
      return b;
    }
    case 1: {
      if (b.length > 0) b[at()] = r.pick(INTERESTING);
      return b;
    }
    case 2:
      return b.subarray(0, r.int(b.length + 1));
    case 3: {
      const i = at();
      return Buffer.concat([b.subarray(0, i), randomBytes(r, 1 + r.int(16)), b.subarray(i)]);
    }
    case 4: {
      const i = at();
      return Buffer.concat([b.subarray(0, i), b.subarray(i + 1 + r.int(16))]);
    }
    case 5: {
      const other = others.length > 0 ? r.pick(others) : b;
      const j = r.int(other.length + 1);
      return Buffer.concat([b.subarray(0, at()), other.subarray(j)]);
    }
    case 6: {
      const i = at();
      const piece = b.subarray(i, i + 1 + r.int(32));
      const copies = Array.from({ length: 1 + r.int(8) }, () => piece);
      return Buffer.concat([b.subarray(0, i), ...copies, b.subarray(i)]);
    }
    case 7: {
      if (b.length >= 4) b.writeUInt32BE(r.pick(INTERESTING_U32), r.int(b.length - 3));
      return b;
    }
    default:
      return randomBytes(r, r.int(64));
  }
}

/** Several stacked byte mutations (1–4). */
export function havoc(r: Random, input: Buffer, others: readonly Buffer[]): Buffer {
  let b = input;
  for (let k = 1 + r.int(4); k > 0; k--) b = mutateBytes(r, b, others);
  return b;
}

/** A nesting depth: mostly a few hundred, sometimes past any encoder's stack. */
export function depthOf(r: Random): number {
  const roll = r.int(10);
  return roll < 8 ? 1 + r.int(300) : roll === 8 ? 995 + r.int(10) : 5000 + r.int(15000);
}

/** `[[[…]]]` or `{"a":{"a":…}}` nested `depth` deep. */
export function deepJson(r: Random, depth: number): string {
  return r.chance(0.5)
    ? '['.repeat(depth) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** A JSON value of a random type, sometimes an extreme one. */
export function wrongValue(r: Random): unknown {
  switch (r.int(12)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([-1, 0.5, 1e308, -1e308, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, -0]);
    case 3:
      return r.pick(['', 'x', '\u0000', '\ud800', 'a'.repeat(300), '__proto__', 'constructor']);
    case 4:
      return [];
    case 5:
      return {};
    case 6:
      return [wrongValue(r), wrongValue(r)];
    case 7:
      return { type: wrongValue(r) };
    case 8:
      return JSON.parse(deepJson(r, 1 + r.int(64))) as unknown;
    case 9:
      return JSON.parse('{"__proto__":{"polluted":true}}') as unknown;
    case 10:
      return r.int(1_000_000_000);
    default:
      return 'rid-' + r.int(1000);
  }
}

/** A copy of an object with one field changed to a wrong value, removed, or added. */
export function mutateJson(r: Random, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  const keys = Object.keys(out);
  const roll = r.int(4);
  if (roll === 0 && keys.length > 0) delete out[r.pick(keys)];
  else if (roll === 1) out[r.pick(['extra', 'type', 'constructor', 'rid', ''])] = wrongValue(r);
  else if (keys.length > 0) out[r.pick(keys)] = wrongValue(r);
  return out;
}

export function hex(b: Buffer): string {
  return b.toString('hex');
}
