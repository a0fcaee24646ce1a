/**
 * The lab's build. It bundles the page together with truthkit's own src/ (the simulator, the
 * checker and every registered system), so the browser runs exactly the code the CLI runs.
 * Everything is bundled locally: the built page needs no network at all.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * PBFT's signature scheme for the browser. The experiments import `protocols/pbft/ed25519.js`
 * (node:crypto) so that they run on their own in Node; here that import becomes its twin in plain
 * TypeScript, `ed25519-noble.js`, which gives the same signatures byte for byte (see
 * test/protocols/pbft/signature-schemes.test.ts). lab/tsconfig.json resolves it the same way
 * for the type check (moduleSuffixes).
 */
const NODE_SIGNATURES = /^(.*\/protocols\/pbft\/ed25519)\.js$/;

export default defineConfig({
  root: here,
  // Relative asset URLs, so the built page works from any path (or a file server's subfolder).
  base: './',
  // Preact's automatic JSX runtime through Vite's built-in transformer: no plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: [{ find: NODE_SIGNATURES, replacement: '$1-noble.js' }] },
  // The Experiments page's worker is a module like the page (it imports the same src/).
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  clearScreen: false,
});
