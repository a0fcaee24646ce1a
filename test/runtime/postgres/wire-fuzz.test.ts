/**
 * Random frames after a login — real message types with random bodies, truncated and
 * over-long fields, unknown types, random bytes — on many connections: the server must answer
 * each connection with messages or close it, never crash, and keep serving a bystander.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor, type Random } from '../../../src/core/random.js';
import { until } from '../../support/wait.js';
import { startServer } from './pg-harness.js';
import { cstr, frame, int16, int32, RawClient } from './raw-client.js';

function randomBytes(r: Random, max: number): Buffer {
  return Buffer.from(Array.from({ length: r.int(max + 1) }, () => r.int(256)));
}

function randomFrame(r: Random): Buffer {
  const type = r.pick(['Q', 'P', 'B', 'D', 'E', 'C', 'H', 'S', 'p', 'F', 'd', 'c', 'f', '\0', 'z']);
  const sql = r.pick(['SELECT 1', 'SELECT * FROM t WHERE k = $1', '', 'BEGIN', 'COMMIT', 'SELEC']);
  const bodies: Buffer[] = [
    randomBytes(r, 40),
    Buffer.concat([cstr(''), cstr(sql), int16(r.int(4) - 1), int32(r.int(30))]),
    Buffer.concat([
      cstr(''),
      cstr(''),
      int16(r.int(3)),
      int16(r.int(3)),
      int16(r.int(3)),
      int32(r.int(10) - 1),
    ]),
    Buffer.concat([Buffer.from(r.pick(['S', 'P', 'X'])), cstr(r.pick(['', 'nope']))]),
    Buffer.concat([cstr(''), int32(r.int(3))]),
    cstr(sql),
  ];
  return frame(type, r.pick(bodies));
}

test('random frames never crash the server', { timeout: 60_000 }, async () => {
  const h = await startServer();
  try {
    const bystander = await h.client();
    await bystander.query('CREATE TABLE t (k INT PRIMARY KEY)');
    const r = streamFor(7, 'test:pg-wire-fuzz');
    let answered = 0;
    let closed = 0;
    for (let i = 0; i < 60; i++) {
      const c = await RawClient.connect(h.port);
      await c.login();
      const frames = Array.from({ length: 1 + r.int(6) }, () => randomFrame(r));
      if (r.chance(0.3)) frames.push(randomBytes(r, 20));
      frames.push(frame('S'));
      c.write(Buffer.concat(frames));
      // The server's last word is the Sync's ReadyForQuery, or the connection closed.
      const got = await c.untilReady(2000);
      if (got.length > 0) answered++;
      if (got.at(-1)?.type !== 'Z') {
        assert.equal(await c.next(2000), null, 'no ReadyForQuery: the connection closes');
        closed++;
      }
      c.end();
    }
    assert.ok(answered > 30, `answered ${answered} of 60`);
    assert.ok(closed > 0, 'some frames were malformed enough to close their connection');
    assert.equal((await bystander.query('SELECT count(*) AS n FROM t')).rows[0].n, '0');
    await until(() => h.server.connectionCount === 1, {
      what: 'every fuzzed connection to be gone once its client closed it',
    });
  } finally {
    await h.close();
  }
});
