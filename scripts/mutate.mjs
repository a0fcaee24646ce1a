// `npm run mutate [-- <module>… | --mutate <dist file>]`: StrykerJS over the safety-critical
// modules of scripts/mutate-modules.mjs, one Stryker run per module (each with its own fast
// tests), then the score per file and per module and every mutant left alive. Run after
// `npm run build`: Stryker mutates dist/src, not src (docs/testing.md, "Mutation score").
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mutationModules } from './mutate-modules.mjs';

const USAGE =
  'usage: npm run mutate [-- <module>…] [--mutate <dist/src/…js>[:lines]] [--concurrency <n>] [--show] (modules: ' +
  `${mutationModules.map((m) => m.name).join(', ')})`;

function fail(message) {
  console.error(`mutate: ${message}`);
  process.exit(2);
}

/** Module names and the pattern given to --mutate, if any. */
function parseArgs(argv) {
  const names = [];
  let mutate;
  let concurrency;
  let show = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--mutate' || a === '-m') {
      mutate = argv[++i];
      if (mutate === undefined) fail(`--mutate needs a file; ${USAGE}`);
    } else if (a.startsWith('--mutate=')) {
      mutate = a.slice('--mutate='.length);
    } else if (a === '--concurrency' || a === '-c') {
      concurrency = argv[++i];
      if (!/^[1-9]\d*$/.test(concurrency ?? ''))
        fail(`--concurrency needs a positive integer; ${USAGE}`);
    } else if (a === '--show') {
      show = true;
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('-')) {
      fail(`unknown option ${a}; ${USAGE}`);
    } else if (!mutationModules.some((m) => m.name === a)) {
      fail(`no module ${a}; ${USAGE}`);
    } else {
      names.push(a);
    }
  }
  return { names, mutate, concurrency, show };
}

/** The module whose files include `pattern` (a dist path, perhaps with a :line range). */
function moduleOf(pattern) {
  const file = pattern.replace(/:\d+(:\d+)?-\d+(:\d+)?$/, '');
  const m = mutationModules.find((mod) => mod.mutate.includes(file));
  if (m === undefined) fail(`${file} is in no module's files; ${USAGE}`);
  return m.name;
}

const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function tally(mutants) {
  const t = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0, ignored: 0 };
  for (const m of mutants) {
    if (m.status === 'Killed') t.killed++;
    else if (m.status === 'Timeout') t.timeout++;
    else if (m.status === 'Survived') t.survived++;
    else if (m.status === 'NoCoverage') t.noCoverage++;
    else if (m.status === 'Ignored') t.ignored++;
    else t.errors++;
  }
  const valid = t.killed + t.timeout + t.survived + t.noCoverage;
  t.score = valid === 0 ? NaN : (100 * (t.killed + t.timeout)) / valid;
  return t;
}

function row(name, t, extra = '') {
  const pct = Number.isNaN(t.score) ? '  n/a' : t.score.toFixed(1).padStart(5);
  return (
    `${name.padEnd(46)} ${String(t.killed).padStart(6)} ${String(t.timeout).padStart(7)} ` +
    `${String(t.survived).padStart(8)} ${String(t.noCoverage).padStart(6)} ` +
    `${String(t.errors).padStart(6)} ${pct} %${extra}`
  );
}

function header() {
  return `${'file'.padEnd(46)} killed timeout survived no-cov errors  score`;
}

const { names, mutate, concurrency, show } = parseArgs(process.argv.slice(2));
const selected =
  names.length > 0
    ? names
    : mutate !== undefined
      ? [moduleOf(mutate)]
      : mutationModules.map((m) => m.name);
const stryker = fileURLToPath(
  new URL('../node_modules/@stryker-mutator/core/bin/stryker.js', import.meta.url),
);

const summary = [];
let failed = false;
for (const name of selected) {
  console.log(`\n== mutate ${name}`);
  const args = [stryker, 'run', 'stryker.config.mjs'];
  if (mutate !== undefined) args.push('--mutate', mutate);
  if (concurrency !== undefined) args.push('--concurrency', concurrency);
  const started = Date.now();
  if (!show) {
    const run = spawnSync(process.execPath, args, {
      stdio: 'inherit',
      env: { ...process.env, TRUTHKIT_MUTATE_MODULE: name },
    });
    if (run.status !== 0) {
      console.error(`mutate: stryker failed on module ${name} (exit ${run.status ?? run.signal})`);
      failed = true;
      continue;
    }
  }
  const took = show ? '' : `   ${((Date.now() - started) / 1000).toFixed(0)} s`;
  const report = JSON.parse(readFileSync(`reports/mutation/${name}.json`, 'utf8'));
  const files = Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b));
  const all = [];
  const lines = [header()];
  const alive = [];
  for (const [file, { mutants }] of files) {
    all.push(...mutants);
    lines.push(row(file.replace(/^dist\/src\//, ''), tally(mutants)));
    for (const m of mutants) {
      if (!UNDETECTED.has(m.status)) continue;
      const at = sourceLine(file, m.location.start);
      alive.push(`  ${m.status.padEnd(10)} ${at} ${m.mutatorName}: ${oneLine(m.replacement)}`);
    }
  }
  const t = tally(all);
  lines.push(row(`module ${name}`, t, took));
  console.log(`\n${lines.join('\n')}`);
  if (alive.length > 0) console.log(`alive (${alive.length}):\n${alive.join('\n')}`);
  summary.push(row(name, t, took));
}

if (selected.length > 1) console.log(`\n${header()}\n${summary.join('\n')}`);
if (failed) process.exit(1);

/**
 * `src/…ts:line:column` of a mutant at `start` (1-based line, 0-based column) in the compiled
 * `file`, through tsc's source map; the dist position when there is no map.
 */
function sourceLine(file, start) {
  const fallback = `${file}:${start.line}:${start.column + 1}`;
  const mapFile = `${file}.map`;
  if (!existsSync(mapFile)) return fallback;
  const payload = JSON.parse(readFileSync(mapFile, 'utf8'));
  const entry = new SourceMap(payload).findEntry(start.line - 1, start.column);
  if (entry.originalSource === undefined) return fallback;
  const source = path.relative('.', path.resolve(path.dirname(file), entry.originalSource));
  return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
}

function oneLine(text) {
  const s = String(text ?? '').replace(/\s+/g, ' ');
  return s.length > 90 ? `${s.slice(0, 87)}...` : s;
}
