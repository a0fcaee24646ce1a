/**
 * Simulator speed: delivered messages per wall second for `echo` on 5 nodes (target ≥ 1,000,000),
 * and how much faster than real time `kv-async` on 5 nodes runs under every nemesis.
 */
import os from 'node:os';
import { runSimulation } from '../src/sim/run.js';
import { getSystem } from '../src/systems/index.js';
import { pathToFileURL } from 'node:url';

const ECHO_TARGET = 1_000_000;

function best<T extends { wallMs: number }>(runs: number, f: () => T): T {
  let out: T | undefined;
  for (let i = 0; i < runs; i++) {
    const r = f();
    if (out === undefined || r.wallMs < out.wallMs) out = r;
  }
  return out as T;
}

export async function run(): Promise<void> {
  const echo = getSystem('echo');
  const kvAsync = getSystem('kv-async');
  if (echo === undefined || kvAsync === undefined) throw new Error('reference systems missing');
  console.log(`simulator — Node ${process.version}, ${os.cpus().length} cores (best of 3 runs)`);
  const e = best(3, () =>
    runSimulation({ system: echo, nodes: 5, seed: 1, workload: { ops: 20_000, thinkMs: 50 } }),
  );
  const rate = (e.messages.delivered / e.wallMs) * 1000;
  console.log(
    `  echo, 5 nodes: ${e.messages.delivered} messages delivered in ${e.wallMs.toFixed(0)} ms wall` +
      ` = ${Math.round(rate).toLocaleString('en-US')} msg/s; target ${ECHO_TARGET.toLocaleString('en-US')}` +
      ` → ratio ${(rate / ECHO_TARGET).toFixed(2)}×`,
  );
  const k = best(3, () =>
    runSimulation({
      system: kvAsync,
      nodes: 5,
      seed: 1,
      nemesis: 'all',
      workload: { ops: 10_000 },
    }),
  );
  console.log(
    `  kv-async, 5 nodes, nemesis all: ${k.virtualMs.toFixed(0)} virtual ms in ${k.wallMs.toFixed(0)} ms wall` +
      ` = ${(k.virtualMs / k.wallMs).toFixed(1)}× faster than real time (${k.events} events)`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
