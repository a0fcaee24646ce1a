#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the package's prepare script).
import module from 'node:module';
import { statSync } from 'node:fs';

// Node ≥ 22.1 can keep V8's compiled code of the CLI's modules between runs, which is most of a
// short command's start-up; Node 20 has no such cache (the method is absent) and loses nothing.
// It must be on before the CLI's modules load, hence the dynamic import below.
module.enableCompileCache?.();

/**
 * The bundle (scripts/bundle-cli.mjs) when it is at least as new as tsc's last build, else tsc's
 * own output: a bundle older than the compiled sources (tsc run alone, or `tsc --watch`) would
 * run stale code. Node 20's ESM loader pays for every module it loads; the bundle has few.
 */
function entry() {
  const mtime = (path) =>
    statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
  const bundled = mtime('../dist/cli/main.js');
  const compiled = mtime('../dist/.tsbuildinfo');
  const fresh = bundled !== undefined && (compiled === undefined || bundled >= compiled);
  return fresh && process.env.TRUTHKIT_BUNDLE !== '0'
    ? '../dist/cli/main.js'
    : '../dist/src/cli/main.js';
}
const { main } = await import(entry());

// `truthkit … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await main(process.argv.slice(2));
