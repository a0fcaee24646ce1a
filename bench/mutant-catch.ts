/**
 * Seeds to the first catch of every mutant under `--swarm`: for each (system, mutant), five
 * disjoint seed ranges are searched from their first seed on, up to MUTANT_BENCH_MAX seeds each
 * (default 200, the goal), and the median of the five counts is printed (a range that never
 * catches counts as "> max"). A catch is a seed whose mutant run is invalid while the correct
 * system's run of that seed is not (src/sim/mutant-catch.ts). MUTANT_BENCH_ONLY=substring
 * restricts it to matching `system/mutant` names.
 */
import { pathToFileURL } from 'node:url';
import '../src/protocols/pbft/ed25519.js';
import { firstCatch } from '../src/sim/mutant-catch.js';
import { systems } from '../src/systems/index.js';

const RANGES = [1, 100_001, 200_001, 300_001, 400_001];

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} wants a positive integer, got ${v}`);
  return n;
}

export async function run(): Promise<void> {
  const max = envInt('MUTANT_BENCH_MAX', 200);
  const only = process.env['MUTANT_BENCH_ONLY'];
  console.log(
    `mutant catch — seeds to the first catch under --swarm, median of ${RANGES.length} ranges ` +
      `(from seeds ${RANGES.join(', ')}), at most ${max} seeds per range`,
  );
  for (const system of systems()) {
    for (const m of system.mutants) {
      const name = `${system.name}/${m.name}`;
      if (only !== undefined && !name.includes(only)) continue;
      const started = performance.now();
      const counts = RANGES.map(
        (from) => firstCatch({ system, mutant: m.name, from, seeds: max }).seed,
      ).map((seed, i) => (seed === null ? Infinity : seed - (RANGES[i] as number) + 1));
      const sorted = [...counts].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)] as number;
      const show = (n: number): string => (n === Infinity ? `>${max}` : String(n));
      console.log(
        `  ${name.padEnd(36)} median ${show(median).padStart(5)}  ranges ${counts.map(show).join(' ')}` +
          `  (${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
