/**
 * `npm run fuzz`: 1,000,000 in-process inputs spread over the targets (frames, client port, peer
 * port, etcd request decoding), then an end-to-end phase against a real node process. Prints
 * inputs/s per target, every finding with what replays it, and the node's RSS before and after.
 * Exits 1 on any finding.
 *
 *   npm run fuzz -- [--inputs N] [--seed S] [--e2e N] [--no-peer-snapshots] [--replay TARGET:INDEX]
 */
import type { Finding } from './target.js';
import { allTargets } from './targets.js';
import { runE2e } from './e2e.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`${name} takes a whole number ≥ 0, not ${process.argv[i + 1] ?? '(nothing)'}`);
    process.exit(2);
  }
  return v;
}

function print(f: Finding): void {
  console.log(`FINDING ${f.target} seed=${f.seed} index=${f.index}: ${f.problem}`);
  console.log(`  replay: npm run fuzz -- --seed ${f.seed} --replay ${f.target}:${f.index}`);
  console.log(`  input: ${f.input.length > 4000 ? f.input.slice(0, 4000) + '…' : f.input}`);
}

const seed = arg('--seed', Date.now() % 1_000_000);
const total = arg('--inputs', 1_000_000);
const e2eInputs = arg('--e2e', 3000);
const targets = allTargets();
const replayAt = process.argv.indexOf('--replay');
if (replayAt >= 0) {
  const [name, index] = (process.argv[replayAt + 1] ?? '').split(':');
  const t = targets.find((x) => x.name === name);
  if (t === undefined || !Number.isSafeInteger(Number(index))) {
    console.error(
      '--replay takes TARGET:INDEX, TARGET one of ' + targets.map((x) => x.name).join(', '),
    );
    process.exit(2);
  }
  const f = t.run(seed, Number(index));
  if (f === undefined) console.log('no finding: the input is handled');
  else print(f);
  process.exit(f === undefined ? 0 : 1);
}

console.log(
  `seed ${seed}: ${total} in-process inputs over ${targets.length} targets, then ${e2eInputs} end-to-end`,
);
const findings: Finding[] = [];
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
for (const t of targets) {
  const n = Math.floor(total / targets.length);
  const start = performance.now();
  let found = 0;
  for (let i = 0; i < n; i++) {
    const f = t.run(seed, i);
    if (f !== undefined) {
      found++;
      if (found <= 5) print(f);
      findings.push(f);
    }
  }
  t.close?.();
  const s = (performance.now() - start) / 1000;
  console.log(
    `${t.name}: ${n} inputs in ${s.toFixed(1)} s (${Math.round(n / s)}/s), ${found} findings`,
  );
}
const rssAfter = process.memoryUsage().rss;
console.log(
  `in-process: ${((performance.now() - t0) / 1000).toFixed(1)} s, fuzzer RSS ${(rssBefore / 1048576).toFixed(0)} → ${(rssAfter / 1048576).toFixed(0)} MiB`,
);
if (e2eInputs > 0) {
  const noPeerSnapshots = process.argv.includes('--no-peer-snapshots');
  const r = await runE2e({ seed, inputs: e2eInputs, parallel: 32, noPeerSnapshots }, (l) =>
    console.log(l),
  );
  for (const f of r.findings) print(f);
  findings.push(...r.findings);
  console.log(
    `end-to-end: ${r.inputs} inputs in ${(r.ms / 1000).toFixed(1)} s (${Math.round(r.inputs / (r.ms / 1000))}/s), ${r.findings.length} findings, node RSS ${(r.rssBefore / 1048576).toFixed(1)} → ${(r.rssAfter / 1048576).toFixed(1)} MiB`,
  );
}
console.log(`${findings.length} findings`);
process.exit(findings.length === 0 ? 0 : 1);
