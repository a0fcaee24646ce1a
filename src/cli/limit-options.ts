/**
 * The connection-limit flags of the client and etcd ports, one definition for `truthkit node`
 * and `truthkit cluster up` (which hands them to every node it starts): same names, same
 * ranges, same one-line usage error for a policy that cannot work.
 */
import type { Command } from 'commander';
import {
  connectionLimits,
  ConnectionLimitsError,
  DEFAULT_LIMITS,
  type ConnectionLimits,
} from '../runtime/connection-limits.js';
import { intIn } from './option-parsers.js';
import { UsageError } from './usage-error.js';

/** What commander makes of the flags (absent: the default). */
export interface LimitFlags {
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  idleTimeout?: number;
  handshakeTimeout?: number;
  maxStreams?: number;
}

/** Adds the limit flags to `command`. */
export function limitOptions(command: Command): Command {
  const d = DEFAULT_LIMITS;
  return command
    .option(
      '--max-connections <n>',
      `connections per port, client and etcd ports (default ${d.maxConnections})`,
      intIn(1, 1_000_000),
    )
    .option(
      '--max-connections-per-address <n>',
      `connections from one address per port (default ${d.maxPerAddress})`,
      intIn(1, 1_000_000),
    )
    .option(
      '--idle-timeout <ms>',
      `close client/etcd connections idle this long; 0: never (default ${d.idleMs})`,
      intIn(0, 86_400_000),
    )
    .option(
      '--handshake-timeout <ms>',
      `close connections that send no request/preface this soon (default ${d.handshakeMs})`,
      intIn(1, 86_400_000),
    )
    .option(
      '--max-streams <n>',
      `HTTP/2 streams one etcd connection may have open (default ${d.maxStreams})`,
      intIn(1, 2 ** 31 - 1),
    );
}

/**
 * The limits the flags set, and only those (a cluster records them and passes them to each node
 * it starts), checked together: a policy that cannot work is a usage error.
 */
export function givenLimits(flags: LimitFlags): Partial<ConnectionLimits> {
  const given: Partial<ConnectionLimits> = {
    ...(flags.maxConnections !== undefined ? { maxConnections: flags.maxConnections } : {}),
    ...(flags.maxConnectionsPerAddress !== undefined
      ? { maxPerAddress: flags.maxConnectionsPerAddress }
      : {}),
    ...(flags.idleTimeout !== undefined ? { idleMs: flags.idleTimeout } : {}),
    ...(flags.handshakeTimeout !== undefined ? { handshakeMs: flags.handshakeTimeout } : {}),
    ...(flags.maxStreams !== undefined ? { maxStreams: flags.maxStreams } : {}),
  };
  limitsOf(given);
  return given;
}

/** The defaults overridden by `given`; a policy that cannot work is a usage error. */
export function limitsOf(given: Partial<ConnectionLimits>): ConnectionLimits {
  try {
    return connectionLimits(given);
  } catch (e) {
    if (e instanceof ConnectionLimitsError) throw new UsageError(e.message);
    throw e;
  }
}
