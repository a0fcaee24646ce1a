/**
 * The wire layer byte by byte: SSLRequest refused with 'N', the extended protocol's error
 * recovery (skip until Sync), portals run a few rows at a time, hostile and malformed input
 * (an ErrorResponse and a closed connection, the server unharmed), connection caps; and each
 * PG_WIRE_MUTANTS variant caught.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionLimits } from '../../../src/runtime/connection-limits.js';
import { PG_WIRE_MUTANTS, type PgWireMutant } from '../../../src/runtime/postgres/server.js';
import { codeOf, startServer } from './pg-harness.js';
import {
  cstr,
  errorCode,
  frame,
  int16,
  int32,
  RawClient,
  startupPacket,
  types,
} from './raw-client.js';

const parse = (name: string, sql: string): Buffer =>
  frame('P', Buffer.concat([cstr(name), cstr(sql), int16(0)]));
const bind = (portal: string, stmt: string, params: string[] = []): Buffer =>
  frame(
    'B',
    Buffer.concat([
      cstr(portal),
      cstr(stmt),
      int16(0),
      int16(params.length),
      ...params.flatMap((p) => [int32(Buffer.byteLength(p)), Buffer.from(p)]),
      int16(0),
    ]),
  );
const execute = (portal: string, maxRows = 0): Buffer =>
  frame('E', Buffer.concat([cstr(portal), int32(maxRows)]));
const describePortal = (portal: string): Buffer =>
  frame('D', Buffer.concat([Buffer.from('P'), cstr(portal)]));
const sync = frame('S');
const query = (sql: string): Buffer => frame('Q', cstr(sql));

test('an SSLRequest is answered N and the startup goes on in the clear', async () => {
  const h = await startServer();
  try {
    const c = await RawClient.connect(h.port);
    c.write(Buffer.concat([int32(8), int32(80877103)]));
    assert.equal(await c.byte(), 'N');
    const hello = await c.login();
    assert.equal(hello[0]?.type, 'R');
    assert.equal(hello.at(-1)?.type, 'Z');
    c.write(query(''));
    assert.equal(types(await c.untilReady()), 'IZ');
    c.end();
  } finally {
    await h.close();
  }
});

/** Parse fails; Bind and Execute must then be skipped until Sync: one error, then Z. */
async function skipUntilSync(mutant?: PgWireMutant): Promise<string> {
  const h = await startServer(mutant ? { mutant } : {});
  try {
    const c = await RawClient.connect(h.port);
    await c.login();
    c.write(Buffer.concat([parse('', 'SELEC 1'), bind('', ''), execute(''), sync]));
    const got = await c.untilReady();
    // The connection is usable afterwards.
    c.write(Buffer.concat([parse('', 'SELECT 1'), bind('', ''), execute(''), sync]));
    assert.equal(types(await c.untilReady()), '12DCZ');
    c.end();
    return types(got);
  } finally {
    await h.close();
  }
}

test('after an error in the extended protocol, messages up to Sync are skipped', async () => {
  assert.equal(await skipUntilSync(), 'EZ');
});

test('the no-skip-until-sync mutant answers the skipped messages', async () => {
  assert.notEqual(await skipUntilSync('no-skip-until-sync'), 'EZ');
});

test('Execute with a row limit suspends the portal and resumes it', async () => {
  const h = await startServer();
  try {
    const c = await RawClient.connect(h.port);
    await c.login();
    c.write(
      query('CREATE TABLE t (k INT PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3), (4), (5)'),
    );
    assert.equal(types(await c.untilReady()), 'CCZ');
    c.write(
      Buffer.concat([
        parse('s', 'SELECT k FROM t WHERE k > $1'),
        bind('p', 's', ['0']),
        describePortal('p'),
        execute('p', 2),
        execute('p', 2),
        execute('p', 2),
        sync,
      ]),
    );
    assert.equal(types(await c.untilReady()), '12TDDsDDsDCZ');
    c.end();
  } finally {
    await h.close();
  }
});

/** Sends a message claiming 2^31-1 bytes; returns what came back within a second. */
async function hostileLength(mutant?: PgWireMutant): Promise<{ code: string; closed: boolean }> {
  const h = await startServer(mutant ? { mutant } : {});
  try {
    const c = await RawClient.connect(h.port);
    await c.login();
    c.write(Buffer.concat([Buffer.from('Q'), int32(0x7fffffff), Buffer.from('SELECT 1')]));
    const m = await c.next(1000);
    const closed = m !== null && (await c.next(1000)) === null && c.closed;
    c.end();
    return { code: m?.type === 'E' ? errorCode(m.body) : '', closed };
  } finally {
    await h.close();
  }
}

test('a message longer than the cap gets 08P01 and the connection is closed', async () => {
  assert.deepEqual(await hostileLength(), { code: '08P01', closed: true });
});

test('the no-message-limit mutant waits for the hostile message instead', async () => {
  assert.deepEqual(await hostileLength('no-message-limit'), { code: '', closed: false });
});

test('malformed frames close only their own connection', async () => {
  const h = await startServer();
  try {
    const bystander = await h.client();
    const bad: Buffer[] = [
      // Garbage instead of a startup packet.
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      // A startup packet shorter than its header.
      Buffer.concat([int32(4), int32(0)]),
      // Protocol 2.0.
      Buffer.concat([int32(8), int32(2 << 16)]),
    ];
    for (const b of bad) {
      const c = await RawClient.connect(h.port);
      c.write(b);
      const m = await c.next(2000);
      assert.equal(m?.type, 'E', `an ErrorResponse for ${b.toString('hex').slice(0, 16)}`);
      assert.equal(await c.next(2000), null);
      c.end();
    }
    const after = [
      // A message length below its own four bytes.
      Buffer.concat([Buffer.from('Q'), int32(2)]),
      // A Bind that claims five parameters and carries none.
      frame('B', Buffer.concat([cstr(''), cstr(''), int16(0), int16(5)])),
      // A query string without its terminating zero.
      frame('Q', Buffer.from('SELECT 1')),
    ];
    for (const b of after) {
      const c = await RawClient.connect(h.port);
      await c.login();
      c.write(b);
      const m = await c.next(2000);
      assert.equal(m?.type, 'E');
      assert.equal(errorCode(m.body), '08P01');
      assert.equal(await c.next(2000), null);
      c.end();
    }
    // An unknown message type is refused without closing the connection.
    const c = await RawClient.connect(h.port);
    await c.login();
    c.write(Buffer.concat([frame('F', int32(0)), sync, query('SELECT 1')]));
    const msgs = [...(await c.untilReady()), ...(await c.untilReady())];
    assert.equal(types(msgs), 'EZTDCZ');
    assert.equal(errorCode((msgs[0] as { body: Buffer }).body), '0A000');
    c.end();
    assert.equal((await bystander.query('SELECT 1 AS x')).rows[0].x, '1');
  } finally {
    await h.close();
  }
});

test('connections over the cap are refused with 53300', async () => {
  const h = await startServer({
    limits: connectionLimits({ maxConnections: 2, maxPerAddress: 2 }),
  });
  try {
    await h.client();
    await h.client();
    assert.equal(await codeOf(h.client()), '53300');
  } finally {
    await h.close();
  }
});

/** A SCRAM exchange with a made-up proof; returns the SQLSTATE of the refusal, or 'in'. */
async function forgedProof(mutant?: PgWireMutant): Promise<string> {
  const h = await startServer({
    users: [{ name: 'app', password: 'secret' }],
    ...(mutant ? { mutant } : {}),
  });
  try {
    const c = await RawClient.connect(h.port);
    c.write(startupPacket({ user: 'app', database: 'defaultdb' }));
    assert.equal((await c.next())?.body.readInt32BE(0), 10, 'AuthenticationSASL');
    const first = 'n,,n=,r=forgednonce';
    c.write(
      frame('p', Buffer.concat([cstr('SCRAM-SHA-256'), int32(first.length), Buffer.from(first)])),
    );
    const cont = await c.next();
    assert.equal(cont?.body.readInt32BE(0), 11, 'AuthenticationSASLContinue');
    const nonce = /r=([^,]*)/.exec(cont.body.subarray(4).toString())?.[1] ?? '';
    const proof = Buffer.alloc(32, 7).toString('base64');
    c.write(frame('p', Buffer.from(`c=biws,r=${nonce},p=${proof}`)));
    const msgs = await c.untilReady();
    c.end();
    const e = msgs.find((m) => m.type === 'E');
    return e !== undefined ? errorCode(e.body) : msgs.at(-1)?.type === 'Z' ? 'in' : types(msgs);
  } finally {
    await h.close();
  }
}

test('a forged SCRAM proof gets 28P01', async () => {
  assert.equal(await forgedProof(), '28P01');
});

test('the any-password mutant lets a forged proof in', async () => {
  assert.equal(await forgedProof('any-password'), 'in');
});

test('ReadyForQuery carries the transaction status: I, T, E, then I again', async () => {
  const h = await startServer();
  try {
    const c = await RawClient.connect(h.port);
    await c.login();
    const statusAfter = async (sql: string): Promise<string> => {
      c.write(query(sql));
      const z = (await c.untilReady()).at(-1);
      assert.equal(z?.type, 'Z');
      return z.body.toString('latin1');
    };
    assert.equal(await statusAfter('CREATE TABLE t (k INT PRIMARY KEY)'), 'I');
    assert.equal(await statusAfter('BEGIN'), 'T');
    assert.equal(await statusAfter('INSERT INTO t VALUES (1)'), 'T');
    assert.equal(await statusAfter('INSERT INTO t VALUES (1)'), 'E');
    assert.equal(await statusAfter('ROLLBACK'), 'I');
    c.end();
  } finally {
    await h.close();
  }
});

test('Describe of a statement gives its parameters and columns; binary parameters are read', async () => {
  const h = await startServer();
  try {
    const c = await RawClient.connect(h.port);
    await c.login();
    c.write(
      query("CREATE TABLE t (k BIGINT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (-2, 'neg')"),
    );
    await c.untilReady();
    // Parse with the first parameter typed int8 (20) and the second left to the server.
    const parseTyped = frame(
      'P',
      Buffer.concat([
        cstr('q'),
        cstr('SELECT v, k FROM t WHERE k = $1 AND v <> $2'),
        int16(2),
        int32(20),
        int32(0),
      ]),
    );
    const describeStmt = frame('D', Buffer.concat([Buffer.from('S'), cstr('q')]));
    const binaryK = Buffer.alloc(8);
    binaryK.writeBigInt64BE(-2n);
    const bindBinary = frame(
      'B',
      Buffer.concat([
        cstr(''),
        cstr('q'),
        int16(2),
        int16(1),
        int16(0),
        int16(2),
        int32(8),
        binaryK,
        int32(1),
        Buffer.from('x'),
        int16(0),
      ]),
    );
    c.write(Buffer.concat([parseTyped, describeStmt, bindBinary, execute(''), sync]));
    const msgs = await c.untilReady();
    assert.equal(types(msgs), '1tT2DCZ');
    const t = msgs[1] as { body: Buffer };
    assert.deepEqual(
      [t.body.readInt16BE(0), t.body.readInt32BE(2), t.body.readInt32BE(6)],
      [2, 20, 25],
    );
    const row = msgs[4] as { body: Buffer };
    assert.equal(row.body.toString('utf8', 6, 9), 'neg');
    c.end();
  } finally {
    await h.close();
  }
});

test('every wire mutant has a test here', () => {
  assert.deepEqual([...PG_WIRE_MUTANTS].sort(), [
    'any-password',
    'no-message-limit',
    'no-skip-until-sync',
  ]);
});

test('a startup packet may be split across writes', async () => {
  const h = await startServer();
  try {
    const c = await RawClient.connect(h.port);
    const p = startupPacket({ user: 'root', database: 'defaultdb' });
    for (const b of p) c.write(Buffer.from([b]));
    const hello = await c.untilReady();
    assert.equal(hello.at(-1)?.type, 'Z');
    c.end();
  } finally {
    await h.close();
  }
});
