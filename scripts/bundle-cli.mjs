// @ts-check
/**
 * Bundles the command line (tsc's dist/src/cli/main.js and everything it imports) into
 * dist/cli/: one entry file plus one chunk per lazily loaded command, so that `truthkit check`
 * loads a handful of files instead of some thirty modules, each of which Node 20's ESM loader
 * resolves, reads and links on its own. bin/truthkit.js runs the bundle when it is newer than
 * tsc's last build (see there). Run by `npm run build`, after tsc.
 */
import { rmSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = resolve(ROOT, 'dist/src/cli/main.js');
const OUT = resolve(ROOT, 'dist/cli');
/**
 * Packages that every command loads, bundled with our code: commander's CommonJS and valibot's
 * many small functions cost less compiled once into a chunk (and valibot's unused ones left out)
 * than loaded as packages. The others load only with the commands that use them and stay as
 * they are: gRPC and protobuf.js find their own files and generate code at run time.
 */
const BUNDLED_PACKAGES = ['commander', 'valibot'];

/** @param {string} id */
function isExternal(id) {
  if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return false;
  return !BUNDLED_PACKAGES.some((p) => id === p || id.startsWith(`${p}/`));
}

/**
 * A bundled module no longer sits where tsc put it, but some find files beside themselves
 * (proto/etcd, the node launcher, a package's own require): each keeps its own
 * `import.meta.url`, written relative to the bundle so the tree can still move as a whole.
 * @type {import('rolldown').Plugin}
 */
const keepModuleUrls = {
  name: 'keep-module-urls',
  transform(code, id) {
    // \0 marks the bundler's own virtual modules, which have no file of their own.
    if (id.startsWith('\0') || !code.includes('import.meta.url')) return null;
    const path = relative(OUT, id).split('\\').join('/');
    const own = `new URL(${JSON.stringify(path)}, import.meta.url).href`;
    return { code: code.replaceAll('import.meta.url', own), map: null };
  },
};

const CHECK_COMMAND = resolve(ROOT, 'dist/src/cli/commands/check.js');

/** @param {import('rolldown').OutputOptions} extra */
const options = (extra = {}) => ({
  input: ENTRY,
  platform: /** @type {const} */ ('node'),
  external: isExternal,
  plugins: [keepModuleUrls],
  logLevel: /** @type {const} */ ('warn'),
  output: {
    dir: OUT,
    format: /** @type {const} */ ('esm'),
    entryFileNames: 'main.js',
    chunkFileNames: '[name]-[hash].js',
    ...extra,
  },
});

/**
 * The modules `truthkit check` loads besides the entry's: the check command's chunk and every
 * chunk it imports statically, as a first build split them. One chunk of them all saves Node's
 * loader a file each; other commands that share some of them load the whole chunk instead.
 */
async function checkModules() {
  const first = await build({ ...options(), write: false });
  const chunks = first.output.filter((o) => o.type === 'chunk');
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const entry = chunks.find((c) => c.isEntry);
  const check = chunks.find((c) => c.moduleIds.includes(CHECK_COMMAND));
  if (entry === undefined || check === undefined)
    throw new Error('bundle: no entry or check chunk');
  const inEntry = new Set(entry.imports);
  const todo = [check.fileName];
  const ids = new Set();
  for (let name; (name = todo.pop()) !== undefined;) {
    const chunk = byName.get(name);
    if (chunk === undefined || inEntry.has(name) || name === entry.fileName) continue;
    for (const id of chunk.moduleIds) ids.add(id);
    todo.push(...chunk.imports);
  }
  return ids;
}

rmSync(OUT, { recursive: true, force: true });
const start = await checkModules();
const output = await build(
  options({
    codeSplitting: { groups: [{ name: 'check', test: (id) => start.has(id) }] },
  }),
);
const files = output.output.filter((o) => o.type === 'chunk').length;
console.log(
  `bundle: ${files} files in ${relative(ROOT, OUT)} from ${pathToFileURL(ENTRY).pathname}`,
);
