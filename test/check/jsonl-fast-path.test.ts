/**
 * The JSON-lines reader checks each line by hand (plainHistoryOp) and asks the valibot schema
 * only when that says no: the hand-written rules must accept exactly what the schema accepts,
 * and output what it outputs. Each rule is exercised by a line that breaks it alone, so removing
 * any one makes the fast path accept a line the schema rejects, and this test fail.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadHistory } from '../../src/check/index.js';
import { plainHistoryOp } from '../../src/check/formats/jsonl.js';
import { HistoryError } from '../../src/check/errors.js';

const VALID: Record<string, unknown>[] = [
  { id: 0, process: 3, f: 'get', key: 'k0', invoke: 0.5, complete: 2, outcome: 'ok', result: null },
  { id: 7, process: -1, f: 'write', value: [1, { a: 2 }], invoke: 1, complete: 1, outcome: 'fail' },
  {
    node: 'n1',
    error: 'timeout',
    result: 'x',
    outcome: 'unknown',
    complete: 9,
    invoke: -3,
    value: null,
    key: '',
    f: 'cas',
    process: 0,
    id: 12,
    extra: 'dropped',
  },
];

/** One field set to each value that breaks a rule of the schema, or removed. */
const BREAKS: Record<string, unknown[]> = {
  id: [undefined, -1, 1.5, '1', null, Infinity],
  process: [undefined, 0.5, '0', null],
  f: [undefined, '', 3, null],
  key: [null, 3, {}],
  invoke: [undefined, '1', null, Infinity, -Infinity],
  complete: [undefined, '1', null, Infinity],
  outcome: [undefined, 'OK', 'info', null, 1],
  error: [null, 3],
  node: [null, 3],
};

function schemaAnswer(line: unknown): unknown {
  // The schema's answer, through the reader's fallback: a line the fast path refuses.
  try {
    return loadHistory(JSON.stringify(line), 'jsonl', 'f').ops[0] as unknown as Record<
      string,
      unknown
    >;
  } catch (e) {
    if (e instanceof HistoryError) return 'rejected';
    throw e;
  }
}

test('valid lines: the fast path outputs what the schema outputs, field order included', () => {
  for (const line of VALID) {
    const fast = plainHistoryOp(line);
    assert.ok(fast !== undefined, JSON.stringify(line));
    assert.equal(JSON.stringify(fast), JSON.stringify(schemaAnswer({ ...line, extra: [] })));
    assert.equal('extra' in fast, false);
  }
});

test('every line that breaks one rule is refused by the fast path and by the schema', () => {
  let cases = 0;
  for (const base of VALID) {
    for (const [field, values] of Object.entries(BREAKS)) {
      for (const bad of values) {
        const line: Record<string, unknown> = { ...base };
        if (bad === undefined) delete line[field];
        else line[field] = bad;
        // JSON has no Infinity: it is what a parser extension or a caller could hand in.
        assert.equal(plainHistoryOp(line), undefined, `${field}: ${String(bad)}`);
        if (Number.isFinite(bad) || typeof bad !== 'number')
          assert.equal(schemaAnswer(line), 'rejected', `${field}: ${String(bad)}`);
        cases++;
      }
    }
    for (const notAnObject of [null, 3, 'op', [base]])
      assert.equal(plainHistoryOp(notAnObject), undefined);
  }
  assert.ok(cases > 90);
});

test('a bad line still gets the schema’s message, naming the line and field', () => {
  const text = `${JSON.stringify(VALID[0])}\n${JSON.stringify({ ...VALID[0], id: 1, outcome: 'OK' })}\n`;
  assert.throws(
    () => loadHistory(text, 'jsonl', 'h.jsonl'),
    /^HistoryError: h\.jsonl:2: not a history operation: outcome: /,
  );
});
