/**
 * A reader for the part of EDN (Clojure's data notation) that Jepsen, Knossos and Elle write:
 * nil, booleans, numbers (with `N`/`M` suffixes, and ratios such as `1/3`), strings,
 * characters, keywords, symbols, vectors, lists, sets, maps, comments (`;`), discards (`#_`)
 * and tagged literals (`#jepsen.history.Op{…}`, `#inst "…"`). Maps become JavaScript Maps keyed
 * by the printed form of the key (`:process`, `"k"`, `3`); sets become arrays.
 *
 * A tagged literal reads as the value it tags: Jepsen's tags wrap a map, a string or a number
 * that says everything the checker needs without the tag.
 *
 * Histories are read form by form ({@link readEdnForms}) so a file of many operations never
 * becomes one giant value, and every form keeps the line it starts on for error messages.
 */
export class Keyword {
  /** The printed form, `:name`: a map key, so made once. */
  private readonly printed: string;
  constructor(readonly name: string) {
    this.printed = `:${name}`;
  }
  toString(): string {
    return this.printed;
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

export class EdnSyntaxError extends Error {
  /** The 1-based line where the reader stopped. */
  line = 0;
}

/** A top-level form, or an element of a top-level collection, and the line it starts on. */
export interface EdnForm {
  readonly value: EdnValue;
  readonly line: number;
}

// Characters that end a token, as a table indexed by char code (the reader's hottest test).
const DELIMITER = new Uint8Array(128);
for (const c of '()[]{}",; \t\r\n') DELIMITER[c.charCodeAt(0)] = 1;
const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  '"': '"',
  '\\': '\\',
};
const CHARACTER_NAMES: Readonly<Record<string, string>> = {
  newline: '\n',
  space: ' ',
  tab: '\t',
  return: '\r',
  backspace: '\b',
  formfeed: '\f',
};
const INTEGER = /^[+-]?\d+N?$/;
const DECIMAL = /^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$/;
const RATIO = /^([+-]?\d+)\/(\d+)$/;

/** Reads exactly one EDN value from `text` (surrounding whitespace allowed). */
export function readEdn(text: string): EdnValue {
  const reader = new EdnReader(text);
  const value = reader.value();
  reader.skipSpace();
  if (!reader.atEnd()) throw reader.error(`unexpected "${text[reader.pos]}" after the value`);
  return value;
}

/**
 * The forms of a history file, whatever its layout: forms one after another (one map per line,
 * or spread over many lines), or one vector or list holding them all — each element of a
 * top-level vector or list is yielded on its own, as it is read.
 */
export function* readEdnForms(text: string): Generator<EdnForm> {
  const reader = new EdnReader(text);
  for (;;) {
    reader.skipSpace();
    if (reader.atEnd()) return;
    const close = reader.openCollection();
    if (close === undefined) {
      const line = reader.line();
      yield { value: reader.value(), line };
      continue;
    }
    for (;;) {
      reader.skipSpace();
      if (reader.closes(close)) break;
      const line = reader.line();
      yield { value: reader.value(), line };
    }
  }
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

class EdnReader {
  pos = 0;
  /** Keywords by name: a history repeats a handful of them millions of times. */
  private readonly keywords = new Map<string, Keyword>();
  /** Line counting is incremental: `line()` is asked at increasing positions. */
  private lineAt = 0;
  private lineCount = 1;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** Moves past the token that starts here (up to the next delimiter). */
  private skipToken(): void {
    const t = this.text;
    let i = this.pos;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c < 128 && DELIMITER[c] === 1) break;
      i++;
    }
    this.pos = i;
  }

  /** The 1-based line of the current position. */
  line(): number {
    const t = this.text;
    if (this.pos < this.lineAt) {
      this.lineAt = 0;
      this.lineCount = 1;
    }
    for (let i = this.lineAt; i < this.pos; i++) if (t.charCodeAt(i) === 10) this.lineCount++;
    this.lineAt = this.pos;
    return this.lineCount;
  }

  error(message: string): EdnSyntaxError {
    const e = new EdnSyntaxError(message);
    e.line = this.line();
    return e;
  }

  /** Skips whitespace, commas, comments and `#_` discarded forms. */
  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos] as string;
      if (c === ';') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++;
      } else if (c === ',' || c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        this.pos++;
      } else if (c === '#' && t[this.pos + 1] === '_') {
        this.pos += 2;
        this.value();
      } else {
        return;
      }
    }
  }

  /** At a vector or list: steps inside it and returns its closing bracket. */
  openCollection(): string | undefined {
    const c = this.text[this.pos];
    if (c !== '[' && c !== '(') return undefined;
    this.pos++;
    return c === '[' ? ']' : ')';
  }

  /** At `close`: steps past it. At the end of the text: a syntax error. */
  closes(close: string): boolean {
    if (this.text[this.pos] === close) {
      this.pos++;
      return true;
    }
    if (this.atEnd()) throw this.error(`missing "${close}"`);
    return false;
  }

  value(): EdnValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) throw this.error('unexpected end of input');
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
        return this.dispatch();
      case '\\':
        return this.character();
      case ']':
      case ')':
      case '}':
        throw this.error(`unexpected "${c}"`);
      default:
        return this.atom();
    }
  }

  /** `#{…}` sets, and `#tag form` tagged literals (read as the form). */
  private dispatch(): EdnValue {
    const next = this.text[this.pos + 1];
    if (next === '{') {
      this.pos += 2;
      return this.sequence('}');
    }
    if (next === undefined || !/[A-Za-z]/.test(next))
      throw this.error(`unsupported "#${next ?? ''}" form`);
    this.pos++;
    const start = this.pos;
    this.skipToken();
    if (this.pos === start) throw this.error('a tag needs a name');
    return this.value();
  }

  private sequence(close: string): EdnValue[] {
    const items: EdnValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.closes(close)) return items;
      items.push(this.value());
    }
  }

  private map(): Map<string, EdnValue> {
    const map = new Map<string, EdnValue>();
    for (;;) {
      this.skipSpace();
      if (this.closes('}')) return map;
      const key = printEdn(this.value());
      this.skipSpace();
      if (this.closes('}')) throw this.error('a map needs an even number of forms');
      map.set(key, this.value());
    }
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
        out += this.unicode(t.slice(this.pos, this.pos + 4));
        this.pos += 4;
      } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
      } else {
        throw this.error(`bad escape \\${e ?? ''}`);
      }
    }
    throw this.error('unterminated string');
  }

  private unicode(hex: string): string {
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.error(`bad escape \\u${hex}`);
    return String.fromCharCode(parseInt(hex, 16));
  }

  /** `\a`, `\newline`, `\u00e9`: a one-character string. */
  private character(): string {
    const start = ++this.pos;
    // The first character is taken whatever it is (`\(` is the character "(").
    if (!this.atEnd()) this.pos++;
    this.skipToken();
    const token = this.text.slice(start, this.pos);
    if (token.length === 1) return token;
    if (Object.hasOwn(CHARACTER_NAMES, token)) return CHARACTER_NAMES[token] as string;
    if (/^u[0-9a-fA-F]{4}$/.test(token)) return this.unicode(token.slice(1));
    throw this.error(`bad character \\${token}`);
  }

  private atom(): EdnValue {
    const start = this.pos;
    this.skipToken();
    const first = this.text.charCodeAt(start);
    if (first === 58 /* : */) return this.keyword(this.text.slice(start + 1, this.pos));
    // A plain decimal integer, the commonest token, without a regular expression or a slice.
    let n = 0;
    let i = first === 45 /* - */ ? start + 1 : start;
    const digitsFrom = i;
    for (; i < this.pos; i++) {
      const d = this.text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (i === this.pos && i > digitsFrom && i - digitsFrom <= 15) return first === 45 ? -n : n;
    const token = this.text.slice(start, this.pos);
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (/^[+-]?\d/.test(token)) return this.number(token);
    return new EdnSymbol(token);
  }

  private keyword(name: string): Keyword {
    if (name === '') throw this.error('empty keyword');
    let k = this.keywords.get(name);
    if (k === undefined) {
      k = new Keyword(name);
      this.keywords.set(name, k);
    }
    return k;
  }

  private number(token: string): number {
    let n: number;
    const ratio = RATIO.exec(token);
    if (ratio) n = Number(ratio[1]) / Number(ratio[2]);
    else if (INTEGER.test(token) || DECIMAL.test(token)) n = Number(token.replace(/[NM]$/, ''));
    else throw this.error(`bad number "${token}"`);
    if (!Number.isFinite(n)) throw this.error(`bad number "${token}"`);
    return n;
  }
}
