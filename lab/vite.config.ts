/**
 * The lab's build. It bundles the page together with truthkit's own src/ (the simulator, the
 * checker and every registered system), so the browser runs exactly the code the CLI runs.
 * Everything is bundled locally: the built page needs no network at all.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  // Relative asset URLs, so the built page works from any path (or a file server's subfolder).
  base: './',
  // Preact's automatic JSX runtime through Vite's built-in transformer: no plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  clearScreen: false,
});
