/**
 * Starts the CLI from this compiled tree: `node <dist>/src/cli/launch.js ARGS…`. Local
 * clusters spawn node processes through it, so they run the same build as whoever spawned them.
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
