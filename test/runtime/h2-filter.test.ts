/**
 * The etcd port's HTTP/2 filter on its own (issue 17, items 7 and 10): HPACK against RFC 7541's
 * Appendix C, the filter's output read back by a second decoder standing in for nghttp2 (so a
 * rewritten connection's header table stays consistent), every split of the input, and
 * malformed input closing the connection instead of throwing out of the socket handler.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import {
  HpackDecoder,
  HpackError,
  encodeLiterals,
  type Header,
} from '../../src/runtime/h2/hpack.js';
import { huffmanDecode, HuffmanError } from '../../src/runtime/h2/huffman.js';
import {
  COMPRESSED_WITHOUT_ENCODING,
  DEFAULT_H2_FILTER_LIMITS,
  H2FilterError,
  H2RequestFilter,
  PREFACE,
  authorityFromUrl,
} from '../../src/runtime/h2/request-filter.js';
import { filterHttp2Connection } from '../../src/runtime/h2/filtered-connection.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const decoder = (maxTableSize = 4096): HpackDecoder =>
  new HpackDecoder({ maxTableSize, maxHeaderListSize: 65_535 });

test('HPACK: RFC 7541 C.3 and C.4, requests without and with Huffman coding', () => {
  const expected: Header[][] = [
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ],
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ],
    [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ],
  ];
  const plain = [
    '828684410f7777772e6578616d706c652e636f6d',
    '828684be58086e6f2d6361636865',
    '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565',
  ];
  const huffman = [
    '828684418cf1e3c2e5f23a6ba0ab90f4ff',
    '828684be5886a8eb10649cbf',
    '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf',
  ];
  for (const blocks of [plain, huffman]) {
    const d = decoder();
    blocks.forEach((b, i) => assert.deepEqual(d.decode(hex(b)), expected[i]));
    assert.deepEqual(d.dynamicTable(), [
      ['custom-key', 'custom-value'],
      ['cache-control', 'no-cache'],
      [':authority', 'www.example.com'],
    ]);
  }
});

test('HPACK: RFC 7541 C.6, responses with Huffman coding and eviction from a 256-byte table', () => {
  const d = decoder(256);
  const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
  const loc = 'https://www.example.com';
  assert.deepEqual(
    d.decode(
      hex(
        '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3',
      ),
    ),
    [
      [':status', '302'],
      ['cache-control', 'private'],
      ['date', date1],
      ['location', loc],
    ],
  );
  assert.deepEqual(d.decode(hex('4883640effc1c0bf')), [
    [':status', '307'],
    ['cache-control', 'private'],
    ['date', date1],
    ['location', loc],
  ]);
  const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
  assert.deepEqual(
    d.decode(
      hex(
        '88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
      ),
    ),
    [
      [':status', '200'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
      ['location', loc],
      ['content-encoding', 'gzip'],
      ['set-cookie', cookie],
    ],
  );
  assert.deepEqual(d.dynamicTable(), [
    ['set-cookie', cookie],
    ['content-encoding', 'gzip'],
    ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
  ]);
});

test('HPACK: malformed blocks are typed errors, and a block of literals leaves the table alone', () => {
  const code = (block: Buffer, d = decoder()): string => {
    try {
      d.decode(block);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof HpackError, String(e));
      return e.code;
    }
  };
  assert.equal(code(hex('be')), 'badIndex'); // 62: the dynamic table is empty
  assert.equal(code(hex('80')), 'badIndex');
  assert.equal(code(hex('3fe21f')), 'tableSizeTooLarge'); // 4096 + 1
  assert.equal(code(hex('3fe11f')), 'ok'); // 4096
  assert.equal(code(hex('823fe11f')), 'tableSizeMisplaced');
  assert.equal(code(hex('410f7777')), 'truncated');
  assert.equal(code(hex('ff')), 'truncated');
  assert.equal(code(hex('ffffffffffff01')), 'integerOverflow');
  assert.equal(code(hex('4181' + '00')), 'huffman'); // '0' then zero padding
  // An HPACK bomb: one 4 KB entry referred to again and again.
  const big = Buffer.concat([hex('400178'), hex('7fa11e'), Buffer.alloc(4000, 97)]);
  const bomb = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 65_535 });
  assert.equal(code(big, bomb), 'ok');
  assert.equal(code(Buffer.alloc(20, 0xbe), bomb), 'headerListTooLarge');
  const lit = decoder();
  const headers: Header[] = [
    [':authority', '127.0.0.1:2379'],
    ['x-bin', '\u00ff\u0000'],
  ];
  assert.deepEqual(lit.decode(encodeLiterals(headers)), headers);
  assert.deepEqual(lit.dynamicTable(), []);
});

test('Huffman: EOS and padding that is not a prefix of EOS are refused', () => {
  const err = (b: Buffer): string => {
    try {
      huffmanDecode(b, 0, b.length);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof HuffmanError);
      return e.code;
    }
  };
  assert.equal(err(hex('ffffffff')), 'eos'); // 30 ones are EOS
  assert.equal(err(hex('00')), 'badPadding'); // '0' (00000) then 000
  assert.equal(err(hex('07')), 'ok'); // '0' then 111
  assert.equal(err(hex('00ff')), 'ok'); // '0', 'a' (00011), then 111
  assert.equal(err(hex('07ff')), 'badPadding'); // '0', then 11 bits of padding
  assert.equal(huffmanDecode(hex('f1e3c2e5f23a6ba0ab90f4ff'), 0, 12).toString(), 'www.example.com');
});

test('authorityFromUrl takes host:port out of a URL and nothing else', () => {
  assert.equal(authorityFromUrl('http://127.0.0.1:2379'), '127.0.0.1:2379');
  assert.equal(authorityFromUrl('https://[::1]:2379/'), '[::1]:2379');
  assert.equal(authorityFromUrl('127.0.0.1:2379'), undefined);
  assert.equal(authorityFromUrl('http://a:1/path'), undefined);
  assert.equal(authorityFromUrl('http://user@a:1'), undefined);
});

// Frames as a client writes them.
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}
const SETTINGS = frame(4, 0, 0, Buffer.alloc(0));
const grpcMessage = (flag: number, body: Buffer): Buffer => {
  const p = Buffer.alloc(5);
  p[0] = flag;
  p.writeUInt32BE(body.length, 1);
  return Buffer.concat([p, body]);
};

interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}
function frames(bytes: Buffer): Frame[] {
  const out: Frame[] = [];
  for (let i = 0; i < bytes.length;) {
    const len = bytes.readUIntBE(i, 3);
    out.push({
      type: bytes[i + 3] as number,
      flags: bytes[i + 4] as number,
      stream: bytes.readUInt32BE(i + 5),
      payload: bytes.subarray(i + 9, i + 9 + len),
    });
    i += 9 + len;
  }
  assert.equal(
    out.reduce((n, f) => n + 9 + f.payload.length, 0),
    bytes.length,
    'whole frames',
  );
  return out;
}

/** Runs `input` through a filter in the given pieces; what reached each side. */
function run(pieces: Buffer[], check = true): { server: Buffer; client: Buffer; notes: string[] } {
  const server: Buffer[] = [];
  const client: Buffer[] = [];
  const notes: string[] = [];
  const f = new H2RequestFilter(
    {
      toServer: (b) => server.push(Buffer.from(b)),
      toClient: (b) => client.push(b),
      note: (what, s) => notes.push(`${what} ${s}`),
    },
    DEFAULT_H2_FILTER_LIMITS,
    check,
  );
  for (const p of pieces) f.fromClient(p);
  return { server: Buffer.concat(server), client: Buffer.concat(client), notes };
}

/** The header blocks the server side decodes from the filter's output, with one decoder. */
function serverView(server: Buffer): { blocks: Header[][]; frames: Frame[] } {
  assert.ok(server.subarray(0, PREFACE.length).equals(PREFACE));
  const fs = frames(server.subarray(PREFACE.length));
  const d = decoder();
  const blocks: Header[][] = [];
  let pending: Buffer[] = [];
  for (const f of fs) {
    if (f.type !== 1 && f.type !== 9) continue;
    pending.push(f.payload);
    if (f.flags & 4) {
      blocks.push(d.decode(Buffer.concat(pending)));
      pending = [];
    }
  }
  return { blocks, frames: fs };
}

const URL_AUTHORITY = 'http://127.0.0.1:2379';
// Request 1 puts the URL authority into the dynamic table (literal with incremental indexing,
// name index 1), Huffman-coding its path; requests 2 and 3 refer to it by index.
const block1 = Buffer.concat([
  hex('8386'), // :method POST, :scheme http
  hex('41'),
  Buffer.from([URL_AUTHORITY.length]),
  Buffer.from(URL_AUTHORITY),
  hex('4488'), // :path, Huffman, indexed
  hex('63c1bfb9d94bcfff'),
  hex('5f10'), // content-type (31)
  Buffer.from('application/grpc'),
]);
// The table after request 1: content-type (62), :path (63), :authority (64).
const block2 = hex('8386c0bfbe');
const block3 = Buffer.concat([hex('8386c0bfbe'), hex('400178'), hex('0179')]); // + x: y indexed
// Request 4's authority needs no rewrite, but it refers to x: y, which only the filter's table
// has: a verbatim block would make the server read another entry.
const block4 = Buffer.concat([hex('8386be'), hex('010e'), Buffer.from('127.0.0.1:2379')]);

function connection(): Buffer {
  const headers2 = frame(
    1,
    0x4 | 0x8 | 0x20,
    3,
    Buffer.concat([hex('03'), hex('8000000010'), block2, Buffer.alloc(3)]),
  );
  return Buffer.concat([
    PREFACE,
    SETTINGS,
    frame(1, 0x4, 1, block1),
    frame(0, 0x1, 1, grpcMessage(0, Buffer.from('one'))),
    // request 2: HEADERS padded and with priority fields
    headers2,
    frame(
      0,
      0x1 | 0x8,
      3,
      Buffer.concat([hex('02'), grpcMessage(0, Buffer.from('two')), Buffer.alloc(2)]),
    ),
    // request 3: a block split over HEADERS and two CONTINUATIONs, its message over two frames
    frame(1, 0, 5, block3.subarray(0, 2)),
    frame(9, 0, 5, block3.subarray(2, 5)),
    frame(9, 0x4, 5, block3.subarray(5)),
    frame(0, 0, 5, grpcMessage(0, Buffer.from('three')).subarray(0, 3)),
    frame(0, 0x1, 5, grpcMessage(0, Buffer.from('three')).subarray(3)),
    frame(1, 0x5, 7, block4),
  ]);
}

test('filter: a URL authority is rewritten in every request, the server decoding consistent blocks', () => {
  const { server, notes } = run([connection()]);
  const { blocks, frames: fs } = serverView(server);
  const path = blocks[0]?.find(([n]) => n === ':path')?.[1];
  assert.equal(typeof path, 'string');
  for (const b of blocks) {
    assert.equal(b.find(([n]) => n === ':authority')?.[1], '127.0.0.1:2379');
  }
  assert.deepEqual(blocks[2]?.at(-1), ['x', 'y']);
  assert.deepEqual(blocks[3], [
    [':method', 'POST'],
    [':scheme', 'http'],
    ['x', 'y'],
    [':authority', '127.0.0.1:2379'],
  ]);
  assert.equal(blocks.length, 4);
  assert.deepEqual(notes, ['authorityRewritten 1', 'authorityRewritten 3', 'authorityRewritten 5']);
  // DATA frames arrive as sent.
  const data = fs.filter((f) => f.type === 0);
  assert.equal(data.length, 4);
  assert.equal(
    Buffer.concat(data.slice(2).map((f) => f.payload))
      .subarray(5)
      .toString(),
    'three',
  );
});

test('filter: every split of the input gives the same output', () => {
  const input = connection();
  const whole = run([input]).server;
  for (let i = 1; i < input.length; i++) {
    assert.ok(run([input.subarray(0, i), input.subarray(i)]).server.equals(whole), `split at ${i}`);
  }
  const bytes = [...input].map((b) => Buffer.from([b]));
  assert.ok(run(bytes).server.equals(whole), 'byte by byte');
});

test('filter: a connection whose authority is fine passes through byte for byte', () => {
  const fine = Buffer.concat([hex('8386'), hex('410e'), Buffer.from('127.0.0.1:2379'), hex('84')]);
  const input = Buffer.concat([
    PREFACE,
    SETTINGS,
    frame(1, 0x4, 1, fine),
    frame(0, 0x1, 1, grpcMessage(0, Buffer.from('x'))),
    frame(1, 0x5, 3, hex('8386be84')),
  ]);
  for (const check of [true, false]) {
    const { server, notes } = run([input], check);
    assert.ok(server.equals(input), `check ${check}`);
    assert.deepEqual(notes, []);
  }
});

test('filter: a compressed flag without an encoding is answered INTERNAL and never reaches the server', () => {
  const request = (stream: number, extra: Buffer): Buffer =>
    frame(
      1,
      0x4,
      stream,
      Buffer.concat([hex('8386'), hex('410e'), Buffer.from('127.0.0.1:2379'), hex('84'), extra]),
    );
  const gzip = Buffer.concat([
    hex('000d'),
    Buffer.from('grpc-encoding'),
    hex('04'),
    Buffer.from('gzip'),
  ]);
  const identity = Buffer.concat([
    hex('000d'),
    Buffer.from('grpc-encoding'),
    hex('08'),
    Buffer.from('identity'),
  ]);
  const two = Buffer.concat([
    grpcMessage(0, Buffer.from('ok')),
    grpcMessage(1, Buffer.from('zipped')),
  ]);
  const input = Buffer.concat([
    PREFACE,
    SETTINGS,
    request(1, Buffer.alloc(0)),
    frame(0, 0x1, 1, grpcMessage(1, Buffer.from('zipped'))),
    request(3, gzip),
    frame(0, 0x1, 3, grpcMessage(1, Buffer.from('zipped'))),
    request(5, identity),
    // the bad prefix comes in the second message, across two frames
    frame(0, 0, 5, two.subarray(0, 9)),
    frame(0, 0x1, 5, two.subarray(9)),
  ]);
  const whole = run([input]);
  for (let i = 1; i < input.length; i += 7) {
    const split = run([input.subarray(0, i), input.subarray(i)]);
    assert.ok(
      split.server.equals(whole.server) && split.client.equals(whole.client),
      `split at ${i}`,
    );
  }
  const { server, client, notes } = whole;
  assert.deepEqual(notes, ['compressedWithoutEncoding 1', 'compressedWithoutEncoding 5']);
  const toServer = serverView(server).frames;
  const data = (s: number): Buffer[] =>
    toServer.filter((f) => f.type === 0 && f.stream === s).map((f) => f.payload);
  assert.deepEqual(data(1), [], 'stream 1: its message never reaches the server');
  assert.equal(data(3).length, 1, 'stream 3 has an encoding: passed');
  assert.equal(data(5).length, 1, "stream 5's first frame passed, the one with the bad flag not");
  const resets = toServer
    .filter((f) => f.type === 3)
    .map((f) => [f.stream, f.payload.readUInt32BE(0)]);
  assert.deepEqual(
    resets,
    [
      [1, 8],
      [5, 8],
    ],
    'the server is told the client cancelled',
  );
  const answers = frames(client);
  const d = decoder();
  const headers = answers.filter((f) => f.type === 1);
  assert.deepEqual(
    headers.map((f) => [f.stream, f.flags]),
    [
      [1, 5],
      [5, 5],
    ],
  );
  for (const h of headers) {
    assert.deepEqual(d.decode(h.payload), [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '13'],
      ['grpc-message', encodeURIComponent(COMPRESSED_WITHOUT_ENCODING)],
    ]);
  }
  const windows = answers
    .filter((f) => f.type === 8)
    .map((f) => [f.stream, f.payload.readUInt32BE(0)]);
  assert.deepEqual(
    windows,
    [
      [0, 11],
      [0, two.length - 9],
    ],
    'dropped bytes given back to the window',
  );
});

test('filter: malformed input is a typed error, never a crash', () => {
  const hdr = frame(1, 0x4, 1, hex('8386'));
  const code = (input: Buffer, pieces = 1): string => {
    try {
      const step = Math.ceil(input.length / pieces);
      const parts: Buffer[] = [];
      for (let i = 0; i < input.length; i += step) parts.push(input.subarray(i, i + step));
      run(parts);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof H2FilterError, String(e));
      return e.code;
    }
  };
  const start = Buffer.concat([PREFACE, SETTINGS]);
  assert.equal(code(Buffer.from('GET / HTTP/1.1\r\n\r\n')), 'badPreface');
  assert.equal(code(Buffer.concat([start, hex('004001'), hex('000000000001')])), 'frameTooLarge');
  assert.equal(code(Buffer.concat([start, frame(1, 0x4 | 0x8, 1, hex('05'))])), 'badPadding');
  assert.equal(code(Buffer.concat([start, frame(0, 0x8, 1, hex('0101'))])), 'ok'); // stream unknown: nghttp2's to judge
  assert.equal(
    code(Buffer.concat([start, frame(1, 0, 1, hex('0000')), frame(1, 0x4, 1, hex('0000'))])),
    'badContinuation',
  );
  assert.equal(code(Buffer.concat([start, frame(1, 0x20 | 0x4, 1, hex('0000'))])), 'badPadding');
  assert.equal(code(Buffer.concat([start, frame(9, 0x4, 1, hex('82'))])), 'badContinuation');
  assert.equal(
    code(Buffer.concat([start, frame(1, 0, 1, hex('82')), SETTINGS])),
    'badContinuation',
  );
  assert.equal(
    code(Buffer.concat([start, frame(1, 0, 1, hex('82')), frame(9, 4, 3, hex('82'))])),
    'badContinuation',
  );
  assert.equal(code(Buffer.concat([start, frame(5, 0x4, 1, hex('0000000282'))])), 'pushPromise');
  assert.equal(code(Buffer.concat([start, frame(1, 0x4, 1, hex('be'))])), 'hpack');
  assert.equal(code(Buffer.concat([start, hdr, frame(1, 0x4, 3, hex('3fe21f'))])), 'hpack');
  const flood = [
    frame(1, 0, 1, hex('82')),
    ...Array.from({ length: 100 }, () => frame(9, 0, 1, Buffer.alloc(0))),
  ];
  assert.equal(code(Buffer.concat([start, ...flood]), 50), 'continuationFlood');
  const big = [
    frame(1, 0, 1, Buffer.alloc(16_384)),
    ...Array.from({ length: 4 }, () => frame(9, 0, 1, Buffer.alloc(16_384))),
  ];
  assert.equal(code(Buffer.concat([start, ...big])), 'headerBlockTooLarge');
});

test('a socket whose bytes the filter refuses is closed and logged; the process goes on', async (t) => {
  const h2 = http2.createServer();
  const logged: string[] = [];
  const server = net.createServer((socket) => {
    h2.emit(
      'connection',
      filterHttp2Connection(socket, { checkCompressedFlag: true }, (m, f) =>
        logged.push(`${m} ${String(f.code)}`),
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const { port } = server.address() as net.AddressInfo;
  for (const bytes of [
    Buffer.from('GET / HTTP/1.1\r\n\r\n'),
    Buffer.concat([PREFACE, SETTINGS, frame(1, 0x4, 1, hex('be'))]),
  ]) {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    c.end(bytes);
    c.resume();
    await new Promise((r) => c.on('close', r));
  }
  assert.deepEqual(logged, [
    'etcd gRPC connection closed: malformed HTTP/2 badPreface',
    'etcd gRPC connection closed: malformed HTTP/2 hpack',
  ]);
});

test("filter: its answer waits for the end of the server's frame, and is trailers after the server's headers", () => {
  const client: Buffer[] = [];
  const f = new H2RequestFilter({
    toServer: () => {},
    toClient: (b) => client.push(b),
    note: () => {},
  });
  const req = frame(
    1,
    0x4,
    1,
    Buffer.concat([hex('8386'), hex('410e'), Buffer.from('127.0.0.1:2379'), hex('84')]),
  );
  f.fromClient(Buffer.concat([PREFACE, SETTINGS, req]));
  // The server has answered stream 1's headers and is halfway through a DATA frame of 10 bytes.
  f.fromServer(Buffer.concat([frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0x4, 1, hex('88'))]));
  const data = frame(0, 0, 1, Buffer.alloc(10));
  f.fromServer(data.subarray(0, 14));
  f.fromClient(frame(0, 0x1, 1, grpcMessage(1, Buffer.from('z'))));
  assert.deepEqual(client, [], 'nothing between the bytes of a server frame');
  f.fromServer(data.subarray(14));
  const answer = frames(Buffer.concat(client));
  assert.deepEqual(
    answer.map((a) => a.type),
    [1, 8],
  );
  assert.deepEqual(decoder().decode(answer[0]?.payload ?? Buffer.alloc(0)), [
    ['grpc-status', '13'],
    ['grpc-message', encodeURIComponent(COMPRESSED_WITHOUT_ENCODING)],
  ]);
});
