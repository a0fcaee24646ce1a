/**
 * One cold measurement of the checker benchmark (bench/checker.ts), run in a fresh process:
 * read and parse the histories (untimed), check each once, print the seconds the checks took
 * and the verdicts as one JSON line. What the first check in a process pays — compiling the
 * checker's code, its first allocations, the interpreter before the JIT — is all in it.
 *
 *   node dist/bench/checker-cold.js set etcd|c50-ok|c10-ok-unpartitioned
 *   node dist/bench/checker-cold.js files MODEL FILE…
 */
import {
  checkAll,
  loadFile,
  loadPorcupineSet,
  PORCUPINE_SETS,
  type Loaded,
} from './checker-sets.js';

export interface ColdReport {
  readonly checkSeconds: number;
  readonly histories: number;
}

function histories(args: readonly string[]): Loaded[] {
  const [mode, first, ...rest] = args;
  if (mode === 'set') {
    const set = PORCUPINE_SETS.find((s) => s === first);
    if (set === undefined) throw new Error(`no data set "${first}" (${PORCUPINE_SETS.join(', ')})`);
    return loadPorcupineSet(set);
  }
  if (mode === 'files' && first !== undefined && rest.length > 0)
    return rest.map((path) => loadFile(path, 'jsonl', {}, first));
  throw new Error('usage: checker-cold.js set NAME | files MODEL FILE…');
}

const loaded = histories(process.argv.slice(2));
const report: ColdReport = { checkSeconds: checkAll(loaded), histories: loaded.length };
console.log(JSON.stringify(report));
