/**
 * node-postgres (the `pg` package, a real driver) against `truthkit`'s PostgreSQL port on the
 * in-memory store: simple and extended queries, parameters, types, SQLSTATE codes, SCRAM
 * passwords, and bank transfers under a retry loop on 40001 whose total is conserved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { codeOf, startServer } from './pg-harness.js';

test('simple and extended queries, parameters and result types', async () => {
  const h = await startServer();
  try {
    const c = await h.client();
    await c.query('CREATE TABLE kv (k TEXT PRIMARY KEY, n BIGINT, ok BOOL, at TIMESTAMP)');
    // Simple protocol (no parameters): several rows in one INSERT.
    const ins = await c.query(
      "INSERT INTO kv VALUES ('a', 1, true, '2024-01-01 00:00:00'), ('b', 9007199254740993, false, NULL)",
    );
    assert.equal(ins.command, 'INSERT');
    assert.equal(ins.rowCount, 2);
    // Extended protocol: Parse/Bind/Describe/Execute/Sync with text parameters.
    await c.query('INSERT INTO kv VALUES ($1, $2, $3, $4)', [
      'c',
      '-5',
      't',
      '2024-06-30 12:34:56.5',
    ]);
    const r = await c.query('SELECT k, n, ok, at FROM kv WHERE k >= $1 ORDER BY n', ['a']);
    assert.deepEqual(
      r.fields.map((f) => [f.name, f.dataTypeID]),
      [
        ['k', 25],
        ['n', 20],
        ['ok', 16],
        ['at', 1114],
      ],
    );
    assert.deepEqual(
      r.rows.map((x: Record<string, unknown>) => [x['k'], x['n'], x['ok']]),
      [
        ['c', '-5', true],
        ['a', '1', true],
        ['b', '9007199254740993', false],
      ],
    );
    const at = r.rows[0] as { at: Date };
    assert.ok(at.at instanceof Date);
    // A named prepared statement, run twice with different parameters.
    const named = { name: 'by-key', text: 'SELECT n FROM kv WHERE k = $1' };
    assert.equal((await c.query({ ...named, values: ['a'] })).rows[0]?.n, '1');
    assert.equal((await c.query({ ...named, values: ['c'] })).rows[0]?.n, '-5');
    const agg = await c.query('SELECT count(*) AS c, sum(n) AS s, max(k) AS m FROM kv');
    assert.deepEqual(agg.rows[0], { c: '3', s: '9007199254740989', m: 'c' });
    const up = await c.query('UPDATE kv SET n = n + $1 WHERE ok', [10]);
    assert.equal(up.rowCount, 2);
    const del = await c.query('DELETE FROM kv WHERE k = $1', ['b']);
    assert.equal(del.rowCount, 1);
    const tables = await c.query('SHOW TABLES');
    assert.deepEqual(tables.rows, [{ schema_name: 'public', table_name: 'kv' }]);
    const ts = await c.query('SELECT now() AS t, cluster_logical_timestamp() AS l');
    assert.ok(ts.rows[0].t instanceof Date);
    assert.match(String(ts.rows[0].l), /^\d+\.\d{10}$/);
    const nulls = await c.query('SELECT $1::int AS x', [null]);
    assert.equal(nulls.rows[0].x, null);
  } finally {
    await h.close();
  }
});

test('errors carry their SQLSTATE, and a failed transaction reports status E', async () => {
  const h = await startServer();
  try {
    const c = await h.client();
    await c.query('CREATE TABLE t (k INT PRIMARY KEY)');
    await c.query('INSERT INTO t VALUES (1)');
    assert.equal(await codeOf(c.query('INSERT INTO t VALUES ($1)', [1])), '23505');
    assert.equal(await codeOf(c.query('SELECT * FROM missing')), '42P01');
    assert.equal(await codeOf(c.query('SELEC 1')), '42601');
    assert.equal(await codeOf(c.query('SELECT nope FROM t')), '42703');
    assert.equal(await codeOf(c.query('SELECT * FROM t, t')), '0A000');
    assert.equal(await codeOf(c.query('SELECT * FROM t WHERE k = $1', ['x'])), '22P02');
    // The connection is still usable after each error.
    await c.query('BEGIN');
    assert.equal(await codeOf(c.query('INSERT INTO t VALUES (1)')), '23505');
    assert.equal(await codeOf(c.query('SELECT 1')), '25P02');
    const end = await c.query('COMMIT');
    assert.equal(end.command, 'ROLLBACK');
    assert.equal((await c.query('SELECT count(*) AS n FROM t')).rows[0].n, '1');
  } finally {
    await h.close();
  }
});

test('a read-modify-write race gets 40001 and the retry succeeds', async () => {
  const h = await startServer();
  try {
    const a = await h.client();
    const b = await h.client();
    await a.query('CREATE TABLE c (id INT PRIMARY KEY, n INT)');
    await a.query('INSERT INTO c VALUES (1, 0)');
    await a.query('BEGIN');
    await a.query('SELECT n FROM c WHERE id = 1');
    await b.query('UPDATE c SET n = n + 1 WHERE id = 1');
    assert.equal(await codeOf(a.query('UPDATE c SET n = n + 1 WHERE id = 1')), '40001');
    await a.query('ROLLBACK');
    await a.query('BEGIN');
    await a.query('UPDATE c SET n = n + 1 WHERE id = 1');
    await a.query('COMMIT');
    assert.equal((await a.query('SELECT n FROM c WHERE id = 1')).rows[0].n, '2');
  } finally {
    await h.close();
  }
});

/** Moves `amount` from one account to another in a transaction, retried on 40001. */
async function transfer(c: pg.Client, from: number, to: number, amount: number): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      await c.query('BEGIN');
      const f = await c.query('SELECT bal FROM acct WHERE id = $1', [from]);
      const t = await c.query('SELECT bal FROM acct WHERE id = $1', [to]);
      const fb = Number(f.rows[0].bal);
      const tb = Number(t.rows[0].bal);
      await c.query('UPDATE acct SET bal = $1 WHERE id = $2', [fb - amount, from]);
      await c.query('UPDATE acct SET bal = $1 WHERE id = $2', [tb + amount, to]);
      await c.query('COMMIT');
      return attempt;
    } catch (e) {
      await c.query('ROLLBACK');
      if ((e as { code?: string }).code !== '40001' || attempt > 50) throw e;
    }
  }
}

test('bank transfers from concurrent clients with a retry loop conserve the total', async () => {
  const h = await startServer();
  try {
    const setup = await h.client();
    await setup.query('CREATE TABLE acct (id INT PRIMARY KEY, bal INT NOT NULL)');
    const accounts = 5;
    await setup.query(
      `INSERT INTO acct VALUES ${Array.from({ length: accounts }, (_, i) => `(${i}, 100)`).join(', ')}`,
    );
    const clients = await Promise.all(Array.from({ length: 6 }, () => h.client()));
    let retries = 0;
    await Promise.all(
      clients.map(async (c, ci) => {
        for (let i = 0; i < 25; i++) {
          const from = (ci + i) % accounts;
          const to = (from + 1 + (i % (accounts - 1))) % accounts;
          retries += await transfer(c, from, to, 1 + ((ci * 7 + i) % 9));
        }
      }),
    );
    const sum = await setup.query('SELECT sum(bal) AS s, count(*) AS n FROM acct');
    assert.deepEqual(sum.rows[0], { s: String(accounts * 100), n: String(accounts) });
    assert.ok(retries > 0, 'six clients over five accounts conflicted at least once');
  } finally {
    await h.close();
  }
});

test('SCRAM-SHA-256: the right password connects, a wrong one gets 28P01', async () => {
  const h = await startServer({
    users: [
      { name: 'app', password: 'correct horse' },
      { name: 'root', password: null },
    ],
  });
  try {
    const ok = await h.client({ user: 'app', password: 'correct horse' });
    assert.equal((await ok.query('SELECT 1 AS one')).rows[0].one, '1');
    assert.equal(await codeOf(h.client({ user: 'app', password: 'wrong' })), '28P01');
    assert.equal(await codeOf(h.client({ user: 'nobody', password: 'x' })), '28000');
    assert.equal(await codeOf(h.client({ database: 'other' })), '3D000');
    const root = await h.client();
    assert.equal((await root.query('SELECT 2 AS two')).rows[0].two, '2');
  } finally {
    await h.close();
  }
});
