// StrykerJS over the safety-critical modules (issue 27 item 8). Stryker mutates the compiled
// JavaScript under dist/src (one `npm run build` for the whole run) instead of src/*.ts, which
// would need a TypeScript rebuild per mutant; tsc keeps the statements, so each mutant reads
// back to its source line.
//
// Each module's fast tests run as ONE node process per mutant: a suite file that imports them
// in order (the rule-function tests first, so most mutants die in milliseconds), written here
// into dist/mutation-suites/ (outside dist/test, so `node --test dist/test/` never runs it).
// One process instead of one per test file halves the time of a mutant that survives on this
// busy machine; the TAP runner bails out at the first failing test.
//
// One module at a time: TRUTHKIT_MUTATE_MODULE=<name> (scripts/mutate.mjs sets it) picks the
// files to mutate and the suite that judges them; unset, every module at once.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mutationModules } from './scripts/mutate-modules.mjs';

const selected = process.env.TRUTHKIT_MUTATE_MODULE;
const modules = selected ? mutationModules.filter((m) => m.name === selected) : mutationModules;
if (modules.length === 0) {
  throw new Error(
    `TRUTHKIT_MUTATE_MODULE=${selected}: no such module (${mutationModules.map((m) => m.name).join(', ')})`,
  );
}
if (!existsSync('dist/test')) throw new Error('no dist/test: run `npm run build` first');
const reportName = selected ?? 'all';

/** `dir/*-x.test.js` → the matching files of dir, sorted; any other path as it is. */
function expand(pattern) {
  const base = path.posix.basename(pattern);
  if (!base.includes('*')) {
    if (!existsSync(pattern)) throw new Error(`mutation suite: no test file ${pattern}`);
    return [pattern];
  }
  const dir = path.posix.dirname(pattern);
  const [before, after] = base.split('*');
  return readdirSync(dir)
    .filter((f) => f.startsWith(before) && f.endsWith(after))
    .sort()
    .map((f) => `${dir}/${f}`);
}

/** Writes the module's suite file and returns its path. */
function writeSuite(module) {
  const dir = 'dist/mutation-suites';
  mkdirSync(dir, { recursive: true });
  const files = [...new Set(module.tests.flatMap(expand))];
  const lines = files.map((f) => `import '${path.posix.relative(dir, f)}';`);
  const suite = `${dir}/${module.name}.test.js`;
  writeFileSync(
    suite,
    `// Written by stryker.config.mjs: the ${module.name} tests, in order.\n${lines.join('\n')}\n`,
  );
  return suite;
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  tap: {
    testFiles: modules.map(writeSuite),
    nodeArgs: ['--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
  },
  mutate: modules.flatMap((m) => m.mutate),
  coverageAnalysis: 'perTest',
  concurrency: 2,
  incremental: false,
  // A mutant that makes a loop spin is a timeout (counted as detected), after this margin over
  // the test file's own time: the machine is shared and busy.
  timeoutMS: 10000,
  timeoutFactor: 2,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // The sandbox needs only the compiled sources and tests and the test fixtures.
  ignorePatterns: [
    '/*',
    '!/dist',
    '!/test',
    '!/package.json',
    '/dist/*',
    '!/dist/src',
    '!/dist/test',
    '!/dist/mutation-suites',
  ],
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${reportName}.json` },
  htmlReporter: { fileName: `reports/mutation/${reportName}.html` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 80, break: null },
};
