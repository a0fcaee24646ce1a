/**
 * A system's `--param name=value` options, read and checked the same way by every command that
 * runs one (sim, node, cluster up, chaos): a malformed or unknown param, or a value the system
 * or the cluster cannot take, is a usage error before anything starts.
 */
import type { NodeId } from '../core/node.js';
import type { SystemDefinition } from '../core/system.js';
import { UsageError } from './usage-error.js';

/**
 * The params as the system takes them, or undefined when none are given. `given` are the raw
 * `name=value` texts; `implied` are pairs other flags stand for (sim's `--byzantine K` is
 * `byzantine=K`), checked the same. The system builds one node with them, told `cluster`, so
 * values that do not fit the cluster (more traitors than nodes, a voter that is no node) are
 * refused here and not by a node that has already started.
 */
export function systemParams(
  system: SystemDefinition,
  given: readonly string[],
  cluster: readonly NodeId[] | undefined,
  implied: readonly (readonly [string, string])[] = [],
): Record<string, string> | undefined {
  const entries = [...given.map(paramEntry), ...implied];
  if (entries.length === 0) return undefined;
  const known = (system.params ?? []).map((p) => p.name);
  for (const [name] of entries) {
    if (!known.includes(name)) {
      throw new UsageError(
        `${system.name} has no param '${name}'` +
          (known.length > 0 ? ` (choose from ${known.join(', ')})` : ' (it has none)'),
      );
    }
  }
  const params = Object.fromEntries(entries);
  try {
    system.createNode({ params, ...(cluster !== undefined ? { cluster } : {}) });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  return params;
}

/** `name=value` → [name, value]; the value may be empty or hold further `=`. */
function paramEntry(text: string): readonly [string, string] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq);
  if (!/^[\w-]+$/.test(name)) throw new UsageError(`bad --param '${text}': use name=value`);
  return [name, text.slice(eq + 1)];
}
