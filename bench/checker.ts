/**
 * Linearizability checker benchmark against Porcupine's published-in-this-repo reference
 * times. Run alone with `node dist/bench/checker.js`, or from bench/run.ts via `run()`.
 *
 * Times are for checking already-loaded histories (parsing excluded), best of 3 runs.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { HistoryOp } from '../src/core/history.js';
import {
  checkHistory,
  getModel,
  loadHistory,
  type AnyModel,
  type CheckOptions,
} from '../src/check/index.js';

/**
 * Porcupine v1.3.0 (Go, with state hashing) on a 2-core machine of this project's kind, in
 * seconds. Source: /work/shared/data/porcupine/README.md, "Reference timings" (copied into
 * test/fixtures/porcupine/README.md).
 */
export const PORCUPINE_REFERENCE_S = {
  etcdAll: [0.3, 0.7],
  c50OkPerKey: [0.14, 0.44],
  c10OkUnpartitioned: [1.8, 4.6],
} as const;

const RUNS = 3;
const FIXTURES = new URL('../../test/fixtures/porcupine/', import.meta.url);

interface Loaded {
  readonly file: string;
  readonly ops: HistoryOp[];
  readonly model: AnyModel;
  readonly options: CheckOptions;
  readonly expected: 'valid' | 'invalid';
}

function load(file: string, verdict: string, options: CheckOptions = {}): Loaded {
  const format = file.startsWith('jepsen/') ? 'jepsen-log' : 'edn';
  const loaded = loadHistory(readFileSync(new URL(file, FIXTURES), 'utf8'), format, file);
  const model = getModel(loaded.suggestedModel ?? '');
  if (!model) throw new Error(`no model for ${file}`);
  return {
    file,
    ops: loaded.ops,
    model,
    options: { ...options, initialValue: loaded.initialValue ?? null, timeoutMs: 120_000 },
    expected: verdict === 'linearizable' ? 'valid' : 'invalid',
  };
}

/** Checks every history once; returns seconds. Throws on a wrong verdict (a fast wrong
 * checker is no benchmark). */
function checkAll(histories: readonly Loaded[]): number {
  const start = performance.now();
  for (const h of histories) {
    const { verdict } = checkHistory(h.ops, h.model, h.options);
    if (verdict !== h.expected)
      throw new Error(`${h.file}: got ${verdict}, expected ${h.expected}`);
  }
  return (performance.now() - start) / 1000;
}

function bestOf(runs: number, f: () => number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, f());
  return best;
}

export async function run(): Promise<void> {
  const verdicts = JSON.parse(readFileSync(new URL('verdicts.json', FIXTURES), 'utf8')) as Record<
    string,
    string
  >;
  const etcd = Object.entries(verdicts)
    .filter(([file]) => file.startsWith('jepsen/'))
    .map(([file, v]) => load(file, v));
  const scenarios = [
    {
      name: `all ${etcd.length} etcd logs (register)`,
      histories: etcd,
      reference: PORCUPINE_REFERENCE_S.etcdAll,
    },
    {
      name: 'kv c50-ok, per key',
      histories: [load('kv/c50-ok.txt', verdicts['kv/c50-ok.txt'] ?? '')],
      reference: PORCUPINE_REFERENCE_S.c50OkPerKey,
    },
    {
      name: 'kv c10-ok, not partitioned',
      histories: [load('kv/c10-ok.txt', verdicts['kv/c10-ok.txt'] ?? '', { partition: false })],
      reference: PORCUPINE_REFERENCE_S.c10OkUnpartitioned,
    },
  ];

  const rows = scenarios.map(({ name, histories, reference }) => {
    const seconds = bestOf(RUNS, () => checkAll(histories));
    const [low, high] = reference;
    const mid = (low + high) / 2;
    return {
      scenario: name,
      'truthkit (s)': seconds.toFixed(3),
      'Porcupine (s)': `${low}–${high}`,
      'ratio to midpoint': (seconds / mid).toFixed(2),
      'ratio range': `${(seconds / high).toFixed(2)}–${(seconds / low).toFixed(2)}`,
      faster: seconds < low ? 'yes' : seconds < high ? 'within range' : 'no',
    };
  });
  console.log(
    `Linearizability checker vs Porcupine v1.3.0 (best of ${RUNS}; ratio = ours / theirs)`,
  );
  console.table(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
