import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation } from '../../src/sim/run.js';
import { getSystem } from '../../src/systems/index.js';

const cases: [string, string][] = [
  ['echo', 'all'],
  ['kv-single', 'all'],
  ['kv-async', 'partition-halves,duplicate'],
  ['kv-single', 'crash,clock-skew'],
];

for (const [name, nemesis] of cases) {
  test(`${name} under ${nemesis}: the same seed gives the same run, byte for byte`, () => {
    const system = getSystem(name)!;
    for (const seed of [1, 2, 99]) {
      const a = runSimulation({ system, seed, nemesis, keepTrace: true, workload: { ops: 300 } });
      const b = runSimulation({ system, seed, nemesis, keepTrace: true, workload: { ops: 300 } });
      assert.equal(a.traceDigest, b.traceDigest);
      assert.equal(JSON.stringify(a.trace), JSON.stringify(b.trace));
      assert.equal(JSON.stringify(a.history), JSON.stringify(b.history));
    }
  });
}

test('different seeds give different runs', () => {
  const system = getSystem('kv-single')!;
  const digests = new Set(
    [1, 2, 3, 4].map(
      (seed) => runSimulation({ system, seed, nemesis: 'all', workload: { ops: 200 } }).traceDigest,
    ),
  );
  assert.equal(digests.size, 4);
});

test('adding a fault does not reshuffle what each client asks', () => {
  const system = getSystem('kv-single')!;
  const perClient = (nemesis: string) => {
    const run = runSimulation({ system, seed: 5, nemesis, workload: { ops: 300 } });
    const out = new Map<number, string[]>();
    for (const op of run.history) {
      const list = out.get(op.process) ?? [];
      // A cas compares with the last value the client saw, which faults may change.
      list.push(`${op.f} ${op.key} ${op.f === 'cas' ? '' : JSON.stringify(op.value)}`);
      out.set(op.process, list);
    }
    return out;
  };
  const calm = perClient('none');
  const stormy = perClient('crash,partition-halves,lossy');
  for (const [process, ops] of stormy) {
    const same = calm.get(process)!;
    const n = Math.min(ops.length, same.length);
    assert.ok(n > 20);
    assert.deepEqual(ops.slice(0, n), same.slice(0, n), `client ${process}`);
  }
});
