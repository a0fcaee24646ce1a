/**
 * The histories the checker benchmark times, shared by the benchmark (bench/checker.ts) and the
 * fresh process it starts for every cold measurement (bench/checker-cold.ts): Porcupine's three
 * data sets, and any history file (the simulator's, bench/checker-sim.ts). Nothing here loads
 * the simulator, so a fresh process loads what `truthkit check` loads.
 */
import { readFileSync } from 'node:fs';
import type { HistoryOp } from '../src/core/history.js';
import {
  checkHistory,
  getModel,
  loadHistory,
  type AnyModel,
  type CheckOptions,
  type HistoryFormat,
} from '../src/check/index.js';

export interface Loaded {
  readonly file: string;
  readonly ops: HistoryOp[];
  readonly model: AnyModel;
  readonly options: CheckOptions;
  /** The verdict the history must get; a fast wrong checker is no benchmark. */
  readonly expected: 'valid' | 'invalid' | undefined;
}

const FIXTURES = new URL('../../test/fixtures/porcupine/', import.meta.url);

function porcupineVerdicts(): Record<string, string> {
  return JSON.parse(readFileSync(new URL('verdicts.json', FIXTURES), 'utf8')) as Record<
    string,
    string
  >;
}

/** Loads (reads and parses) one history; `modelName` overrides the format's own model. */
export function loadFile(
  path: string,
  format: HistoryFormat,
  options: CheckOptions = {},
  modelName?: string,
  expected?: 'valid' | 'invalid',
): Loaded {
  const loaded = loadHistory(readFileSync(path, 'utf8'), format, path);
  const name = modelName ?? loaded.suggestedModel ?? '';
  const model = getModel(name);
  if (!model) throw new Error(`no model "${name}" for ${path}`);
  return {
    file: path,
    ops: loaded.ops,
    model,
    options: { ...options, initialValue: loaded.initialValue ?? null, timeoutMs: 120_000 },
    expected,
  };
}

function porcupine(file: string, verdicts: Record<string, string>, options?: CheckOptions): Loaded {
  const format = file.startsWith('jepsen/') ? 'jepsen-log' : 'edn';
  const verdict = verdicts[file];
  if (verdict === undefined) throw new Error(`${file}: no verdict in verdicts.json`);
  const path = new URL(file, FIXTURES).pathname;
  return loadFile(
    path,
    format,
    options,
    undefined,
    verdict === 'linearizable' ? 'valid' : 'invalid',
  );
}

/** Porcupine's data sets as its own benchmark splits them, by name. */
export const PORCUPINE_SETS = ['etcd', 'c50-ok', 'c10-ok-unpartitioned'] as const;
export type PorcupineSet = (typeof PORCUPINE_SETS)[number];

export function loadPorcupineSet(set: PorcupineSet): Loaded[] {
  const verdicts = porcupineVerdicts();
  switch (set) {
    case 'etcd':
      return Object.keys(verdicts)
        .filter((file) => file.startsWith('jepsen/'))
        .map((file) => porcupine(file, verdicts));
    case 'c50-ok':
      return [porcupine('kv/c50-ok.txt', verdicts)];
    case 'c10-ok-unpartitioned':
      return [porcupine('kv/c10-ok.txt', verdicts, { partition: false })];
  }
}

/** Checks every history once; returns seconds. Throws on a wrong verdict. */
export function checkAll(histories: readonly Loaded[]): number {
  // Not performance.now(): its first use loads perf_hooks, which a cold check must not pay
  // for (nor be flattered by having had it loaded before).
  const start = process.hrtime.bigint();
  for (const h of histories) {
    const { verdict } = checkHistory(h.ops, h.model, h.options);
    if (h.expected !== undefined && verdict !== h.expected)
      throw new Error(`${h.file}: got ${verdict}, expected ${h.expected}`);
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}
