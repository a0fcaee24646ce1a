/**
 * A transcript command's words, read by the environment that runs it: `name pos pos key=value`.
 * Each accessor checks what it reads and throws a CommandError('bad-argument') naming the
 * command; `done()` refuses whatever was left unread, so a misspelt key is an error rather than
 * silently ignored.
 */
import { CommandError } from './errors.js';

export class Command {
  readonly name: string;
  private readonly positional: string[];
  private readonly keyed = new Map<string, string>();
  private next = 0;
  private readonly read = new Set<string>();

  constructor(readonly text: string) {
    const words = text.split(/\s+/).filter((w) => w !== '');
    this.name = words[0] ?? '';
    this.positional = [];
    for (const w of words.slice(1)) {
      const eq = w.indexOf('=');
      if (eq > 0) {
        const key = w.slice(0, eq);
        if (this.keyed.has(key)) this.fail(`${key}= given twice`);
        this.keyed.set(key, w.slice(eq + 1));
      } else {
        this.positional.push(w);
      }
    }
  }

  fail(problem: string): never {
    throw new CommandError('bad-argument', `${this.name}: ${problem}`);
  }

  /** The next positional word; `what` names it in the error when it is missing. */
  word(what: string): string {
    const w = this.positional[this.next];
    if (w === undefined) this.fail(`missing ${what}`);
    this.next++;
    return w;
  }

  /** The next positional word if there is one. */
  maybeWord(): string | undefined {
    const w = this.positional[this.next];
    if (w !== undefined) this.next++;
    return w;
  }

  /** Every positional word not read yet. */
  rest(): string[] {
    const r = this.positional.slice(this.next);
    this.next = this.positional.length;
    return r;
  }

  /** A number word (integer unless `fraction`), at least `min`. */
  number(what: string, min: number, fraction = false): number {
    return this.toNumber(what, this.word(what), min, fraction);
  }

  /** `key=value` as text, or undefined when not given. */
  key(key: string): string | undefined {
    this.read.add(key);
    return this.keyed.get(key);
  }

  /** `key=n` as a number, `fallback` when not given. */
  keyNumber(key: string, fallback: number, min: number, fraction = false): number {
    const v = this.key(key);
    return v === undefined ? fallback : this.toNumber(`${key}=`, v, min, fraction);
  }

  /** The `key=value` pairs not read by any accessor (for pass-through options). */
  unreadKeys(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of this.keyed) if (!this.read.has(k)) out.set(k, v);
    for (const k of out.keys()) this.read.add(k);
    return out;
  }

  /** Refuses anything given that was not read. */
  done(): void {
    const extra = this.positional.slice(this.next);
    if (extra.length > 0) this.fail(`unexpected ${extra.join(' ')}`);
    const unknown = [...this.keyed.keys()].filter((k) => !this.read.has(k));
    if (unknown.length > 0) this.fail(`unknown option ${unknown.map((k) => `${k}=`).join(' ')}`);
  }

  private toNumber(what: string, text: string, min: number, fraction: boolean): number {
    const n = Number(text);
    const ok = text.trim() !== '' && Number.isFinite(n) && (fraction || Number.isInteger(n));
    if (!ok || n < min) {
      this.fail(`${what} wants ${fraction ? 'a number' : 'an integer'} >= ${min}, not ${text}`);
    }
    return n;
  }
}
