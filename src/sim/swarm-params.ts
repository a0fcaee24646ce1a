/**
 * System parameters a swarm seed draws (SystemDefinition.swarmParams): settings that reach, in
 * a run of a few hundred operations, states the defaults reach only at scale — etcd-raft takes
 * a snapshot every 100,000 entries and cuts it into parts of 1 MiB, so a simulated run never
 * writes a snapshot of several parts unless the seed draws small ones. Drawn from a stream of
 * their own, after the rest of the mix, so the other draws of a seed stay what they were.
 */
import type { SystemDefinition } from '../core/system.js';
import { streamFor } from '../core/random.js';

export type SwarmParams = Readonly<Record<string, string>>;

export class SwarmParamError extends Error {
  readonly code = 'swarm-param-unknown';
}

/**
 * The seed's draw for `system`: empty when the system declares none. A drawn name the system
 * does not accept is its own bug, found here rather than as a usage error on some seed.
 */
export function drawSwarmParams(system: SystemDefinition, seed: number): SwarmParams {
  if (system.swarmParams === undefined) return {};
  const drawn = system.swarmParams(streamFor(seed, 'swarm:params'));
  const known = new Set((system.params ?? []).map((p) => p.name));
  for (const name of Object.keys(drawn)) {
    if (!known.has(name)) {
      throw new SwarmParamError(`${system.name}.swarmParams drew '${name}', not one of its params`);
    }
  }
  return drawn;
}

/** The run's params: the drawn ones, each replaced by the user's `--param` of the same name. */
export function withSwarmParams(
  drawn: SwarmParams,
  given: SwarmParams | undefined,
): SwarmParams | undefined {
  if (Object.keys(drawn).length === 0) return given;
  return { ...drawn, ...given };
}

/** `name=value,…` for the failing-seed line; empty when none were drawn. */
export function describeSwarmParams(params: SwarmParams): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
