#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the package's prepare script).
import module from 'node:module';

// Node ≥ 22.1 can keep V8's compiled code of the CLI's modules between runs, which is most of a
// short command's start-up; Node 20 has no such cache (the method is absent) and loses nothing.
// It must be on before the CLI's modules load, hence the dynamic import below.
module.enableCompileCache?.();
const { main } = await import('../dist/src/cli/main.js');

// `truthkit … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await main(process.argv.slice(2));
