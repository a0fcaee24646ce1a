/**
 * The jute codec (src/runtime/zookeeper/jute.ts, records.ts, requests.ts, responses.ts,
 * packets.ts): every record round-trips, ConnectRequest with and without the readOnly byte,
 * bytes fixed by hand against zookeeper.jute's layout, and each kind of hostile input refused
 * with its typed code before anything is allocated for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpCode } from '../../../src/runtime/zookeeper/constants.js';
import {
  JuteError,
  JuteReader,
  JuteWriter,
  type JuteErrorCode,
} from '../../../src/runtime/zookeeper/jute.js';
import { DEFAULT_MAX_PACKET, PacketReader } from '../../../src/runtime/zookeeper/packets.js';
import {
  readConnectRequest,
  readConnectResponse,
  readReplyHeader,
  readWatcherEvent,
  writeConnectRequest,
  writeConnectResponse,
  writeReplyHeader,
  writeWatcherEvent,
  type Stat,
} from '../../../src/runtime/zookeeper/records.js';
import {
  readRequest,
  writeRequest,
  type ZkRequest,
} from '../../../src/runtime/zookeeper/requests.js';
import {
  readResult,
  ResultMismatchError,
  writeResult,
  type ZkResult,
} from '../../../src/runtime/zookeeper/responses.js';

function refusedWith(code: JuteErrorCode): (e: unknown) => boolean {
  return (e) => e instanceof JuteError && e.code === code;
}

const stat: Stat = {
  czxid: 0x100000001n,
  mzxid: 0x100000002n,
  ctime: 1733565600000n,
  mtime: 1733565600001n,
  version: 3,
  cversion: 4,
  aversion: 0,
  ephemeralOwner: 0x1234n,
  dataLength: 5,
  numChildren: 2,
  pzxid: 0x100000003n,
};

const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

const requests: ZkRequest[] = [
  { type: OpCode.create, path: '/a', data: Buffer.from('x'), acl, flags: 3 },
  { type: OpCode.create2, path: '/a', data: Buffer.alloc(0), acl, flags: 0 },
  { type: OpCode.createContainer, path: '/c', data: Buffer.from('y'), acl, flags: 4 },
  { type: OpCode.createTTL, path: '/t', data: Buffer.from('z'), acl, flags: 5, ttl: 60000n },
  { type: OpCode.delete, path: '/a', version: -1 },
  { type: OpCode.check, path: '/a', version: 7 },
  { type: OpCode.setData, path: '/a', data: Buffer.from('héllo'), version: 2 },
  { type: OpCode.exists, path: '/a', watch: true },
  { type: OpCode.getData, path: '/a', watch: false },
  { type: OpCode.getChildren, path: '/', watch: true },
  { type: OpCode.getChildren2, path: '/', watch: false },
  { type: OpCode.getAllChildrenNumber, path: '/' },
  { type: OpCode.sync, path: '/a' },
  {
    type: OpCode.multi,
    ops: [
      { type: OpCode.create, path: '/m', data: Buffer.from('1'), acl, flags: 0 },
      { type: OpCode.setData, path: '/m', data: Buffer.from('2'), version: 0 },
      { type: OpCode.check, path: '/m', version: 1 },
      { type: OpCode.delete, path: '/m', version: 1 },
    ],
  },
  {
    type: OpCode.multiRead,
    ops: [
      { type: OpCode.getData, path: '/m', watch: false },
      { type: OpCode.getChildren, path: '/', watch: false },
    ],
  },
  {
    type: OpCode.setWatches,
    relativeZxid: 9n,
    dataWatches: ['/a'],
    existWatches: ['/b', '/c'],
    childWatches: [],
    persistentWatches: [],
    persistentRecursiveWatches: [],
  },
  {
    type: OpCode.setWatches2,
    relativeZxid: 9n,
    dataWatches: [],
    existWatches: [],
    childWatches: ['/'],
    persistentWatches: ['/p'],
    persistentRecursiveWatches: ['/r'],
  },
  { type: OpCode.addWatch, path: '/r', mode: 1 },
  { type: OpCode.getACL, path: '/a' },
  { type: OpCode.setACL, path: '/a', acl, version: 3 },
  { type: OpCode.closeSession },
];

test('every request round-trips through its encoder and decoder, consuming all its bytes', () => {
  for (const req of requests) {
    const w = new JuteWriter();
    writeRequest(w, req);
    const r = new JuteReader(w.bytes());
    assert.deepEqual(readRequest(req.type, r), req, `type ${req.type}`);
    assert.equal(r.remaining, 0, `type ${req.type}`);
  }
});

test('every result round-trips; a multi mixes results and errors', () => {
  const cases: [number, ZkResult][] = [
    [OpCode.create, { kind: 'path', path: '/a0000000001' }],
    [OpCode.create2, { kind: 'pathStat', path: '/a', stat }],
    [OpCode.createTTL, { kind: 'pathStat', path: '/t', stat }],
    [OpCode.exists, { kind: 'stat', stat }],
    [OpCode.setData, { kind: 'stat', stat }],
    [OpCode.getData, { kind: 'data', data: Buffer.from('hello'), stat }],
    [OpCode.getChildren, { kind: 'children', children: ['x', 'y'] }],
    [OpCode.getChildren2, { kind: 'children2', children: [], stat }],
    [OpCode.getAllChildrenNumber, { kind: 'count', totalNumber: 12 }],
    [OpCode.sync, { kind: 'path', path: '/' }],
    [OpCode.addWatch, { kind: 'errorResponse', err: 0 }],
    [OpCode.getACL, { kind: 'acl', acl, stat }],
    [OpCode.setACL, { kind: 'stat', stat }],
    [OpCode.delete, { kind: 'none' }],
    [
      OpCode.multi,
      {
        kind: 'multi',
        results: [
          { type: OpCode.create, err: 0, result: { kind: 'path', path: '/m' } },
          { type: OpCode.setData, err: 0, result: { kind: 'stat', stat } },
          { type: OpCode.check, err: 0, result: { kind: 'none' } },
          { type: OpCode.error, err: -103 },
        ],
      },
    ],
  ];
  for (const [type, res] of cases) {
    const w = new JuteWriter();
    writeResult(w, type, res);
    const r = new JuteReader(w.bytes());
    assert.deepEqual(readResult(type, r), res, `type ${type}`);
    assert.equal(r.remaining, 0);
  }
  assert.throws(
    () => writeResult(new JuteWriter(), OpCode.getData, { kind: 'stat', stat }),
    (e: unknown) => e instanceof ResultMismatchError && e.code === 'result-mismatch',
  );
});

test("bytes match zookeeper.jute's layout, fixed by hand", () => {
  // GetDataRequest{path "/a", watch true}: int 2, "/a", boolean 1.
  const w = new JuteWriter();
  writeRequest(w, { type: OpCode.getData, path: '/a', watch: true });
  assert.equal(w.bytes().toString('hex'), '000000022f6101');
  // ReplyHeader{xid -1, zxid -1, err 0} then WatcherEvent{NodeDeleted 2, SyncConnected 3, "/a"}.
  const n = new JuteWriter();
  writeReplyHeader(n, { xid: -1, zxid: -1n, err: 0 });
  writeWatcherEvent(n, { type: 2, state: 3, path: '/a' });
  assert.equal(
    n.frame().toString('hex'),
    '0000001e' +
      'ffffffff' +
      'ffffffffffffffff' +
      '00000000' +
      '00000002' +
      '00000003' +
      '000000022f61',
  );
  const r = new JuteReader(n.bytes());
  assert.deepEqual(readReplyHeader(r), { xid: -1, zxid: -1n, err: 0 });
  assert.deepEqual(readWatcherEvent(r), { type: 2, state: 3, path: '/a' });
});

test('ConnectRequest and ConnectResponse with and without the readOnly byte', () => {
  const base = {
    protocolVersion: 0,
    lastZxidSeen: 0x200000005n,
    timeOut: 30000,
    sessionId: 0n,
    passwd: Buffer.alloc(16),
  };
  for (const readOnly of [undefined, false, true]) {
    const w = new JuteWriter();
    writeConnectRequest(w, { ...base, readOnly });
    // 4 + 8 + 4 + 8 + (4 + 16), and one more byte when the client sends readOnly.
    assert.equal(w.bytes().length, 44 + (readOnly === undefined ? 0 : 1));
    assert.deepEqual(readConnectRequest(new JuteReader(w.bytes())), { ...base, readOnly });
    const rsp = {
      protocolVersion: 0,
      timeOut: 4000,
      sessionId: 0x1n,
      passwd: Buffer.alloc(16, 7),
      readOnly,
    };
    const v = new JuteWriter();
    writeConnectResponse(v, rsp);
    assert.equal(v.bytes().length, 36 + (readOnly === undefined ? 0 : 1));
    assert.deepEqual(readConnectResponse(new JuteReader(v.bytes())), rsp);
  }
});

test('hostile records are refused with typed codes', () => {
  const int = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  // A path whose length is negative (not jute's null -1).
  assert.throws(
    () => readRequest(OpCode.getData, new JuteReader(int(-5))),
    refusedWith('negative-length'),
  );
  // A path claiming 2^31-1 bytes in a 6-byte packet.
  assert.throws(
    () =>
      readRequest(
        OpCode.getData,
        new JuteReader(Buffer.concat([int(0x7fffffff), Buffer.from('/a')])),
      ),
    refusedWith('length-past-frame'),
  );
  // A record cut short: the watch byte is missing.
  assert.throws(
    () => readRequest(OpCode.getData, new JuteReader(Buffer.concat([int(2), Buffer.from('/a')]))),
    refusedWith('truncated'),
  );
  // A SetWatches whose first vector claims 100 million paths in a few bytes.
  const sw = Buffer.concat([Buffer.alloc(8), int(100_000_000), int(0)]);
  assert.throws(
    () => readRequest(OpCode.setWatches, new JuteReader(sw)),
    refusedWith('vector-too-long'),
  );
  assert.throws(
    () => readRequest(OpCode.setWatches, new JuteReader(Buffer.concat([Buffer.alloc(8), int(-2)]))),
    refusedWith('negative-length'),
  );
  // A path that is not UTF-8.
  assert.throws(
    () =>
      readRequest(OpCode.sync, new JuteReader(Buffer.concat([int(2), Buffer.from([0xc3, 0x28])]))),
    refusedWith('bad-utf8'),
  );
  // A multi holding an op a multi may not carry (getData in a write multi).
  const m = new JuteWriter();
  m.int(OpCode.getData).bool(false).int(-1).ustring('/a').bool(false);
  m.int(-1).bool(true).int(-1);
  assert.throws(
    () => readRequest(OpCode.multi, new JuteReader(m.bytes())),
    refusedWith('unknown-type'),
  );
  // A multi that never says it is done.
  const open = new JuteWriter();
  open.int(OpCode.check).bool(false).int(-1).ustring('/a').int(1);
  assert.throws(
    () => readRequest(OpCode.multi, new JuteReader(open.bytes())),
    refusedWith('truncated'),
  );
  // jute's null (-1) reads as empty.
  assert.deepEqual(readRequest(OpCode.sync, new JuteReader(int(-1))), {
    type: OpCode.sync,
    path: '',
  });
});

test('the packet reader: split chunks, four-letter words only first, bad lengths refused', () => {
  const frame = (body: Buffer): Buffer =>
    Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
  const stream = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from('two!'))]);
  const reader = new PacketReader();
  const got = [...stream].flatMap((byte) => reader.push(Buffer.from([byte])));
  assert.deepEqual(
    got.map((p) => (p.kind === 'packet' ? p.body.toString() : p.word)),
    ['one', 'two!'],
  );
  const fl = new PacketReader();
  assert.deepEqual(fl.push(Buffer.from('ruok')), [{ kind: 'fourLetter', word: 'ruok' }]);
  // After the first packet, "stat" is just a length (0x73746174), far over the maximum.
  const later = new PacketReader();
  assert.equal(later.push(frame(Buffer.from('x'))).length, 1);
  assert.throws(() => later.push(Buffer.from('stat')), refusedWith('frame-too-large'));
  assert.throws(
    () => new PacketReader().push(Buffer.from([0xff, 0xff, 0xff, 0xfe])),
    refusedWith('negative-frame'),
  );
  const big = Buffer.alloc(4);
  big.writeInt32BE(DEFAULT_MAX_PACKET + 1);
  assert.throws(() => new PacketReader().push(big), refusedWith('frame-too-large'));
  big.writeInt32BE(DEFAULT_MAX_PACKET);
  assert.deepEqual(new PacketReader().push(big), []);
});

test('fuzz: random and mutated bodies either decode or fail with a JuteError, never anything else', () => {
  // A fixed LCG: the same bytes every run.
  let x = 0x2545f491;
  const next = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x >>> 16;
  };
  const served = [...new Set(requests.map((r) => r.type))];
  const encoded = requests.map((req) => {
    const w = new JuteWriter();
    writeRequest(w, req);
    return { type: req.type, bytes: w.bytes() };
  });
  let refused = 0;
  for (let i = 0; i < 20_000; i++) {
    let type: (typeof served)[number];
    let body: Buffer;
    if (i % 2 === 0) {
      type = served[next() % served.length]!;
      body = Buffer.from(Array.from({ length: next() % 48 }, () => next() & 0xff));
    } else {
      // A valid body with a few bytes flipped and maybe cut short.
      const e = encoded[next() % encoded.length]!;
      type = e.type;
      body = Buffer.from(e.bytes.subarray(0, e.bytes.length - (next() % 3)));
      for (let k = next() % 4; k > 0 && body.length > 0; k--)
        body[next() % body.length] = next() & 0xff;
    }
    try {
      readRequest(type, new JuteReader(body));
    } catch (e) {
      assert.ok(e instanceof JuteError, `type ${type}, body ${body.toString('hex')}: ${String(e)}`);
      refused++;
    }
  }
  assert.ok(refused > 1000, `${refused} refused`);
});
