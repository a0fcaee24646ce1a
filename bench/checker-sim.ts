/**
 * Small simulator histories for the checker benchmark (bench/checker.ts), written to files so
 * that a fresh process can check each one (bench/checker-cold.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJsonLines } from '../src/core/history.js';
import { runSimulation } from '../src/sim/run.js';
import { getSystem } from '../src/systems/index.js';

export interface SimHistoryFile {
  readonly path: string;
  readonly model: string;
  readonly ops: number;
}

/** The simulator's replicated kv stores, whose histories the kv model judges. */
const SIM_SYSTEMS = ['kv-raft', 'kv-paxos', 'etcd-raft'] as const;

/**
 * `count` small histories from the simulator, written as JSON lines into `dir`: seeds 1…count
 * over the three replicated kv stores in turn, every nemesis plan, 60 to 300 operations (the
 * sizes a simulator sweep judges by the thousand). Deterministic: the same files every run.
 */
export function writeSimHistories(dir: string, count: number): SimHistoryFile[] {
  const files: SimHistoryFile[] = [];
  for (let i = 0; i < count; i++) {
    const name = SIM_SYSTEMS[i % SIM_SYSTEMS.length] as string;
    const system = getSystem(name);
    if (!system?.model) throw new Error(`${name}: no such system, or no model to check it with`);
    const ops = 60 + ((i * 37) % 241);
    const run = runSimulation({ system, seed: i + 1, nemesis: 'all', workload: { ops } });
    const path = join(dir, `sim-${String(i).padStart(3, '0')}.jsonl`);
    writeFileSync(path, historyToJsonLines(run.history));
    files.push({ path, model: system.model, ops: run.history.length });
  }
  return files;
}
