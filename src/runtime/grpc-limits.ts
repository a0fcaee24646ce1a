/**
 * Serving a gRPC server on a port under connection limits. @grpc/grpc-js does not expose the
 * net.Server behind bindAsync, so the port is our own listener (listen.ts) whose admitted
 * sockets are handed to grpc-js through its supported connection injector
 * (`Server.createConnectionInjector`, grpc-js ≥ 1.12): the caps per port and per address, the
 * handshake timeout (no HTTP/2 preface) and the bound on half-closed connections apply at the
 * socket, and grpc-js's own `grpc.max_connection_idle_ms` closes connections without open
 * streams (it knows about streams; the socket layer does not).
 */
import * as grpc from '@grpc/grpc-js';
import type { Json } from '../core/json.js';
import { ConnectionGate, HTTP2_PREFACE_BYTES, type ConnectionLimits } from './connection-limits.js';
import { listen, type Address } from './listen.js';
import { filterHttp2Connection } from './h2/filtered-connection.js';

/** What the etcd port's HTTP/2 filter checks (see h2/request-filter.ts and docs/etcd.md). */
const H2_FILTER = { checkCompressedFlag: true } as const;

/**
 * Server options that make grpc-js enforce the parts of `limits` only HTTP/2 sees: idleness
 * (no open streams) and the streams per connection, sent to the client as
 * SETTINGS_MAX_CONCURRENT_STREAMS and enforced by Node's HTTP/2 (REFUSED_STREAM for streams
 * opened before the client acknowledged it; after that, the connection is closed).
 */
export function grpcLimitOptions(limits: ConnectionLimits): grpc.ServerOptions {
  return {
    ...(limits.mutant !== 'no-stream-cap'
      ? { 'grpc.max_concurrent_streams': limits.maxStreams }
      : {}),
    ...(limits.idleMs > 0 ? { 'grpc.max_connection_idle_ms': limits.idleMs } : {}),
  };
}

export interface LimitedGrpcPort {
  readonly address: Address;
  readonly gate: ConnectionGate;
  /** Stops listening and closes every connection (the gRPC server is shut down separately). */
  close(): void;
}

/** Listens on `at` and serves `server` (plaintext) on every connection the limits admit. */
export async function serveGrpcLimited(
  server: grpc.Server,
  at: Address,
  limits: ConnectionLimits,
  name: string,
  log: (message: string, fields: Record<string, Json>) => void,
): Promise<LimitedGrpcPort> {
  const gate = new ConnectionGate(name, limits, log, false);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const { server: listener, address } = await listen(
    at,
    (socket) => {
      // The handshake test counts bytes read, whoever reads them (the HTTP/2 filter does).
      const admitted = gate.admit(socket, {
        handshook: () => socket.bytesRead >= HTTP2_PREFACE_BYTES,
      });
      // The HTTP/2 filter mends what nghttp2 and grpc-js would refuse or misread (h2/).
      if (admitted !== undefined) {
        injector.injectConnection(filterHttp2Connection(socket, H2_FILTER, log));
      }
    },
    (e) => log(`${name} listener error`, { error: e.message }),
  );
  return {
    address,
    gate,
    close: () => {
      listener.close();
      gate.close();
      injector.destroy();
    },
  };
}
