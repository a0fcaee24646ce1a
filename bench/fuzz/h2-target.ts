/**
 * The etcd gRPC port's HTTP/2 filter (`src/runtime/h2/request-filter.ts`) as a fuzz target: a
 * client's byte stream (preface, SETTINGS, requests whose header blocks use the dynamic table,
 * Huffman strings, URL authorities, CONTINUATION, padding, an HPACK bomb, DATA with gRPC message
 * prefixes whose compressed flag is 0 or 1), whole or mutated, in 1–4 chunks.
 *
 * A finding is an exception other than H2FilterError (over a socket: a refusal is logged and the
 * connection closed, anything else would be a filter bug), or output the server would read
 * differently from the filter: whole frames after the preface, every header block decoding with
 * a second decoder under the same limits (nghttp2's state, were it to follow the filter's
 * output), and no `:authority` left as a URL.
 */
import { Buffer } from 'node:buffer';
import type { Random } from '../../src/core/random.js';
import { HpackDecoder, HpackError } from '../../src/runtime/h2/hpack.js';
import {
  authorityFromUrl,
  DEFAULT_H2_FILTER_LIMITS,
  H2FilterError,
  H2RequestFilter,
  PREFACE,
  type H2FilterLimits,
} from '../../src/runtime/h2/request-filter.js';
import { havoc, hex, inputRandom } from './mutate.js';
import type { Finding, Target } from './target.js';

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

const h = (s: string): Buffer => Buffer.from(s, 'hex');
const lit = (nameIndex: number, value: string, indexed: boolean): Buffer =>
  Buffer.concat([
    Buffer.from([(indexed ? 0x40 : 0x00) | nameIndex, value.length]),
    Buffer.from(value),
  ]);

/** Header blocks a client may send; several add to or refer to the dynamic table. */
const BLOCKS: readonly Buffer[] = [
  Buffer.concat([h('8386'), lit(1, 'http://127.0.0.1:2379', true), h('84')]),
  Buffer.concat([h('8386'), lit(1, '127.0.0.1:2379', true), h('84')]),
  h('8386be84'),
  h('8386bebf'),
  h('828684418cf1e3c2e5f23a6ba0ab90f4ff'), // RFC 7541 C.4.1
  Buffer.concat([
    h('8386'),
    lit(1, 'https://[::1]:2379/', false),
    h('400d'),
    Buffer.from('grpc-encoding'),
    h('0467'),
    Buffer.from('zip'),
  ]),
  Buffer.concat([
    h('8386be'),
    h('000d'),
    Buffer.from('grpc-encoding'),
    h('08'),
    Buffer.from('identity'),
  ]),
  h('3fe11f8386be'), // a table size update, then fields
  h('208386be'), // the table emptied first
  // an HPACK bomb: one 4,000-byte entry, then referred to again and again
  Buffer.concat([h('4001787fa11e'), Buffer.alloc(4000, 0x61), Buffer.alloc(24, 0xbe)]),
];

function request(r: Random, stream: number): Buffer {
  const block = r.pick(BLOCKS);
  const out: Buffer[] = [];
  const cut = r.chance(0.3) ? r.int(block.length + 1) : block.length;
  const padded = r.chance(0.2);
  const first = padded
    ? Buffer.concat([h('02'), block.subarray(0, cut), h('0000')])
    : block.subarray(0, cut);
  out.push(frame(1, (cut === block.length ? 0x4 : 0) | (padded ? 0x8 : 0), stream, first));
  if (cut < block.length) out.push(frame(9, 0x4, stream, block.subarray(cut)));
  const body = Buffer.alloc(r.int(40), 0x0a);
  const msg = Buffer.concat([Buffer.from([r.chance(0.3) ? 1 : 0, 0, 0, 0, body.length]), body]);
  const split = r.int(msg.length + 1);
  if (split > 0 && split < msg.length) out.push(frame(0, 0, stream, msg.subarray(0, split)));
  out.push(frame(0, 0x1, stream, split > 0 && split < msg.length ? msg.subarray(split) : msg));
  return Buffer.concat(out);
}

function clientStream(r: Random): Buffer {
  const parts = [PREFACE, frame(4, 0, 0, Buffer.alloc(0))];
  for (let k = 1 + r.int(4), s = 1; k > 0; k--, s += 2) parts.push(request(r, s));
  const valid = Buffer.concat(parts);
  if (r.chance(0.4)) return valid;
  // Mutations after the preface: a wrong preface is refused before anything else is read.
  const rest = havoc(r, valid.subarray(PREFACE.length), BLOCKS);
  return Buffer.concat([PREFACE, rest]);
}

/** The server's reading of the filter's output: a problem, or undefined. */
function serverProblem(out: Buffer): string | undefined {
  if (out.length === 0) return undefined;
  if (!out.subarray(0, PREFACE.length).equals(PREFACE))
    return 'output does not start with the preface';
  // The server's limits are nghttp2's, whatever the filter under test was given.
  const d = new HpackDecoder({
    maxTableSize: DEFAULT_H2_FILTER_LIMITS.maxTableSize,
    maxHeaderListSize: DEFAULT_H2_FILTER_LIMITS.maxHeaderListSize,
  });
  let block: Buffer[] = [];
  for (let i = PREFACE.length; i < out.length;) {
    if (out.length - i < 9) return 'a partial frame header reached the server';
    const len = out.readUIntBE(i, 3);
    if (out.length - i < 9 + len) return 'a partial frame reached the server';
    const type = out[i + 3] as number;
    const flags = out[i + 4] as number;
    if (type === 1 || type === 9) {
      block.push(out.subarray(i + 9, i + 9 + len));
      if (flags & 0x4) {
        try {
          for (const [name, value] of d.decode(Buffer.concat(block))) {
            if (name === ':authority' && authorityFromUrl(value) !== undefined) {
              return `an authority reached the server as a URL: ${value}`;
            }
          }
        } catch (e) {
          if (e instanceof HpackError)
            return `the server could not decode a header block: ${e.message}`;
          throw e;
        }
        block = [];
      }
    }
    i += 9 + len;
  }
  return undefined;
}

export function h2Target(limits: H2FilterLimits = DEFAULT_H2_FILTER_LIMITS): Target {
  return {
    name: 'h2',
    run(seed, index) {
      const r = inputRandom(seed, 'h2', index);
      const input = clientStream(r);
      const cuts = [0, input.length];
      for (let k = r.int(4); k > 0; k--) cuts.push(r.int(input.length + 1));
      cuts.sort((a, b) => a - b);
      const found = (problem: string): Finding => ({
        target: 'h2',
        seed,
        index,
        input: hex(input),
        problem,
      });
      const server: Buffer[] = [];
      const filter = new H2RequestFilter(
        { toServer: (b) => server.push(Buffer.from(b)), toClient: () => {}, note: () => {} },
        limits,
      );
      try {
        for (let i = 1; i < cuts.length; i++)
          filter.fromClient(input.subarray(cuts[i - 1], cuts[i]));
      } catch (e) {
        if (e instanceof H2FilterError) return undefined; // refused: the connection is closed
        return found(
          `the filter threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
        );
      }
      const problem = serverProblem(Buffer.concat(server));
      return problem === undefined ? undefined : found(problem);
    },
  };
}
