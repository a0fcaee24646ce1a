/**
 * One worker of verdict-stability.test.ts: runs the verdict-stability check of the experiments
 * it is sent, one at a time, and posts each result back. The suite runs one test file at a time
 * on two cores; two of these run the experiments' full modes side by side.
 */
import { parentPort } from 'node:worker_threads';
// The experiments run PBFT, which needs a signature scheme (the CLI installs the same one).
import '../../src/protocols/pbft/ed25519.js';
import { getExperiment } from '../../src/experiments/registry.js';
import { verdictStability } from '../../src/experiments/stability.js';

// Outside a worker (the test runner may load any file under test/) it does nothing.
const port = parentPort;
port?.on('message', (name: string) => {
  const e = getExperiment(name);
  if (e === undefined) throw new Error(`no experiment ${name}`);
  port?.postMessage({ name, stability: verdictStability(e, () => performance.now()) });
});
