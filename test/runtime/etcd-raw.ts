/**
 * Raw gRPC over HTTP/2 for requests no client library would send: hand-encoded protobuf, frames
 * whose length prefix lies, nesting past protobufjs's limits.
 */
import http2 from 'node:http2';

export function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

export function field(num: number, body: Buffer): Buffer {
  return Buffer.concat([varint(num * 8 + 2), varint(body.length), body]);
}

/** A TxnRequest `depth` levels deep whose innermost level puts `key`, encoded by hand. */
export function nestedTxn(depth: number, key: string): Buffer {
  const put = field(1, Buffer.from(key)); // PutRequest.key
  let txn = field(2, field(2, put)); // TxnRequest.success = [RequestOp{request_put}]
  for (let i = 1; i < depth; i++) txn = field(2, field(4, txn)); // RequestOp{request_txn}
  return txn;
}

export interface Answer {
  code: number;
  message: string;
  body: Buffer;
}

/**
 * One unary call as raw HTTP/2: `flag` is the frame's compressed flag; the length prefix says
 * `missing` bytes more than the frame carries; `headers` are added to the request's (or replace
 * them: `:authority`).
 */
export function rawCall(
  endpoint: string,
  path: string,
  body: Buffer,
  flag = 0,
  missing = 0,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`http://${endpoint}`);
    s.on('error', reject);
    const frame = Buffer.alloc(5 + body.length);
    frame[0] = flag;
    frame.writeUInt32BE(body.length + missing, 1);
    body.copy(frame, 5);
    const req = s.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    const chunks: Buffer[] = [];
    let code = -1;
    let message = '';
    const take = (h: http2.IncomingHttpHeaders): void => {
      if (h['grpc-status'] !== undefined) code = Number(h['grpc-status']);
      if (typeof h['grpc-message'] === 'string') message = decodeURIComponent(h['grpc-message']);
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', reject);
    req.on('close', () => {
      s.close();
      resolve({ code, message, body: Buffer.concat(chunks) });
    });
    req.end(frame);
  });
}
