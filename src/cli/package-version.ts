/** The package's version, as `truthkit --version` prints it: package.json's, read at run time. */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  // dist/src/cli/ → the package root (the bundle keeps this module's own URL: see scripts/).
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  const version: unknown = (JSON.parse(text) as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error('package.json has no version');
  return version;
}
