/**
 * Statements put together at random from pieces of the subset and of what lies outside it,
 * run on the in-memory store: every one must end in a result or an SqlError with a SQLSTATE —
 * never another exception (a TypeError is a bug the client would see as XX000) — and the
 * table's rows must still decode afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor, type Random } from '../../../src/core/random.js';
import { MemoryTxnKv } from '../../../src/systems/sql/memory-txn-kv.js';
import { SqlSession } from '../../../src/systems/sql/session.js';
import { runSync } from './sql-env.js';

const COLUMNS = ['k', 'v', 'n', 'b', 'at', 'nope', '*', 't.k'];
const VALUES = [
  '1',
  '-7',
  '0',
  "'x'",
  "''",
  'NULL',
  'true',
  "'2024-01-01'",
  "'2024-13-01'",
  '9223372036854775807',
  '99999999999999999999',
  '1.5',
  '$1',
  '$2',
  'now()',
  'cluster_logical_timestamp()',
  "'1'::int",
  "'t'::bool",
  'k + 1',
  "v || 'y'",
  'count(*)',
  'sum(n)',
  'min(v)',
  '(SELECT 1)',
  'ARRAY[1]',
];
const OPS = [
  '=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  'AND',
  'OR',
  '+',
  '-',
  '*',
  '/',
  '%',
  '||',
  'LIKE',
  'IN',
];

function expr(r: Random, depth = 0): string {
  if (depth > 2 || r.chance(0.4))
    return r.chance(0.5) ? r.pick(COLUMNS.slice(0, 6)) : r.pick(VALUES);
  const op = r.pick(OPS);
  if (op === 'IN') return `${expr(r, depth + 1)} IN (${expr(r, depth + 1)}, ${expr(r, depth + 1)})`;
  if (r.chance(0.1)) return `NOT ${expr(r, depth + 1)}`;
  if (r.chance(0.1)) return `${expr(r, depth + 1)} IS NULL`;
  if (r.chance(0.1))
    return `${expr(r, depth + 1)} BETWEEN ${expr(r, depth + 1)} AND ${expr(r, depth + 1)}`;
  return `(${expr(r, depth + 1)} ${op} ${expr(r, depth + 1)})`;
}

function statement(r: Random): string {
  const where = r.chance(0.6) ? ` WHERE ${expr(r)}` : '';
  switch (r.int(9)) {
    case 0:
      return `SELECT ${Array.from({ length: 1 + r.int(3) }, () => (r.chance(0.2) ? r.pick(COLUMNS) : expr(r))).join(', ')} FROM t${where}${r.chance(0.3) ? ` GROUP BY ${r.pick(COLUMNS)}` : ''}${r.chance(0.3) ? ` ORDER BY ${expr(r)} ${r.pick(['ASC', 'DESC'])}` : ''}${r.chance(0.3) ? ` LIMIT ${r.pick(VALUES)}` : ''}`;
    case 1:
      return `INSERT INTO t VALUES (${Array.from({ length: 3 + r.int(4) }, () => r.pick(VALUES)).join(', ')})${r.chance(0.3) ? ' ON CONFLICT DO NOTHING' : ''}`;
    case 2:
      return `UPSERT INTO t (k, ${r.pick(COLUMNS)}) VALUES (${r.pick(VALUES)}, ${r.pick(VALUES)})`;
    case 3:
      return `UPDATE t SET ${r.pick(COLUMNS)} = ${expr(r)}${where}`;
    case 4:
      return `DELETE FROM t${where}`;
    case 5:
      return r.pick(['BEGIN', 'COMMIT', 'ROLLBACK', 'SHOW TABLES', 'SHOW nope', 'SET x = 1']);
    case 6:
      return `SELECT ${expr(r)}`;
    case 7:
      return r.pick([
        'CREATE TABLE u (a INT PRIMARY KEY, b TEXT)',
        'DROP TABLE IF EXISTS u',
        'CREATE TABLE w (a INT)',
        'CREATE TABLE x (a FLOAT PRIMARY KEY)',
        'SELECT * FROM t JOIN u ON t.k = u.a',
        'SELECT * FROM pg_catalog.pg_class',
        'WITH q AS (SELECT 1) SELECT * FROM q',
        'SELECT DISTINCT v FROM t',
        'INSERT INTO t SELECT * FROM t',
        'DELETE FROM t RETURNING k',
        'TRUNCATE t',
        'SELECT',
        ';;',
        "SELECT 'unterminated",
      ]);
    default:
      return `SELECT count(*), sum(n), min(at), max(v) FROM t${where}`;
  }
}

test('random statements end in a result or a SQLSTATE, never a crash', () => {
  let errors = 0;
  let results = 0;
  for (let seed = 1; seed <= 4; seed++) {
    const r = streamFor(seed, 'test:sql-statement-fuzz');
    let clock = 0;
    const session = new SqlSession(new MemoryTxnKv({ now: () => ++clock }), { user: 'root' });
    runSync(session, 'CREATE TABLE t (k INT PRIMARY KEY, v TEXT, n BIGINT, b BOOL, at TIMESTAMP)');
    for (let i = 0; i < 300; i++) {
      const sql = statement(r);
      const params = [r.pick(['1', 'x', '2024-01-01', 't']), r.chance(0.5) ? null : '5'];
      let out: string[];
      try {
        out = runSync(session, sql, params);
      } catch (e) {
        assert.fail(`seed ${seed}, statement ${i}: ${sql}\n  threw ${String(e)}`);
      }
      for (const line of out) {
        const m = /^ERROR (\w{5}): /.exec(line);
        if (m !== null) {
          errors++;
          assert.notEqual(m[1], 'XX000', `${sql}: ${line}`);
        }
      }
      if (!out.some((l) => l.startsWith('ERROR'))) results++;
    }
    runSync(session, 'ROLLBACK');
    const check = runSync(session, 'SELECT * FROM t');
    assert.ok(!check.some((l) => l.startsWith('ERROR')), check.join('\n'));
  }
  assert.ok(errors > 100 && results > 100, `errors ${errors}, results ${results}`);
});
