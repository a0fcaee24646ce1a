/**
 * kafkajs 2.2.4's own protocol code, driven from tests: its request encoders produce the frames
 * our decoder must read, and its response decoders read the frames our encoder writes. A
 * response decoder that stops short of the frame's end would hide a field we wrote too many, so
 * `decodeWithKafkajs` also checks that kafkajs's top-level decoder consumed every byte.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  decodeRequest,
  encodeResponse,
  type ApiMessages,
  type DecodedRequest,
} from '../../../src/runtime/kafka/dispatch.js';
import type { ApiName } from '../../../src/runtime/kafka/api-versions-table.js';
import { readFrame, type RequestHeader } from '../../../src/runtime/kafka/frame.js';

const require = createRequire(import.meta.url);

/** A kafkajs module under node_modules/kafkajs/src/protocol/ (untyped CommonJS). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function kjs<T = any>(path: string): T {
  return require(`kafkajs/src/protocol/${path}`) as T;
}

interface KRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<unknown>;
}

/** The bytes of `requests/<dir>/v<version>/request.js` called with `args`, framed by kafkajs. */
export async function kafkajsFrame(dir: string, version: number, args: unknown): Promise<Buffer> {
  const make = kjs<(a: unknown) => KRequest>(`requests/${dir}/v${version}/request`);
  const request = make(args);
  assert.equal(request.apiVersion, version);
  const frame = await kjs<(x: unknown) => Promise<{ buffer: Buffer }>>('request')({
    correlationId: 4242,
    clientId: 'truthkit-test',
    request,
  });
  return frame.buffer;
}

export type Decoded = Extract<DecodedRequest, { kind: 'request' }>;

/** kafkajs's request, decoded by us: asserts the header and that it is a call of `api`. */
export async function decodeKafkajs<K extends ApiName>(
  api: K,
  dir: string,
  version: number,
  args: unknown,
): Promise<{ header: RequestHeader; request: ApiMessages[K]['request'] }> {
  const buf = await kafkajsFrame(dir, version, args);
  const span = readFrame(buf);
  assert.ok(span !== null, 'kafkajs frame is whole');
  assert.equal(span.next, buf.length);
  const d = decodeRequest(span.body);
  assert.equal(d.kind, 'request');
  if (d.kind !== 'request') throw new Error('unreachable');
  assert.equal(d.api, api);
  assert.equal(d.header.apiVersion, version);
  assert.equal(d.header.correlationId, 4242);
  assert.equal(d.header.clientId, 'truthkit-test');
  return { header: d.header, request: d.request as ApiMessages[K]['request'] };
}

// Where kafkajs's decoders stop, per buffer they were handed.
const Decoder = kjs('decoder');
const reachedEnd = new WeakMap<object, number>();
for (const name of Object.getOwnPropertyNames(Decoder.prototype)) {
  if (!name.startsWith('read') && name !== 'forward') continue;
  const original = Decoder.prototype[name];
  Decoder.prototype[name] = function (this: { buffer: Buffer; offset: number }, ...a: unknown[]) {
    const out = original.apply(this, a);
    reachedEnd.set(this.buffer, Math.max(reachedEnd.get(this.buffer) ?? 0, this.offset));
    return out;
  };
}

/**
 * Our response for `header`, decoded by kafkajs's `requests/<dir>/v<version>/response.js`: the
 * size prefix and correlation id are checked here, the rest is kafkajs's to read, to the end.
 */
export async function decodeWithKafkajs<K extends ApiName>(
  api: K,
  dir: string,
  header: RequestHeader,
  response: ApiMessages[K]['response'],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<any> {
  const frame = Buffer.from(encodeResponse(api, header, response));
  assert.equal(frame.readInt32BE(0), frame.length - 4);
  assert.equal(frame.readInt32BE(4), header.correlationId);
  const payload = frame.subarray(8);
  const { decode } = kjs(`requests/${dir}/v${header.apiVersion}/response`);
  const out = await decode(payload);
  assert.equal(
    reachedEnd.get(payload) ?? 0,
    payload.length,
    `kafkajs read all of ${api} v${header.apiVersion}`,
  );
  return out;
}

/** The versions of `api` in our table, min to max. */
export function versions(min: number, max: number): number[] {
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}
