/**
 * A transcript environment for the SQL layer: named sessions over one in-memory store, whose
 * callbacks answer synchronously, so each command's output is complete when it returns.
 *
 *     sql <statements>      runs them on session "sql"; a, b, c name other sessions
 *     keys                  the committed key space, control characters shown as \xNN
 *     trace <statements>    runs them on session "sql" and first lists the KV calls they made
 *                           (descriptor reads left out), to show which keys and spans a
 *                           statement reads
 *
 * A result prints as `col | col`, one line per row (NULL for SQL NULL), then the command tag;
 * an error as `ERROR <SQLSTATE>: message`. A session left in a transaction shows `[T]` or `[E]`.
 */
import { CommandError } from '../../support/transcript/errors.js';
import type { Command } from '../../support/transcript/command.js';
import type { TranscriptEnv } from '../../support/transcript/runner.js';
import { MemoryTxnKv, type MemoryKvMutant } from '../../../src/systems/sql/memory-txn-kv.js';
import { SqlSession, type Outcome } from '../../../src/systems/sql/session.js';
import { parseSql } from '../../../src/systems/sql/sql-parse.js';
import { SqlError } from '../../../src/systems/sql/sql-errors.js';
import { formatValue } from '../../../src/systems/sql/values.js';
import type { SpanMutant } from '../../../src/systems/sql/spans.js';
import { TracingTxnKv } from './tracing-kv.js';

export const SESSION_NAMES = ['sql', 'a', 'b', 'c'];

export function showControl(s: string): string {
  let out = '';
  for (const c of s) {
    const n = c.charCodeAt(0);
    out += n < 0x20 || (n >= 0x7f && n <= 0xff) ? `\\x${n.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

export function renderOutcome(o: Outcome): string[] {
  const lines: string[] = [];
  if (o.columns !== null) {
    lines.push(o.columns.map((c) => c.name).join(' | '));
    const cols = o.columns;
    for (const r of o.rows) {
      lines.push(r.map((v, i) => formatValue(cols[i]?.type ?? 'text', v) ?? 'NULL').join(' | '));
    }
  }
  lines.push(o.tag);
  return lines;
}

/** Runs `sql` on `session` synchronously (the memory store answers at once). */
export function runSync(
  session: SqlSession,
  sql: string,
  params: readonly (string | null)[] = [],
): string[] {
  let stmts;
  try {
    stmts = parseSql(sql);
  } catch (e) {
    if (e instanceof SqlError) return [`ERROR ${e.code}: ${e.message}`];
    throw e;
  }
  const out: string[] = [];
  for (const p of stmts) {
    let answered = false;
    let stop = false;
    session.execute(p, params, (r) => {
      answered = true;
      if (r.ok) out.push(...renderOutcome(r.value));
      else {
        out.push(`ERROR ${r.error.code}: ${r.error.message}`);
        stop = true;
      }
    });
    if (!answered) throw new Error('the memory store answered asynchronously');
    if (stop) break;
  }
  return out;
}

export class SqlTranscriptEnv implements TranscriptEnv {
  readonly kv: MemoryTxnKv;
  private readonly traced: TracingTxnKv;
  private readonly sessions = new Map<string, SqlSession>();
  private clock = 1_700_000_000_000;

  constructor(private readonly mutants: { kv?: MemoryKvMutant; span?: SpanMutant } = {}) {
    // A clock that moves 1 ms per transaction: timestamps are the same every run.
    const mutant = mutants.kv;
    this.kv = new MemoryTxnKv({ now: () => this.clock++, ...(mutant ? { mutant } : {}) });
    this.traced = new TracingTxnKv(this.kv, showControl);
  }

  run(cmd: Command): readonly string[] {
    if (cmd.name === 'keys') {
      return this.kv.snapshot().map((p) => `${showControl(p.key)} = ${showControl(p.value)}`);
    }
    const tracing = cmd.name === 'trace';
    const name = tracing ? 'sql' : cmd.name;
    if (!SESSION_NAMES.includes(name)) {
      throw new CommandError('unknown-command', `unknown command ${cmd.name}`);
    }
    let s = this.sessions.get(name);
    if (s === undefined) {
      const span = this.mutants.span;
      s = new SqlSession(this.traced, { user: 'root', ...(span ? { mutant: span } : {}) });
      this.sessions.set(name, s);
    }
    if (tracing) this.traced.record();
    const out = runSync(s, cmd.text.slice(cmd.name.length).trim());
    if (tracing) {
      const calls = this.traced.take().filter((l) => !l.startsWith('get /s/'));
      out.unshift(...calls.map((l) => `  ${l}`));
    }
    if (s.status !== 'I') out.push(`[${s.status}]`);
    return out;
  }
}
