/**
 * HPACK's Huffman code (RFC 7541, Appendix B), decoding only: the filter reads what clients
 * send and re-encodes as plain literals. The code is canonical (codes of one length are
 * consecutive, in symbol order, and each length starts where the shorter ones ended), so the
 * 257 code lengths determine it and the table is just those lengths; the tests check it
 * against the RFC's Appendix C examples, which use most of the common symbols.
 */

/** Code length of each symbol 0..256 (256 is EOS), as a letter: 'A' is 5 bits, 'Z' 30. */
const LENGTHS =
  'ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ';

const EOS = 256;
const MAX_LENGTH = 30;

/** For each length: the first code of that length, how many codes, and where they start in `symbols`. */
interface Canonical {
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly offset: Int32Array;
  readonly symbols: Uint16Array;
}

function build(): Canonical {
  if (LENGTHS.length !== 257) throw new Error('HPACK Huffman table: 257 lengths expected');
  const count = new Int32Array(MAX_LENGTH + 1);
  const lengthOf = (s: number): number => LENGTHS.charCodeAt(s) - 65 + 5;
  for (let s = 0; s <= EOS; s++) count[lengthOf(s)] = (count[lengthOf(s)] as number) + 1;
  const first = new Int32Array(MAX_LENGTH + 1);
  const offset = new Int32Array(MAX_LENGTH + 1);
  let code = 0;
  let at = 0;
  for (let len = 1; len <= MAX_LENGTH; len++) {
    first[len] = code;
    offset[len] = at;
    const n = count[len] as number;
    code = (code + n) * 2;
    at += n;
  }
  const symbols = new Uint16Array(257);
  const next = Int32Array.from(offset);
  for (let len = 1; len <= MAX_LENGTH; len++) {
    for (let s = 0; s <= EOS; s++) {
      if (lengthOf(s) === len) symbols[(next[len] as number)++] = s;
    }
  }
  return { first, count, offset, symbols };
}

const TABLE = build();

/** Why a Huffman string was refused (RFC 7541 §5.2). */
export type HuffmanErrorCode = 'eos' | 'badPadding';

export class HuffmanError extends Error {
  constructor(readonly code: HuffmanErrorCode) {
    super(`HPACK Huffman string: ${code}`);
    this.name = 'HuffmanError';
  }
}

/** Decodes `bytes[start, end)`. Throws HuffmanError on EOS in the string or bad padding. */
export function huffmanDecode(bytes: Uint8Array, start: number, end: number): Buffer {
  const { first, count, offset, symbols } = TABLE;
  // Every symbol is at least 5 bits, so the output is at most 8/5 of the input.
  const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 8) / 5));
  let n = 0;
  let code = 0;
  let len = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i] as number;
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const k = code - (first[len] as number);
      if (k < (count[len] as number)) {
        const sym = symbols[(offset[len] as number) + k] as number;
        if (sym === EOS) throw new HuffmanError('eos');
        out[n++] = sym;
        code = 0;
        len = 0;
      } else if (len === MAX_LENGTH) {
        // Unreachable for a complete code; kept so a table error cannot loop past 30 bits.
        throw new HuffmanError('eos');
      }
    }
  }
  // What is left must be a prefix of EOS (all ones) shorter than a byte.
  if (len > 7 || code !== (1 << len) - 1) throw new HuffmanError('badPadding');
  return out.subarray(0, n);
}
