/** Opening a loopback (or given) TCP listener, shared by the peer and client ports. */
import { createServer, type Server, type Socket } from 'node:net';

export interface Address {
  readonly host: string;
  readonly port: number;
}

/**
 * Listens on `at` and hands every connection to `accept`. Resolves with the server and the
 * address it bound (the real port when `at.port` is 0); a failure to bind rejects, and later
 * listener errors are reported through `onError` instead of crashing the node.
 */
export function listen(
  at: Address,
  accept: (socket: Socket) => void,
  onError: (error: Error) => void,
): Promise<{ server: Server; address: Address }> {
  return new Promise((resolve, reject) => {
    const server = createServer(accept);
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      server.on('error', onError);
      const a = server.address();
      const address = typeof a === 'object' && a !== null ? { host: a.address, port: a.port } : at;
      resolve({ server, address });
    });
  });
}
