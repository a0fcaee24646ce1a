/**
 * Strict request decoding and deep txns at the etcd front end (issue 17, items 6 and 7): raw
 * gRPC frames to one in-process `etcd-raft` node, each refusal checked to be what etcd 3.4.23
 * answers (observed with raw frames against Debian's etcd, see docs/etcd.md) and to leave the
 * store untouched; plus the byte checker on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../src/runtime/cluster.js';
import { RuntimeNode } from '../../src/runtime/node-process.js';
import { getSystem } from '../../src/systems/index.js';
import type { SystemDefinition } from '../../src/core/system.js';
import { etcdServices } from '../../src/runtime/etcd/proto.js';
import { checkMessage, messageShapes, WireError } from '../../src/runtime/etcd/wire.js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_DIR } from '../../src/runtime/etcd/proto.js';
import { field, nestedTxn, rawCall } from './etcd-raw.js';

async function startNode(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-etcd-wire-'));
  const [peer, etcdPort] = await freePorts(2);
  const node = await RuntimeNode.start({
    system: etcdRaft(),
    id: 'n1',
    listen: { host: '127.0.0.1', port: peer as number },
    peers: new Map(),
    dataDir: join(dir, 'data'),
    etcd: { host: '127.0.0.1', port: etcdPort as number },
    params: {},
    logLine: () => {},
  });
  t.after(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return `127.0.0.1:${etcdPort}`;
}

/** The store's revision, read with an ordinary Range of a key nothing writes. */
async function revision(endpoint: string): Promise<number> {
  for (let i = 0; ; i++) {
    const a = await rawCall(endpoint, '/etcdserverpb.KV/Range', field(1, Buffer.from('none')));
    if (a.code === 0) {
      const { KV } = etcdServices();
      const decoded = KV.service.Range?.responseDeserialize(a.body.subarray(5)) as {
        header: { revision: number };
      };
      return decoded.header.revision;
    }
    // The node elects itself first.
    if (i > 100) assert.fail(`Range failed: ${a.code} ${a.message}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('nested txns: depths up to 128 apply and are answered; deeper are refused before the log', async (t) => {
  const ep = await startNode(t);
  for (const depth of [1, 49, 50, 64, 128]) {
    const before = await revision(ep);
    const a = await rawCall(ep, '/etcdserverpb.KV/Txn', nestedTxn(depth, `deep/${depth}`));
    assert.equal(a.code, 0, `depth ${depth}: ${a.message}`);
    assert.equal(await revision(ep), before + 1, `depth ${depth} made one revision`);
  }
  for (const depth of [129, 131, 1000, 20_000]) {
    const before = await revision(ep);
    const a = await rawCall(ep, '/etcdserverpb.KV/Txn', nestedTxn(depth, `deep/${depth}`));
    assert.deepEqual(
      [a.code, a.message],
      [3, 'etcdserver: too many operations in txn request'],
      `depth ${depth}`,
    );
    assert.equal(await revision(ep), before, `depth ${depth} changed nothing`);
  }
});

test('malformed request bytes are refused as etcd refuses them, and change nothing', async (t) => {
  const ep = await startNode(t);
  const before = await revision(ep);
  const cases: [string, string, Buffer, number, string][] = [
    // key (field 1, bytes) sent as a fixed32: protobufjs alone read it as the key "\x02"
    [
      'wrong wire type',
      '/etcdserverpb.KV/Put',
      Buffer.from('0d01020304', 'hex'),
      13,
      'grpc: error unmarshalling request: proto: wrong wireType = 5 for field Key',
    ],
    [
      'length past the end',
      '/etcdserverpb.KV/Put',
      Buffer.from('0a056b', 'hex'),
      13,
      'grpc: error unmarshalling request: unexpected EOF',
    ],
    [
      'a nested message cut short',
      '/etcdserverpb.KV/Txn',
      field(2, field(2, Buffer.from('0a056b', 'hex'))),
      13,
      'grpc: error unmarshalling request: unexpected EOF',
    ],
    [
      'wrong wire type in Range',
      '/etcdserverpb.KV/Range',
      Buffer.from('1001', 'hex'),
      13,
      'grpc: error unmarshalling request: proto: wrong wireType = 0 for field RangeEnd',
    ],
  ];
  for (const [what, path, body, code, message] of cases) {
    const a = await rawCall(ep, path, body);
    assert.deepEqual([a.code, a.message], [code, message], what);
  }
  // A frame cut short by the end of the stream: grpc-js alone answered UNIMPLEMENTED.
  const short = await rawCall(ep, '/etcdserverpb.KV/Put', field(1, Buffer.from('cut')), 0, 5);
  assert.deepEqual([short.code, short.message], [2, 'unexpected EOF'], 'a frame cut short');
  assert.equal(await revision(ep), before, 'no malformed request was applied');
  // Well-formed requests still work on the same port.
  const ok = await rawCall(ep, '/etcdserverpb.KV/Put', Buffer.concat([field(1, Buffer.from('k'))]));
  assert.equal(ok.code, 0, ok.message);
  assert.equal(await revision(ep), before + 1);
});

test('an authority sent as a URL is served; a compressed flag without an encoding is refused as etcd does', async (t) => {
  const ep = await startNode(t);
  const before = await revision(ep);
  // etcd's clientv3 sends its endpoint URL as :authority; nghttp2 alone reset the stream.
  const put = (key: string, headers: Record<string, string>, flag = 0) =>
    rawCall(ep, '/etcdserverpb.KV/Put', field(1, Buffer.from(key)), flag, 0, headers);
  const url = await put('url/authority', { ':authority': `http://${ep}` });
  assert.equal(url.code, 0, `authority http://host:port: ${url.message}`);
  assert.equal(await revision(ep), before + 1);
  const encodings: Record<string, string>[] = [{}, { 'grpc-encoding': 'identity' }];
  for (const headers of encodings) {
    const a = await put('compressed/flag', headers, 1);
    assert.deepEqual(
      [a.code, a.message],
      [13, 'grpc: compressed flag set with identity or empty encoding'],
      JSON.stringify(headers),
    );
  }
  assert.equal(await revision(ep), before + 1, 'no compressed message was applied');
  // The connection's window was given back: later calls on the port still work.
  const ok = await put('after', {});
  assert.equal(ok.code, 0, ok.message);
  assert.equal(await revision(ep), before + 2);
});

test('the byte checker: wire types, lengths, groups, nesting', () => {
  const def = protoLoader.loadSync(PROTO_DIR + 'rpc.proto', {
    keepCase: true,
    includeDirs: [PROTO_DIR],
  });
  const shapes = messageShapes(def);
  const check = (type: string, hex: string | Buffer): string => {
    try {
      checkMessage(
        shapes,
        `etcdserverpb.${type}`,
        typeof hex === 'string' ? Buffer.from(hex, 'hex') : hex,
      );
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof WireError, String(e));
      return e.code;
    }
  };
  assert.equal(check('PutRequest', '0a016b12017620'), 'truncated'); // lease varint missing
  assert.equal(check('PutRequest', '0a016b1201762001'), 'ok');
  assert.equal(check('PutRequest', '0d01020304'), 'wrongWireType');
  assert.equal(check('PutRequest', '0001'), 'illegalTag'); // field 0
  assert.equal(check('PutRequest', '0c'), 'illegalTag'); // an end group with no group
  // unknown fields of every wire type are skipped, an unknown group to its end
  assert.equal(
    check('PutRequest', '5001510000000000000000' + '5201aa5501020304535001540a016b'),
    'ok',
  );
  assert.equal(check('PutRequest', '535001'), 'truncated'); // an unknown group never closed
  assert.equal(check('PutRequest', '08ffffffffffffffffffff01'), 'wrongWireType');
  assert.equal(check('PutRequest', '20' + 'ff'.repeat(10) + '01'), 'overflow');
  // a repeated enum may come packed (filters of a watch create)
  assert.equal(check('WatchCreateRequest', '2a020001'), 'ok');
  assert.equal(check('WatchCreateRequest', '2800'), 'ok');
  assert.equal(check('TxnRequest', nestedTxn(128, 'k')), 'ok');
  assert.equal(check('TxnRequest', nestedTxn(200, 'k')), 'tooDeep');
});

function etcdRaft(): SystemDefinition {
  const s = getSystem('etcd-raft');
  assert.ok(s !== undefined, 'etcd-raft is registered');
  return s;
}
