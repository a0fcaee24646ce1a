/**
 * What keeps a check cheap in a fresh process (docs/checker.md, "Conformance and
 * performance"): no perf_hooks for the clock, events ordered without a comparator callback,
 * a memo sized by the partition, the longest prefix kept without copying at every step. Timing
 * is bench/checker.ts's job; these pin the mechanisms and that they keep their meaning.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkHistory, kvModel, registerModel } from '../../src/check/index.js';
import { EventList, orderByTime } from '../../src/check/event-list.js';
import { PartitionSearch, type SearchOp } from '../../src/check/linearizability.js';
import { initialEntries, SearchCache } from '../../src/check/search-cache.js';
import { singleObjectSpec } from '../../src/check/search-spec.js';
import { ValueTable } from '../../src/check/value-table.js';
import { history } from './helpers.js';

/** xorshift32: the same "random" arrays every run. */
function numbers(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('events in time order without a comparator', () => {
  test('orderByTime is a stable sort: by time, ties by index, Infinity last', () => {
    const next = numbers(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = trial % 67;
      const times = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r = next();
        // Few distinct values, so ties are common; some at Infinity (unknown outcomes); a
        // third of the arrays already sorted (the fast path).
        times[i] = r < 0.1 ? Infinity : Math.floor(next() * 8);
      }
      if (trial % 3 === 0) times.sort();
      const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
        times[a] === times[b] ? a - b : (times[a] as number) - (times[b] as number),
      );
      assert.deepEqual([...orderByTime(times)], expected, `trial ${trial}: ${[...times]}`);
    }
  });

  test('at one instant calls come before returns, and ops by their order in the list', () => {
    // op 0: [0, 5]; op 1: [5, 5]; op 2: [5, ∞]; op 3: [1, 5].
    const list = new EventList([
      { invoke: 0, returnsAt: 5 },
      { invoke: 5, returnsAt: 5 },
      { invoke: 5, returnsAt: Infinity },
      { invoke: 1, returnsAt: 5 },
    ]);
    const events: string[] = [];
    for (let e = list.next[list.head] as number; e !== -1; e = list.next[e] as number)
      events.push(`${list.isCall[e] === 1 ? 'call' : 'return'} ${list.opOf[e]}`);
    assert.deepEqual(events, [
      'call 0',
      'call 3',
      'call 1',
      'call 2',
      'return 0',
      'return 1',
      'return 3',
      'return 2',
    ]);
  });
});

describe('memo sized by the partition', () => {
  test('a small partition starts with a small memo, a large one with at most 512 entries', () => {
    assert.equal(initialEntries(0), 16);
    assert.equal(initialEntries(5), 16);
    assert.equal(initialEntries(9), 32);
    assert.equal(initialEntries(60), 128);
    assert.equal(initialEntries(256), 512);
    assert.equal(initialEntries(100_000), 512);
    assert.equal(new SearchCache(1, (a, b) => a === b, 10).capacity, 32);
  });

  test('a memo that outgrows its first guess still answers exactly', () => {
    const cache = new SearchCache(1, (a, b) => a === b, 1);
    const bits = new Uint32Array(1);
    // Every hash the same: entries are told apart by their bitsets and states alone.
    for (let i = 0; i < 200; i++) {
      bits[0] = i;
      assert.equal(cache.add(42, bits, i % 3), true);
    }
    for (let i = 0; i < 200; i++) {
      bits[0] = i;
      assert.equal(cache.add(42, bits, i % 3), false, `entry ${i} remembered`);
      assert.equal(cache.add(42, bits, (i % 3) + 1), true, `entry ${i} with another state is new`);
    }
    assert.ok(cache.capacity >= 400);
  });
});

describe('the longest prefix', () => {
  function search(ops: ReturnType<typeof history>): PartitionSearch {
    const searchOps: SearchOp[] = ops.map((op) => ({
      invoke: op.invoke,
      returnsAt: op.complete,
      required: true,
    }));
    const spec = singleObjectSpec(registerModel, ops, new ValueTable(), { initialValue: null });
    return new PartitionSearch(searchOps, spec);
  }

  test('is kept when the search stops deep, with nothing to backtrack from', () => {
    const s = search(
      history(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
        { process: 0, f: 'read', result: 1, invoke: 2, complete: 3 },
        { process: 0, f: 'write', value: 2, invoke: 4, complete: 5 },
      ),
    );
    s.run(1000);
    assert.equal(s.status, 'valid');
    assert.deepEqual(s.longest, [0, 1, 2]);
  });

  test('is the first sequence to reach the greatest depth, as the search backtracks', () => {
    // Two concurrent writes, then a read of 1 and a read of 2: write 2 → write 1 → read 1 is the
    // deepest (3), found after write 1 → write 2 fails at read 1; read 2 then fails.
    const s = search(
      history(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 3 },
        { process: 1, f: 'write', value: 2, invoke: 0, complete: 3 },
        { process: 0, f: 'read', result: 1, invoke: 4, complete: 5 },
        { process: 1, f: 'read', result: 2, invoke: 6, complete: 7 },
      ),
    );
    // One slice: the search ends back at depth 0, so only what it kept on the way down counts.
    s.run(1000);
    assert.equal(s.status, 'invalid');
    assert.deepEqual(s.longest, [1, 0, 2]);
  });
});

describe('the clock', () => {
  test('a check in a fresh process does not load perf_hooks', () => {
    // Node builds `performance` on first use, loading perf_hooks: ~2 ms, as much as a small
    // check. The checker reads process.hrtime instead.
    const index = fileURLToPath(new URL('../../src/check/index.js', import.meta.url));
    const script = `
      const { checkHistory, kvModel } = await import(${JSON.stringify(index)});
      const r = checkHistory([
        { id: 0, process: 0, f: 'put', key: 'k', value: 'a', invoke: 0, complete: 1, outcome: 'ok' },
        { id: 1, process: 1, f: 'get', key: 'k', invoke: 2, complete: 3, outcome: 'ok', result: 'a' },
      ], kvModel, { timeoutMs: 1000 });
      console.log(JSON.stringify({
        verdict: r.verdict,
        wallMs: r.wallMs,
        perfHooks: process.moduleLoadList.filter((m) => m.includes('perf_hooks')),
      }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { verdict: string; wallMs: number; perfHooks: string[] };
    assert.equal(out.verdict, 'valid');
    assert.ok(out.wallMs >= 0 && out.wallMs < 20_000, `wallMs ${out.wallMs}`);
    assert.deepEqual(out.perfHooks, []);
  });

  test('the budget still stops a search by the clock', () => {
    // 40 concurrent writes of distinct values, every read impossible: a search too large to
    // finish, so only the clock ends it.
    const ops = history(
      ...Array.from({ length: 40 }, (_, i) => ({
        process: i,
        f: 'put',
        key: 'k',
        value: `v${i}`,
        invoke: 0,
        complete: 100,
      })),
      { process: 99, f: 'get', key: 'k', result: 'none', invoke: 200, complete: 201 },
    );
    const r = checkHistory(ops, kvModel, { timeoutMs: 30 });
    assert.equal(r.verdict, 'unknown');
  });
});
