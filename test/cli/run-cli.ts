/**
 * Runs the truthkit CLI in-process and captures what it prints and its exit code. It runs what
 * bin/truthkit.js runs: the bundle in dist/cli when `npm run build` made it after tsc's last
 * build, else tsc's output (always with TRUTHKIT_BUNDLE=0), so these tests cover the bundle.
 */
import { statSync } from 'node:fs';
import type { main as compiledMain } from '../../src/cli/main.js';

type Main = typeof compiledMain;

const mtime = (path: string): number | undefined =>
  statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;

async function loadMain(): Promise<Main> {
  const bundled = mtime('../../cli/main.js');
  const compiled = mtime('../../.tsbuildinfo');
  const fresh = bundled !== undefined && (compiled === undefined || bundled >= compiled);
  if (!fresh || process.env.TRUTHKIT_BUNDLE === '0')
    return (await import('../../src/cli/main.js')).main;
  const mod: unknown = await import(new URL('../../cli/main.js', import.meta.url).href);
  if (typeof mod !== 'object' || mod === null || !('main' in mod) || typeof mod.main !== 'function')
    throw new Error('dist/cli/main.js does not export main');
  return mod.main as Main;
}

const main = await loadMain();

export interface CliOutcome {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function cli(...argv: string[]): Promise<CliOutcome> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    interactive: false,
  });
  return { code, out, err };
}
