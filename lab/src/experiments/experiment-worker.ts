/**
 * The Experiments page's Web Worker: runs one experiment off the page's thread, so the page stays
 * responsive and Cancel can simply terminate it. PBFT signs with the plain-TypeScript Ed25519
 * (the build swaps the experiments' node:crypto import for it too: see vite.config.ts).
 */
import '../../../src/protocols/pbft/ed25519-noble.js';
import { getExperiment } from '../../../src/experiments/registry.js';
import { answer, type RunRequest } from './worker-protocol.js';

self.onmessage = (e: MessageEvent<RunRequest>) => {
  self.postMessage(answer(e.data, getExperiment, () => performance.now()));
};
