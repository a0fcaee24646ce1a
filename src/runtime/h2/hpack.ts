/**
 * HPACK (RFC 7541) as the HTTP/2 filter needs it: a decoder that keeps a connection's dynamic
 * table in step with the server's (every block a client sends must go through it, in order),
 * bounded against hostile input, and an encoder that writes only literals without indexing, so
 * a block the filter rewrote leaves the server's decoder table exactly as it was.
 *
 * Written here rather than taken from npm: `hpack.js` (2.1.6, the one in common use) is a
 * streams-style codec that brings readable-stream 2, obuf, wbuf and inherits, and the filter
 * needs only a decoder with hard limits and a literal encoder. These ~250 lines are tested
 * against the RFC's own Appendix C examples.
 */
import { huffmanDecode, HuffmanError } from './huffman.js';

export type Header = readonly [name: string, value: string];

/** Why a header block was refused; each one closes the connection. */
export type HpackErrorCode =
  | 'truncated'
  | 'badIndex'
  | 'integerOverflow'
  | 'tableSizeTooLarge'
  | 'tableSizeMisplaced'
  | 'headerListTooLarge'
  | 'huffman';

export class HpackError extends Error {
  constructor(
    readonly code: HpackErrorCode,
    detail: string,
  ) {
    super(`HPACK: ${detail}`);
    this.name = 'HpackError';
  }
}

// RFC 7541, Appendix A.
const STATIC: readonly Header[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ...[
    'accept-charset',
    'accept-encoding',
    'accept-language',
    'accept-ranges',
    'accept',
    'access-control-allow-origin',
    'age',
    'allow',
    'authorization',
    'cache-control',
    'content-disposition',
    'content-encoding',
    'content-language',
    'content-length',
    'content-location',
    'content-range',
    'content-type',
    'cookie',
    'date',
    'etag',
    'expect',
    'expires',
    'from',
    'host',
    'if-match',
    'if-modified-since',
    'if-none-match',
    'if-range',
    'if-unmodified-since',
    'last-modified',
    'link',
    'location',
    'max-forwards',
    'proxy-authenticate',
    'proxy-authorization',
    'range',
    'referer',
    'refresh',
    'retry-after',
    'server',
    'set-cookie',
    'strict-transport-security',
    'transfer-encoding',
    'user-agent',
    'vary',
    'via',
    'www-authenticate',
  ].map((name): Header => [name, name === 'accept-encoding' ? 'gzip, deflate' : '']),
];

/** RFC 7541 §4.1: an entry's size is its name and value in octets plus 32. */
function entrySize(name: string, value: string): number {
  return Buffer.byteLength(name, 'latin1') + Buffer.byteLength(value, 'latin1') + 32;
}

export interface DecoderLimits {
  /** SETTINGS_HEADER_TABLE_SIZE the server advertised (4096 unless it changed it). */
  readonly maxTableSize: number;
  /** Cap on a block's decoded header list, counted as RFC 7540 §6.5.2 counts it. */
  readonly maxHeaderListSize: number;
}

export class HpackDecoder {
  /** Newest first. */
  private readonly table: Header[] = [];
  private tableSize = 0;
  private maxSize: number;

  constructor(private readonly limits: DecoderLimits) {
    this.maxSize = limits.maxTableSize;
  }

  /** Decodes one complete header block, updating the dynamic table as the server's would. */
  decode(block: Uint8Array): Header[] {
    const headers: Header[] = [];
    let listSize = 0;
    let pos = 0;
    let fieldSeen = false;
    const int = (prefixBits: number): number => {
      if (pos >= block.length) throw new HpackError('truncated', 'integer past the block');
      const mask = (1 << prefixBits) - 1;
      let v = (block[pos++] as number) & mask;
      if (v < mask) return v;
      for (let shift = 0; ; shift += 7) {
        if (pos >= block.length) throw new HpackError('truncated', 'integer past the block');
        const b = block[pos++] as number;
        // 2^28 is far above any index, length or table size this decoder accepts.
        if (shift > 21) throw new HpackError('integerOverflow', 'integer too large');
        v += (b & 0x7f) * 2 ** shift;
        if ((b & 0x80) === 0) return v;
      }
    };
    const str = (): string => {
      if (pos >= block.length) throw new HpackError('truncated', 'string past the block');
      const huffman = ((block[pos] as number) & 0x80) !== 0;
      const len = int(7);
      if (len > block.length - pos) throw new HpackError('truncated', 'string past the block');
      const start = pos;
      pos += len;
      if (!huffman)
        return Buffer.from(block.buffer, block.byteOffset + start, len).toString('latin1');
      try {
        return huffmanDecode(block, start, pos).toString('latin1');
      } catch (e) {
        if (e instanceof HuffmanError) throw new HpackError('huffman', e.message);
        throw e;
      }
    };
    const entry = (index: number): Header => {
      if (index === 0) throw new HpackError('badIndex', 'index 0');
      if (index <= STATIC.length) return STATIC[index - 1] as Header;
      const h = this.table[index - STATIC.length - 1];
      if (h === undefined) throw new HpackError('badIndex', `index ${index} past the table`);
      return h;
    };
    const emit = (name: string, value: string): void => {
      fieldSeen = true;
      listSize += entrySize(name, value);
      if (listSize > this.limits.maxHeaderListSize) {
        throw new HpackError(
          'headerListTooLarge',
          `header list over ${this.limits.maxHeaderListSize} bytes`,
        );
      }
      headers.push([name, value]);
    };
    while (pos < block.length) {
      const b = block[pos] as number;
      if (b & 0x80) {
        const [name, value] = entry(int(7));
        emit(name, value);
      } else if (b & 0x40) {
        const index = int(6);
        const name = index === 0 ? str() : entry(index)[0];
        const value = str();
        emit(name, value);
        this.add(name, value);
      } else if (b & 0x20) {
        // §4.2: size updates only at the start of a block.
        if (fieldSeen)
          throw new HpackError('tableSizeMisplaced', 'table size update after a field');
        const size = int(5);
        if (size > this.limits.maxTableSize) {
          throw new HpackError(
            'tableSizeTooLarge',
            `table size ${size} over ${this.limits.maxTableSize}`,
          );
        }
        this.maxSize = size;
        this.evict();
      } else {
        // Literal without indexing (0000) or never indexed (0001): the table is untouched.
        const index = int(4);
        const name = index === 0 ? str() : entry(index)[0];
        emit(name, str());
      }
    }
    return headers;
  }

  private add(name: string, value: string): void {
    const size = entrySize(name, value);
    this.table.unshift([name, value]);
    this.tableSize += size;
    // §4.4: an entry larger than the table empties it and is not added.
    this.evict();
  }

  private evict(): void {
    while (this.tableSize > this.maxSize) {
      const last = this.table.pop();
      if (last === undefined) break;
      this.tableSize -= entrySize(last[0], last[1]);
    }
  }

  /** The dynamic table, newest first (for tests). */
  dynamicTable(): readonly Header[] {
    return this.table;
  }
}

function encodeInt(out: number[], first: number, prefixBits: number, v: number): void {
  const mask = (1 << prefixBits) - 1;
  if (v < mask) {
    out.push(first | v);
    return;
  }
  out.push(first | mask);
  v -= mask;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function encodeString(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'latin1');
  encodeInt(out, 0, 7, bytes.length);
  for (const b of bytes) out.push(b);
}

/**
 * A header block of literals without indexing and with literal names (RFC 7541 §6.2.2): the
 * decoder that reads it adds nothing to its dynamic table and refers to nothing in it.
 */
export function encodeLiterals(headers: readonly Header[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of headers) {
    out.push(0);
    encodeString(out, name);
    encodeString(out, value);
  }
  return Buffer.from(out);
}
