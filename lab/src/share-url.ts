/**
 * A run as a URL: the configuration and the script of interactive faults in the fragment, so
 * a link replays exactly the run someone watched (same seed, same faults at the same virtual
 * instants). The fragment is untrusted input and is validated before anything runs.
 */
import type { SystemDefinition } from '../../src/core/system.js';
import { parseScript, type ScriptAction } from '../../src/sim/script.js';
import { configProblem, nodeIdsFor, type RunConfig } from './run-config.js';

export interface SharedRun {
  readonly config: RunConfig;
  readonly script: readonly ScriptAction[];
}

/** The fragment (without '#') for a run. */
export function encodeShare(run: SharedRun): string {
  const p = new URLSearchParams();
  p.set('system', run.config.system);
  p.set('nodes', String(run.config.nodes));
  p.set('seed', String(run.config.seed));
  p.set('nemesis', run.config.nemesis);
  p.set('ops', String(run.config.ops));
  if (run.config.mutant !== null) p.set('mutant', run.config.mutant);
  for (const [name, value] of Object.entries(run.config.params)) p.set(`param.${name}`, value);
  if (run.script.length > 0) p.set('script', JSON.stringify(run.script));
  return p.toString();
}

export class ShareError extends Error {}

/**
 * Reads a fragment back. Returns undefined for an empty fragment (nothing shared); throws a
 * ShareError saying what is wrong with a malformed one.
 */
export function decodeShare(
  fragment: string,
  systems: readonly SystemDefinition[],
): SharedRun | undefined {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (text.trim() === '') return undefined;
  const p = new URLSearchParams(text);
  const system = p.get('system');
  if (system === null) throw new ShareError('the link names no system');
  const def = systems.find((s) => s.name === system);
  const config: RunConfig = {
    system,
    nodes: intParam(p, 'nodes', def?.defaultNodes ?? 3),
    seed: intParam(p, 'seed', 1),
    nemesis: p.get('nemesis') ?? 'none',
    ops: intParam(p, 'ops', 300),
    mutant: p.get('mutant'),
    params: Object.fromEntries(
      [...p.entries()]
        .filter(([k]) => k.startsWith('param.'))
        .map(([k, v]) => [k.slice('param.'.length), v]),
    ),
  };
  const problem = configProblem(config, systems);
  if (problem !== undefined) throw new ShareError(`the link's run is invalid: ${problem}`);
  const rawScript = p.get('script');
  let script: ScriptAction[] = [];
  if (rawScript !== null) {
    let json: unknown;
    try {
      json = JSON.parse(rawScript);
    } catch {
      throw new ShareError("the link's script is not valid JSON");
    }
    try {
      script = parseScript(json, nodeIdsFor(config.nodes));
    } catch (e) {
      throw new ShareError(`the link's script is invalid: ${(e as Error).message}`);
    }
  }
  return { config, script };
}

function intParam(p: URLSearchParams, name: string, fallback: number): number {
  const raw = p.get(name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new ShareError(`'${name}' in the link is not a whole number`);
  return Number(raw);
}
