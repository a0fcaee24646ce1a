/**
 * etcd's v3 protobuf definitions (proto/etcd/, copied from the etcd3 npm package), loaded at
 * run time with @grpc/proto-loader. Options match what etcd clients expect: field names as in
 * the .proto (keepCase), int64 as JS numbers on our side (revisions, lease ids and TTLs stay
 * safe integers; clients may send them as strings or Longs, which decode the same), enums as
 * their names, bytes as Buffers, defaults filled in and oneofs named.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** proto/etcd at the package root: ../../../../proto/etcd from dist/src/runtime/etcd/. */
export const PROTO_DIR = fileURLToPath(new URL('../../../../proto/etcd/', import.meta.url));

export interface EtcdServices {
  readonly KV: grpc.ServiceClientConstructor;
  readonly Watch: grpc.ServiceClientConstructor;
  readonly Lease: grpc.ServiceClientConstructor;
  readonly Cluster: grpc.ServiceClientConstructor;
  readonly Maintenance: grpc.ServiceClientConstructor;
}

let loaded: EtcdServices | undefined;

/** The etcdserverpb services (loaded once per process). */
export function etcdServices(): EtcdServices {
  if (loaded !== undefined) return loaded;
  const file = PROTO_DIR + 'rpc.proto';
  if (!existsSync(file)) throw new Error(`etcd's protocol definitions are missing (${file})`);
  const definition = protoLoader.loadSync(file, {
    keepCase: true,
    longs: Number,
    enums: String,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
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
  };
  return loaded;
}
