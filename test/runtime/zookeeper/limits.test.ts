/**
 * The ZooKeeper port under the connection gate (connection-limits.ts) the client and etcd ports
 * use: past the per-address cap a new connection is closed at once while the admitted ones are
 * still served, and a slot freed is a slot taken again. Under a second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import zookeeper from 'node-zookeeper-client';
import { connectionLimits } from '../../../src/runtime/connection-limits.js';
import { CoordinationBackend } from '../../../src/runtime/zookeeper/coordination-backend.js';
import { ZkServer } from '../../../src/runtime/zookeeper/server.js';
import { until } from './coord-harness.js';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

const closed = (s: Socket): Promise<void> =>
  new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

/** `ruok` on a connection the server admitted answers `imok`. */
function ruok(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    s.on('data', (b: Buffer) => (got += b.toString()));
    s.once('close', () => resolve(got));
    s.write('ruok');
  });
}

test('zookeeper port: a third connection from one address is closed, the two admitted are served', async () => {
  const backend = new CoordinationBackend({ tickMs: 100 });
  const server = new ZkServer({
    backend,
    limits: connectionLimits({ maxConnections: 10, maxPerAddress: 2 }),
  });
  const { port } = await server.start();
  const sockets: Socket[] = [];
  try {
    sockets.push(await open(port), await open(port));
    const third = await open(port);
    sockets.push(third);
    await closed(third);
    assert.equal(server.gate.stats.refusedAddress, 1);
    assert.equal(server.gate.openFrom('127.0.0.1'), 2);
    const [first, second] = sockets;
    assert.ok(first !== undefined && second !== undefined);
    assert.equal(await ruok(first), 'imok');
    // The first one's slot is free once it has closed: a real client gets in and is served.
    await closed(first);
    await until(
      'the server to see the first one close',
      () => server.gate.openFrom('127.0.0.1') === 1,
    );
    const c = zookeeper.createClient(`127.0.0.1:${port}`, { retries: 0, spinDelay: 50 });
    try {
      await new Promise<void>((resolve) => {
        c.once('connected', () => resolve());
        c.connect();
      });
      const made = await new Promise<string>((resolve, reject) =>
        c.create('/in', Buffer.from('x'), zookeeper.CreateMode.PERSISTENT, (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
      assert.equal(made, '/in');
      assert.equal(server.gate.stats.refusedAddress, 1);
      assert.equal(second.destroyed, false, 'the other admitted connection is still open');
    } finally {
      c.close();
    }
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
    backend.close();
  }
});
