/**
 * The linearizability checker's rules, each on the smallest history that needs it (the WGL
 * search of linearizability.ts, its event order in event-list.ts, the driver in
 * check-history.ts): real-time order, concurrency, failed and unknown outcomes, backtracking,
 * partitions by key, budgets and validation. Each test is named for the rule a mutant breaks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistory, HistoryError, kvModel, registerModel } from '../../src/check/index.js';
import { EventList, orderByTime } from '../../src/check/event-list.js';
import { PartitionSearch, type SearchOp } from '../../src/check/linearizability.js';
import { singleObjectSpec } from '../../src/check/search-spec.js';
import { ValueTable } from '../../src/check/value-table.js';
import { history } from './helpers.js';

const verdict = (...specs: Parameters<typeof history>): string =>
  checkHistory(history(...specs), registerModel).verdict;

describe('real-time order', () => {
  test('a read that starts after a write completed must see it (stale read)', () => {
    assert.equal(
      verdict(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
        { process: 1, f: 'read', result: null, invoke: 20, complete: 30 },
      ),
      'invalid',
    );
  });

  test('a read concurrent with a write may see either value', () => {
    for (const result of [null, 1]) {
      assert.equal(
        verdict(
          { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
          { process: 1, f: 'read', result, invoke: 5, complete: 30 },
        ),
        'valid',
        `read ${result}`,
      );
    }
  });

  test('operations that share a timestamp are concurrent: a call at t precedes a return at t', () => {
    assert.equal(
      verdict(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
        { process: 1, f: 'read', result: null, invoke: 10, complete: 20 },
      ),
      'valid',
    );
  });

  test('a value read before it was written is impossible', () => {
    assert.equal(
      verdict(
        { process: 1, f: 'read', result: 1, invoke: 0, complete: 5 },
        { process: 0, f: 'write', value: 1, invoke: 10, complete: 20 },
      ),
      'invalid',
    );
  });
});

describe('search', () => {
  test('backtracking: the order that works is not the first one tried', () => {
    // w1 and w2 are concurrent; a later read of 1 needs w2 before w1.
    assert.equal(
      verdict(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
        { process: 1, f: 'write', value: 2, invoke: 0, complete: 10 },
        { process: 2, f: 'read', result: 1, invoke: 20, complete: 30 },
        { process: 2, f: 'read', result: 1, invoke: 40, complete: 50 },
      ),
      'valid',
    );
    assert.equal(
      verdict(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
        { process: 1, f: 'write', value: 2, invoke: 0, complete: 10 },
        { process: 2, f: 'read', result: 1, invoke: 20, complete: 30 },
        { process: 2, f: 'read', result: 2, invoke: 40, complete: 50 },
      ),
      'invalid',
      'once 1 is read after both writes, 2 can never come back',
    );
  });

  test('cas: a swap from a value that was overwritten is impossible', () => {
    assert.equal(
      verdict(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
        { process: 0, f: 'write', value: 2, invoke: 20, complete: 30 },
        { process: 1, f: 'cas', value: [1, 3], result: true, invoke: 40, complete: 50 },
      ),
      'invalid',
    );
    assert.equal(
      verdict(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
        { process: 1, f: 'cas', value: [1, 3], result: true, invoke: 20, complete: 30 },
        { process: 1, f: 'read', result: 3, invoke: 40, complete: 50 },
      ),
      'valid',
    );
  });

  test('the longest linearized prefix is kept for the evidence', () => {
    const values = new ValueTable();
    const ops = history(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
      { process: 0, f: 'write', value: 2, invoke: 20, complete: 30 },
      { process: 1, f: 'read', result: 1, invoke: 40, complete: 50 },
    );
    const searchOps: SearchOp[] = ops.map((o) => ({
      invoke: o.invoke,
      returnsAt: o.complete,
      required: true,
    }));
    const search = new PartitionSearch(
      searchOps,
      singleObjectSpec(registerModel, ops, values, { initialValue: null }),
    );
    assert.equal(search.status, 'running');
    const steps = search.run(1000);
    assert.equal(search.status, 'invalid');
    assert.equal(search.steps, steps);
    assert.ok(steps > 0);
    assert.deepEqual(search.longest, [0, 1]);
    assert.equal(search.run(1000), 0, 'a finished search takes no more steps');
  });

  test('a search paused by its step budget resumes where it stopped', () => {
    const values = new ValueTable();
    const ops = history(
      { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
      { process: 1, f: 'write', value: 2, invoke: 0, complete: 10 },
      { process: 2, f: 'read', result: 1, invoke: 20, complete: 30 },
    );
    const searchOps: SearchOp[] = ops.map((o) => ({
      invoke: o.invoke,
      returnsAt: o.complete,
      required: true,
    }));
    const search = new PartitionSearch(
      searchOps,
      singleObjectSpec(registerModel, ops, values, { initialValue: null }),
    );
    let total = 0;
    while (search.status === 'running') {
      const taken = search.run(1);
      assert.ok(taken <= 1);
      total += taken;
      assert.ok(total < 100, 'the search ends');
    }
    assert.equal(search.status, 'valid');
    assert.equal(search.steps, total);
  });

  test('nothing required: valid before any step', () => {
    const values = new ValueTable();
    const ops = history({ process: 0, f: 'write', value: 1, invoke: 0, complete: 10 });
    const search = new PartitionSearch(
      [{ invoke: 0, returnsAt: Number.POSITIVE_INFINITY, required: false }],
      singleObjectSpec(registerModel, ops, values, { initialValue: null }),
    );
    assert.equal(search.status, 'valid');
    assert.equal(search.run(10), 0);
  });
});

describe('outcomes', () => {
  test('a failed write never happened', () => {
    assert.equal(
      verdict(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 10, outcome: 'fail' },
        { process: 1, f: 'read', result: 1, invoke: 20, complete: 30 },
      ),
      'invalid',
    );
  });

  test('an unknown write may take effect, late, or never', () => {
    const w = {
      process: 0,
      f: 'write',
      value: 1,
      invoke: 0,
      complete: 10,
      outcome: 'unknown',
    } as const;
    assert.equal(
      verdict(w, { process: 1, f: 'read', result: null, invoke: 20, complete: 30 }),
      'valid',
    );
    assert.equal(
      verdict(w, { process: 1, f: 'read', result: 1, invoke: 20, complete: 30 }),
      'valid',
    );
    assert.equal(
      verdict(
        w,
        { process: 1, f: 'read', result: null, invoke: 100, complete: 110 },
        { process: 1, f: 'read', result: 1, invoke: 200, complete: 210 },
      ),
      'valid',
      'it may take effect long after its client gave up',
    );
    assert.equal(
      verdict(
        w,
        { process: 1, f: 'read', result: 1, invoke: 100, complete: 110 },
        { process: 1, f: 'read', result: null, invoke: 200, complete: 210 },
      ),
      'invalid',
      'but only once',
    );
  });

  test('an unknown write cannot take effect before it was invoked', () => {
    assert.equal(
      verdict(
        { process: 1, f: 'read', result: 1, invoke: 0, complete: 5 },
        { process: 0, f: 'write', value: 1, invoke: 10, complete: 20, outcome: 'unknown' },
      ),
      'invalid',
    );
  });

  test('an unknown read and a failed read constrain nothing', () => {
    assert.equal(
      verdict(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
        { process: 1, f: 'read', invoke: 20, complete: 30, outcome: 'unknown' },
        { process: 2, f: 'read', result: 7, invoke: 20, complete: 30, outcome: 'fail' },
      ),
      'valid',
    );
  });

  test('an unknown operation still counts in ops, and steps are counted', () => {
    const r = checkHistory(
      history(
        { process: 0, f: 'write', value: 1, invoke: 0, complete: 10 },
        { process: 1, f: 'read', invoke: 20, complete: 30, outcome: 'unknown' },
        { process: 1, f: 'read', result: 1, invoke: 40, complete: 50 },
      ),
      registerModel,
    );
    assert.equal(r.verdict, 'valid');
    assert.equal(r.ops, 3);
    assert.equal(r.partitions, 1);
    assert.ok(r.steps >= 2, `${r.steps} steps`);
    assert.equal(r.undecided, undefined);
    assert.equal(r.evidence, undefined);
    assert.ok(r.wallMs >= 0);
  });
});

describe('partitions', () => {
  const kv = history(
    { process: 0, f: 'put', key: 'a', value: 'x', invoke: 0, complete: 10 },
    { process: 1, f: 'put', key: 'b', value: 'y', invoke: 0, complete: 10 },
    { process: 2, f: 'get', key: 'a', result: 'x', invoke: 20, complete: 30 },
    { process: 2, f: 'get', key: 'b', result: null, invoke: 40, complete: 50 },
  );

  test('each key is checked alone, and the failing key is named', () => {
    const r = checkHistory(kv, kvModel);
    assert.equal(r.verdict, 'invalid');
    assert.equal(r.partitions, 2);
    assert.equal(r.evidence?.partition, 'b');
  });

  test('without partitioning one search over every key reaches the same verdict', () => {
    const r = checkHistory(kv, kvModel, { partition: false });
    assert.equal(r.verdict, 'invalid');
    assert.equal(r.partitions, 1);
    assert.equal(r.evidence?.partition, null);
    const ok = checkHistory(kv.slice(0, 3), kvModel, { partition: false });
    assert.equal(ok.verdict, 'valid');
  });

  test('keys do not constrain each other', () => {
    const r = checkHistory(
      history(
        { process: 0, f: 'put', key: 'a', value: 'x', invoke: 0, complete: 10 },
        { process: 1, f: 'get', key: 'b', result: null, invoke: 20, complete: 30 },
        { process: 1, f: 'get', key: 'a', result: 'x', invoke: 40, complete: 50 },
      ),
      kvModel,
      { partition: false },
    );
    assert.equal(r.verdict, 'valid');
  });

  test('an empty history is valid', () => {
    const r = checkHistory([], kvModel);
    assert.equal(r.verdict, 'valid');
    assert.equal(r.partitions, 1);
    assert.equal(r.ops, 0);
  });

  test('initialValue: every key starts at the given value', () => {
    const ops = history({ process: 0, f: 'get', key: 'a', result: '', invoke: 0, complete: 1 });
    assert.equal(checkHistory(ops, kvModel).verdict, 'invalid');
    assert.equal(checkHistory(ops, kvModel, { initialValue: '' }).verdict, 'valid');
  });
});

describe('budget and validation', () => {
  test('a step budget too small for the search answers unknown and names the partition', () => {
    const specs = [];
    for (let p = 0; p < 8; p++)
      specs.push({ process: p, f: 'write', value: p, invoke: 0, complete: 100 });
    specs.push({ process: 20, f: 'read', result: 99, invoke: 50, complete: 60 });
    const r = checkHistory(history(...specs), registerModel, { maxSteps: 10 });
    assert.equal(r.verdict, 'unknown');
    assert.deepEqual(r.undecided, [null]);
    assert.ok(r.steps <= 10);
    assert.equal(
      checkHistory(history(...specs), registerModel, { maxSteps: 10_000_000 }).verdict,
      'invalid',
    );
  });

  test('an operation that completes before it is invoked is refused with its id', () => {
    assert.throws(
      () =>
        checkHistory(
          history(
            { process: 0, f: 'write', value: 1, invoke: 0, complete: 1 },
            { process: 0, f: 'write', value: 1, invoke: 10, complete: 5 },
          ),
          registerModel,
        ),
      (e: unknown) =>
        e instanceof HistoryError && /operation 1 \(write\): completes before/.test(e.message),
    );
    const same = history({ process: 0, f: 'write', value: 1, invoke: 5, complete: 5 });
    assert.equal(
      checkHistory(same, registerModel).verdict,
      'valid',
      'an instant operation is fine',
    );
    const unknown = history({
      process: 0,
      f: 'write',
      value: 1,
      invoke: 5,
      complete: 1,
      outcome: 'unknown',
    });
    assert.equal(
      checkHistory(unknown, registerModel).verdict,
      'valid',
      'an unknown end bounds nothing',
    );
  });

  test('an operation the model does not know is refused with its id', () => {
    assert.throws(
      () => checkHistory(history({ process: 0, f: 'frob', invoke: 0, complete: 1 }), registerModel),
      (e: unknown) =>
        e instanceof HistoryError && /^operation 0: register has no operation/.test(e.message),
    );
  });
});

describe('event order', () => {
  test('orderByTime sorts stably, ties by index', () => {
    assert.deepEqual([...orderByTime(new Float64Array([3, 1, 2, 1, 0]))], [4, 1, 3, 2, 0]);
    assert.deepEqual([...orderByTime(new Float64Array([1, 2, 2, 3]))], [0, 1, 2, 3]);
    assert.deepEqual(
      [...orderByTime(new Float64Array([5, 4, 3, 2, 1, 0, 7]))],
      [5, 4, 3, 2, 1, 0, 6],
    );
    assert.deepEqual([...orderByTime(new Float64Array([]))], []);
  });

  test('the event list puts calls before returns at equal times and links both ways', () => {
    const list = new EventList([
      { invoke: 0, returnsAt: 10 },
      { invoke: 10, returnsAt: 20 },
      { invoke: 5, returnsAt: Number.POSITIVE_INFINITY },
    ]);
    const order: string[] = [];
    for (let e = list.next[list.head] as number; e !== -1; e = list.next[e] as number) {
      order.push(`${list.isCall[e] === 1 ? 'call' : 'ret'}${list.opOf[e]}`);
      assert.equal(list.next[list.prev[e] as number], e);
    }
    assert.deepEqual(order, ['call0', 'call2', 'call1', 'ret0', 'ret1', 'ret2']);
    assert.equal(list.opOf[list.returnOf[1] as number], 1);
    const firstCall = list.next[list.head] as number;
    list.lift(firstCall);
    const lifted: number[] = [];
    for (let e = list.next[list.head] as number; e !== -1; e = list.next[e] as number)
      lifted.push(list.opOf[e] as number);
    assert.deepEqual(lifted, [2, 1, 1, 2]);
    list.unlift(firstCall);
    const back: string[] = [];
    for (let e = list.next[list.head] as number; e !== -1; e = list.next[e] as number)
      back.push(`${list.isCall[e] === 1 ? 'call' : 'ret'}${list.opOf[e]}`);
    assert.deepEqual(back, order);
  });
});
