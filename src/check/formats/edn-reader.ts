/**
 * A reader for the part of EDN (Clojure's data notation) that Jepsen histories use: nil,
 * booleans, numbers, strings, keywords, symbols, vectors, lists, sets and maps. Maps become
 * JavaScript Maps keyed by the printed form of the key (`:process`, `"k"`, `3`).
 */
export class Keyword {
  constructor(readonly name: string) {}
  toString(): string {
    return `:${this.name}`;
  }
}

export class EdnSymbol {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export type EdnValue =
  null | boolean | number | string | Keyword | EdnSymbol | EdnValue[] | Map<string, EdnValue>;

export class EdnSyntaxError extends Error {}

const DELIMITERS = new Set([...'()[]{}",; \t\r\n']);
const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '"': '"',
  '\\': '\\',
};

/** Reads exactly one EDN value from `text` (surrounding whitespace allowed). */
export function readEdn(text: string): EdnValue {
  const reader = new Reader(text);
  const value = reader.value();
  reader.skipSpace();
  if (reader.pos < text.length)
    throw new EdnSyntaxError(`unexpected "${text[reader.pos]}" after the value`);
  return value;
}

/** How an EDN value prints, for map keys and error messages. */
export function printEdn(value: EdnValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(printEdn).join(' ')}]`;
  if (value instanceof Map)
    return `{${[...value].map(([k, v]) => `${k} ${printEdn(v)}`).join(', ')}}`;
  return String(value);
}

class Reader {
  pos = 0;
  constructor(private readonly text: string) {}

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos] as string;
      if (c === ';') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++;
      } else if (c === ',' || c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        this.pos++;
      } else {
        return;
      }
    }
  }

  value(): EdnValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) throw new EdnSyntaxError('unexpected end of input');
    switch (c) {
      case '"':
        return this.string();
      case '[':
        this.pos++;
        return this.sequence(']');
      case '(':
        this.pos++;
        return this.sequence(')');
      case '{':
        this.pos++;
        return this.map();
      case '#':
        if (this.text[this.pos + 1] === '{') {
          this.pos += 2;
          return this.sequence('}');
        }
        throw new EdnSyntaxError(`unsupported tagged value at offset ${this.pos}`);
      case ']':
      case ')':
      case '}':
        throw new EdnSyntaxError(`unexpected "${c}"`);
      default:
        return this.atom();
    }
  }

  private sequence(close: string): EdnValue[] {
    const items: EdnValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      if (this.pos >= this.text.length) throw new EdnSyntaxError(`missing "${close}"`);
      items.push(this.value());
    }
  }

  private map(): Map<string, EdnValue> {
    const items = this.sequence('}');
    if (items.length % 2 !== 0) throw new EdnSyntaxError('a map needs an even number of forms');
    const map = new Map<string, EdnValue>();
    for (let i = 0; i < items.length; i += 2)
      map.set(printEdn(items[i] as EdnValue), items[i + 1] as EdnValue);
    return map;
  }

  private string(): string {
    const t = this.text;
    let out = '';
    this.pos++;
    while (this.pos < t.length) {
      const c = t[this.pos++] as string;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = t[this.pos++];
      if (e === 'u') {
        const hex = t.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new EdnSyntaxError(`bad escape \\u${hex}`);
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 4;
      } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
      } else {
        throw new EdnSyntaxError(`bad escape \\${e ?? ''}`);
      }
    }
    throw new EdnSyntaxError('unterminated string');
  }

  private atom(): EdnValue {
    const start = this.pos;
    while (this.pos < this.text.length && !DELIMITERS.has(this.text[this.pos] as string))
      this.pos++;
    const token = this.text.slice(start, this.pos);
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token.startsWith(':')) {
      if (token.length === 1) throw new EdnSyntaxError('empty keyword');
      return new Keyword(token.slice(1));
    }
    if (/^[+-]?\d/.test(token)) {
      const n = Number(token.replace(/[NM]$/, ''));
      if (!Number.isFinite(n)) throw new EdnSyntaxError(`bad number "${token}"`);
      return n;
    }
    return new EdnSymbol(token);
  }
}
