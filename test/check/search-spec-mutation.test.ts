/**
 * keyedSpec, the combined state the search runs on when partitioning is off (several objects in
 * one partition): a 32-way persistent trie of per-key states with an incrementally kept hash.
 * Checked against a plain array of per-key register states, over key counts that give the trie
 * one, two and three levels, so that every path copy, lookup and hash update is compared with
 * the obvious implementation. (The mutation run of docs/testing.md found this module's trie
 * reached by no fast test.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistoryOp } from '../../src/core/history.js';
import { streamFor } from '../../src/core/random.js';
import { registerModel } from '../../src/check/models/register.js';
import { keyedSpec, singleObjectSpec, type SearchSpec } from '../../src/check/search-spec.js';
import { ValueTable } from '../../src/check/value-table.js';

function op(id: number, f: 'read' | 'write', key: string, value: number | null): HistoryOp {
  return f === 'write'
    ? { id, process: 0, f, key, value, invoke: id, complete: id, outcome: 'ok' }
    : { id, process: 0, f, key, invoke: id, complete: id, outcome: 'ok', result: value };
}

interface Fixture {
  readonly spec: SearchSpec;
  readonly ops: readonly HistoryOp[];
  readonly keys: readonly string[];
}

/** `count` keys, `writes` writes spread over them, and for each a read of the value written. */
function fixture(count: number, writes: number, seed: number): Fixture {
  const random = streamFor(seed, 'search-spec-test');
  const keys = Array.from({ length: count }, (_, i) => `k${i}`);
  const ops: HistoryOp[] = [];
  for (let i = 0; i < writes; i++) {
    const key = random.pick(keys);
    const value = 1 + random.int(3);
    ops.push(op(ops.length, 'write', key, value));
    ops.push(op(ops.length, 'read', key, value));
  }
  // Every key appears at least once, in order, so key k has index k in the spec.
  const all = keys.map((k, i) => op(i, 'read', k, null));
  const history = [...all, ...ops.map((o, i) => ({ ...o, id: all.length + i }))];
  const spec = keyedSpec(registerModel, history, (o) => o.key, new ValueTable(), {});
  return { spec, ops: history, keys };
}

/** The description the spec gives of `values` (per-key register values, null when absent). */
function describeRef(keys: readonly string[], values: readonly (number | null)[]): string {
  const parts = keys.map(
    (k, i) => `${JSON.stringify(k)}: ${values[i] === null ? 'absent' : values[i]}`,
  );
  return `{${parts.join(', ')}}`;
}

for (const count of [1, 5, 33, 1100]) {
  describe(`keyedSpec over ${count} key(s)`, () => {
    const { spec, ops, keys } = fixture(count, 400, count);

    test('each step changes exactly the key it names, as a plain array would', () => {
      let state = spec.init;
      const ref: (number | null)[] = keys.map(() => null);
      const describedInit = spec.describeState(state);
      for (let i = 0; i < ops.length; i++) {
        const o = ops[i]!;
        const k = Number(o.key!.slice(1));
        const next = spec.step(state, spec.inputs[i]);
        if (o.f === 'read') {
          const fits = ref[k] === (o.result ?? null);
          assert.equal(next !== undefined, fits, `read ${o.key} of ${String(o.result)}`);
          // A read changes nothing: the very same state comes back.
          if (next !== undefined) assert.equal(next, state);
          continue;
        }
        assert.notEqual(next, undefined);
        ref[k] = o.value as number;
        state = next;
      }
      const described = spec.describeState(state);
      assert.equal(described, describeRef(keys, ref));
      assert.notEqual(described, describedInit);
    });

    test('equal states are equal and hash alike, whatever the path; one key apart they are not', () => {
      // Writes of two keys, applied in both orders, give equal states.
      const write = (key: string, value: number): unknown => {
        const i = ops.findIndex((o) => o.f === 'write' && o.key === key && o.value === value);
        return i < 0 ? undefined : spec.inputs[i];
      };
      const written = ops.filter((o) => o.f === 'write').map((o) => o.key!);
      const a = written[0]!;
      const b = written.find((k) => k !== a) ?? a;
      const wa = write(a, 1) ?? write(a, 2) ?? write(a, 3);
      const wb = write(b, 1) ?? write(b, 2) ?? write(b, 3);
      if (wa === undefined || wb === undefined) return assert.fail('fixture lacks writes');
      const ab = spec.step(spec.step(spec.init, wa), wb);
      const ba = spec.step(spec.step(spec.init, wb), wa);
      assert.ok(spec.equal(ab, ba));
      assert.equal(spec.hash(ab), spec.hash(ba));
      if (a !== b) {
        const onlyA = spec.step(spec.init, wa);
        assert.ok(!spec.equal(ab, onlyA), 'states one key apart are not equal');
        assert.notEqual(spec.hash(ab), spec.hash(onlyA));
        assert.ok(!spec.equal(onlyA, spec.init));
      }
      assert.ok(spec.equal(spec.init, spec.init));
    });

    test('a key written away and back hashes and compares as the state it left', () => {
      const i = ops.findIndex((o) => o.f === 'write');
      const o = ops[i]!;
      const j = ops.findIndex((p) => p.f === 'write' && p.key === o.key && p.value !== o.value);
      if (j < 0) return assert.fail('fixture lacks a second value for one key');
      const s1 = spec.step(spec.init, spec.inputs[i]);
      const s2 = spec.step(s1, spec.inputs[j]);
      const s3 = spec.step(s2, spec.inputs[i]);
      assert.notEqual(s3, s1, 'a new state object');
      assert.ok(spec.equal(s3, s1));
      assert.equal(spec.hash(s3), spec.hash(s1));
      assert.ok(!spec.equal(s2, s1));
    });
  });
}

test('swapping two keys’ values changes the state and its hash (the per-key salts)', () => {
  const history = [
    op(0, 'write', 'x', 1),
    op(1, 'write', 'y', 2),
    op(2, 'write', 'x', 2),
    op(3, 'write', 'y', 1),
  ];
  const spec = keyedSpec(registerModel, history, (o) => o.key, new ValueTable(), {});
  const [x1, y2, x2, y1] = spec.inputs;
  const s = spec.step(spec.step(spec.init, x1), y2);
  const swapped = spec.step(spec.step(spec.init, x2), y1);
  assert.ok(!spec.equal(s, swapped));
  assert.notEqual(spec.hash(s), spec.hash(swapped));
});

test('operations without a key share one object, described as (no key)', () => {
  const history: HistoryOp[] = [
    { id: 0, process: 0, f: 'write', value: 7, invoke: 0, complete: 1, outcome: 'ok' },
    { id: 1, process: 0, f: 'write', key: 'k', value: 8, invoke: 0, complete: 1, outcome: 'ok' },
  ];
  const spec = keyedSpec(registerModel, history, (o) => o.key, new ValueTable(), {});
  const s = spec.step(spec.step(spec.init, spec.inputs[0]), spec.inputs[1]);
  assert.match(spec.describeState(s), /^\{\(no key\): 7, "k": 8\}$/);
});

test('states whose hashes collide are still told apart, cell by cell, at every depth of the trie', () => {
  // A model whose every state hashes alike: equality must come from comparing the cells.
  const colliding = { ...registerModel, hash: () => 0 };
  for (const count of [3, 40, 1100]) {
    const keys = Array.from({ length: count }, (_, i) => `k${i}`);
    const history = [
      ...keys.map((k, i) => op(i, 'read', k, null)),
      op(count, 'write', keys[count - 1]!, 1),
      op(count + 1, 'write', keys[0]!, 1),
    ];
    const spec = keyedSpec(colliding, history, (o) => o.key, new ValueTable(), {});
    const last = spec.step(spec.init, spec.inputs[count]);
    const first = spec.step(spec.init, spec.inputs[count + 1]);
    assert.equal(spec.hash(last), spec.hash(first));
    assert.ok(!spec.equal(last, first), `${count} keys: different keys written`);
    assert.ok(!spec.equal(last, spec.init), `${count} keys: a write against none`);
    assert.ok(spec.equal(last, spec.step(spec.init, spec.inputs[count])), `${count} keys: alike`);
  }
});

test('a single object is described by its model', () => {
  const history = [op(0, 'write', 'x', 4)];
  const spec = singleObjectSpec(registerModel, history, new ValueTable(), {});
  assert.equal(spec.describeState(spec.step(spec.init, spec.inputs[0])), '4');
});
