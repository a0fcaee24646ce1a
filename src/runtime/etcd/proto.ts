/**
 * etcd's v3 protobuf definitions (proto/etcd/, copied from the etcd3 npm package), loaded at
 * run time with @grpc/proto-loader. Options match what etcd clients expect: field names as in
 * the .proto (keepCase), int64 as JS numbers on our side (revisions, lease ids and TTLs stay
 * safe integers; clients may send them as strings or Longs, which decode the same), enums as
 * their names, bytes as Buffers, defaults filled in and oneofs named.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { EtcdFault } from './codec.js';
import {
  checkMessage,
  faultOfWire,
  MAX_REQUEST_NESTING,
  messageShapes,
  WireError,
} from './wire.js';

/** proto/etcd at the package root: ../../../../proto/etcd from dist/src/runtime/etcd/. */
export const PROTO_DIR = fileURLToPath(new URL('../../../../proto/etcd/', import.meta.url));

export interface EtcdServices {
  readonly KV: grpc.ServiceClientConstructor;
  readonly Watch: grpc.ServiceClientConstructor;
  readonly Lease: grpc.ServiceClientConstructor;
  readonly Cluster: grpc.ServiceClientConstructor;
  readonly Maintenance: grpc.ServiceClientConstructor;
  readonly Auth: grpc.ServiceClientConstructor;
}

let loaded: EtcdServices | undefined;
let shapes: ReturnType<typeof messageShapes> | undefined;

/**
 * protobufjs refuses messages nested past 100 levels, when decoding and when converting a
 * response: a txn nested 50 deep was applied and then its answer could not be encoded. etcd
 * allows MAX_TXN_OPS levels, so the limit is raised past a request and its response at that
 * depth (the request checker, wire.ts, refuses anything deeper before protobufjs sees it). The
 * protobufjs instance is proto-loader's own, the one that encodes and decodes etcd's messages.
 */
function raiseRecursionLimit(): void {
  const load = createRequire(createRequire(import.meta.url).resolve('@grpc/proto-loader'));
  const pb = load('protobufjs') as {
    util: { recursionLimit: number };
    Reader: { recursionLimit: number };
  };
  const limit = MAX_REQUEST_NESTING + 16;
  if (
    typeof pb.util?.recursionLimit !== 'number' ||
    typeof pb.Reader?.recursionLimit !== 'number'
  ) {
    throw new Error('protobufjs has no recursion limit to raise (its API changed)');
  }
  pb.util.recursionLimit = Math.max(pb.util.recursionLimit, limit);
  pb.Reader.recursionLimit = Math.max(pb.Reader.recursionLimit, limit);
}

/** Marks a unary request whose bytes were refused; the handler answers with the fault. */
export const MALFORMED: unique symbol = Symbol('malformed request');

/** The fault of a request the strict decoder refused, if it was refused. */
export function malformedOf(request: unknown): EtcdFault | undefined {
  return typeof request === 'object' && request !== null && MALFORMED in request
    ? (request as { [MALFORMED]: EtcdFault })[MALFORMED]
    : undefined;
}

/**
 * A service definition whose requests are checked byte by byte (wire.ts) before protobufjs
 * decodes them. A refused unary request reaches its handler as a MALFORMED marker, answered
 * with etcd's code and text; a refused stream message fails the stream (INTERNAL, as grpc-go
 * fails it).
 */
export function strictService(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const known = shapes;
  if (known === undefined) throw new Error('etcdServices() must load the definitions first');
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, m] of Object.entries(service)) {
    const type = (m as unknown as { requestType?: { type?: { name?: unknown } } }).requestType?.type
      ?.name;
    const full = typeof type === 'string' ? `etcdserverpb.${type}` : undefined;
    if (full === undefined || !known.has(full))
      throw new Error(`etcd proto: ${name} has no request type`);
    const decode = m.requestDeserialize;
    out[name] = {
      ...m,
      requestDeserialize: (buf: Buffer): unknown => {
        try {
          checkMessage(known, full, buf);
        } catch (e) {
          if (!(e instanceof WireError) || m.requestStream) throw e;
          return { [MALFORMED]: faultOfWire(e) };
        }
        return decode(buf);
      },
    };
  }
  return out;
}

/** The etcdserverpb services (loaded once per process). */
export function etcdServices(): EtcdServices {
  if (loaded !== undefined) return loaded;
  const file = PROTO_DIR + 'rpc.proto';
  if (!existsSync(file)) throw new Error(`etcd's protocol definitions are missing (${file})`);
  raiseRecursionLimit();
  const definition = protoLoader.loadSync(file, {
    keepCase: true,
    longs: Number,
    enums: String,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  shapes = messageShapes(definition);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    etcdserverpb: Record<string, grpc.ServiceClientConstructor>;
  };
  const get = (name: string): grpc.ServiceClientConstructor => {
    const s = pkg.etcdserverpb[name];
    if (s === undefined) throw new Error(`rpc.proto has no service ${name}`);
    return s;
  };
  loaded = {
    KV: get('KV'),
    Watch: get('Watch'),
    Lease: get('Lease'),
    Cluster: get('Cluster'),
    Maintenance: get('Maintenance'),
    Auth: get('Auth'),
  };
  return loaded;
}
