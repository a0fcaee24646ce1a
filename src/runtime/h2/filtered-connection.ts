/**
 * An accepted socket with the HTTP/2 request filter (`request-filter.ts`) between it and the
 * server: a Duplex that grpc-js is given instead of the socket. A connection the filter refuses
 * is destroyed and logged; nothing it does throws out of a socket handler.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Json } from '../../core/json.js';
import {
  DEFAULT_H2_FILTER_LIMITS,
  H2FilterError,
  H2RequestFilter,
  type H2FilterLimits,
} from './request-filter.js';

export interface H2FilterOptions {
  readonly limits?: H2FilterLimits;
  /** Answer compressed messages without an encoding here (every DATA frame is then parsed). */
  readonly checkCompressedFlag: boolean;
}

export function filterHttp2Connection(
  socket: Socket,
  options: H2FilterOptions,
  log: (message: string, fields: Record<string, Json>) => void,
): Duplex {
  const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  let filter: H2RequestFilter | undefined = undefined;
  let rewriteLogged = false;
  const conn = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      if (filter !== undefined && !filter.passthrough) filter.fromServer(chunk);
      socket.write(chunk, done);
    },
    // nghttp2 hands over a response's frames together: one syscall for them, as on a bare socket.
    writev(chunks: { chunk: Buffer }[], done) {
      socket.cork();
      for (let i = 0; i < chunks.length; i++) {
        const { chunk } = chunks[i] as { chunk: Buffer };
        if (filter !== undefined && !filter.passthrough) filter.fromServer(chunk);
        socket.write(chunk, i === chunks.length - 1 ? done : undefined);
      }
      socket.uncork();
    },
    final(done) {
      socket.end(done);
    },
    destroy(error, done) {
      socket.destroy(error ?? undefined);
      done(error);
    },
  });
  filter = new H2RequestFilter(
    {
      toServer: (bytes) => {
        if (!conn.push(bytes)) socket.pause();
      },
      toClient: (frames) => {
        socket.write(frames);
      },
      note: (what, streamId) => {
        // A client that sends a URL sends it on every request: one line per connection.
        if (what === 'authorityRewritten' && rewriteLogged) return;
        if (what === 'authorityRewritten') rewriteLogged = true;
        log('etcd gRPC request filtered', { what, peer, stream: streamId });
      },
    },
    options.limits ?? DEFAULT_H2_FILTER_LIMITS,
    options.checkCompressedFlag,
  );
  const f = filter;
  socket.on('data', (chunk: Buffer) => {
    try {
      f.fromClient(chunk);
    } catch (e) {
      // A filter bug must not take the node down either: the connection goes, the log says why.
      const code = e instanceof H2FilterError ? e.code : 'internal';
      log('etcd gRPC connection closed: malformed HTTP/2', {
        peer,
        code,
        error: e instanceof Error ? e.message : String(e),
      });
      socket.destroy();
    }
  });
  socket.on('end', () => conn.push(null));
  socket.on('close', () => conn.destroy());
  socket.on('error', (e) => conn.destroy(e));
  socket.setNoDelay(true);
  return conn;
}
