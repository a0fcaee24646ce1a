/**
 * What the lab's form chooses: everything that, with the script of interactive faults,
 * determines a run. Validation here is shared by the form and by shared URLs (untrusted).
 */
import type { SystemDefinition } from '../../src/core/system.js';
import { parseNemesis } from '../../src/sim/nemesis.js';

export interface RunConfig {
  readonly system: string;
  readonly nodes: number;
  readonly seed: number;
  /** A nemesis spec as `truthkit sim --nemesis` takes it: plan names joined by commas. */
  readonly nemesis: string;
  /** Client operations in the workload. */
  readonly ops: number;
  readonly mutant: string | null;
  /** Values for the system's own parameters (`truthkit sim --param name=value`). */
  readonly params: Readonly<Record<string, string>>;
}

export const MAX_NODES = 15;
export const MAX_OPS = 20_000;

export function defaultConfig(system: SystemDefinition): RunConfig {
  return {
    system: system.name,
    nodes: system.defaultNodes,
    seed: 1,
    nemesis: 'none',
    ops: 300,
    mutant: null,
    params: {},
  };
}

/** Why `config` cannot run, or undefined when it can. */
export function configProblem(
  config: RunConfig,
  systems: readonly SystemDefinition[],
): string | undefined {
  const system = systems.find((s) => s.name === config.system);
  if (system === undefined) return `unknown system '${config.system}'`;
  if (!Number.isInteger(config.nodes) || config.nodes < system.minNodes || config.nodes > MAX_NODES)
    return `${system.name} runs on ${system.minNodes}–${MAX_NODES} nodes`;
  if (!Number.isSafeInteger(config.seed) || config.seed < 0)
    return 'the seed is a non-negative integer';
  if (!Number.isInteger(config.ops) || config.ops < 1 || config.ops > MAX_OPS)
    return `the workload is 1–${MAX_OPS} operations`;
  if (config.mutant !== null && !system.mutants.some((m) => m.name === config.mutant))
    return `${system.name} has no mutant '${config.mutant}'`;
  try {
    parseNemesis(config.nemesis);
  } catch (e) {
    return (e as Error).message;
  }
  const known = (system.params ?? []).map((p) => p.name);
  const unknown = Object.keys(config.params).find((name) => !known.includes(name));
  if (unknown !== undefined) return `${system.name} has no param '${unknown}'`;
  if (Object.keys(config.params).length > 0) {
    try {
      system.createNode({ params: config.params }); // a system refuses bad values when asked
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}

/** Node ids the simulator gives a cluster of `n` (see Session). */
export function nodeIdsFor(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `n${i + 1}`);
}

/** The CLI command that replays the same run without interactive faults. */
export function cliCommand(config: RunConfig): string {
  const parts = [
    'npx truthkit sim',
    config.system,
    `--nodes ${config.nodes}`,
    `--seed ${config.seed}`,
    `--nemesis ${config.nemesis}`,
    `--ops ${config.ops}`,
  ];
  if (config.mutant !== null) parts.push(`--mutant ${config.mutant}`);
  for (const [name, value] of Object.entries(config.params)) parts.push(`--param ${name}=${value}`);
  return parts.join(' ');
}
