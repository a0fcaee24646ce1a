/**
 * Data no one here wrote: Knossos's history files, answered as Knossos answers them, and Elle's
 * test histories, each read into the transaction shape (their verdicts are the transactional
 * checker's to match: test/fixtures/elle/expected.json).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { checkHistory, getModel, loadHistory } from '../../../src/check/index.js';
import { isTxnHistoryOp } from './txn-shape.js';

const ROOT = new URL('../../../../test/fixtures/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

/** Every .edn file under `dir` (relative to the fixtures), as paths relative to `dir`. */
function ednFiles(dir: string): string[] {
  return readdirSync(new URL(dir, ROOT), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.edn'))
    .sort();
}

interface KnossosExpectation {
  model: 'cas-register' | 'multi-register';
  initial: unknown;
  valid: boolean;
  failingOp?: { process: number; f: string; value: unknown; index: number };
}

interface ElleExpectation {
  workload: 'list-append' | 'rw-register';
  checks: unknown[];
}

describe('Knossos’s history files', () => {
  const expected = JSON.parse(read('knossos/expected.json')) as {
    histories: Record<string, KnossosExpectation>;
  };

  test('every file has an expected verdict, and every verdict a file', () => {
    assert.deepEqual(ednFiles('knossos/'), Object.keys(expected.histories).sort());
  });

  for (const [file, want] of Object.entries(expected.histories)) {
    if (want.model !== 'cas-register') continue;
    test(`${file}: ${want.valid ? 'linearizable' : 'not linearizable'}, as Knossos says`, () => {
      const { ops, suggestedModel } = loadHistory(read(`knossos/${file}`), 'knossos', file);
      assert.equal(suggestedModel, 'register');
      const model = getModel('register');
      assert.ok(model);
      const result = checkHistory(ops, model, {
        initialValue: want.initial as number | null,
        timeoutMs: 20_000,
      });
      assert.equal(result.verdict, want.valid ? 'valid' : 'invalid');
      if (want.failingOp === undefined) return;
      // Knossos names the read that cannot be linearized; truthkit's evidence must too.
      const culprit = result.evidence?.deadline?.op;
      assert.ok(culprit, 'the evidence names the operation that had to take effect');
      assert.deepEqual(
        [culprit.process, culprit.f, culprit.result],
        [want.failingOp.process, want.failingOp.f, want.failingOp.value],
      );
    });
  }

  test('the multi-register history becomes transactions (the txn checker answers it)', () => {
    const file = 'multi-register/good/multi-register.edn';
    const { ops, suggestedModel } = loadHistory(read(`knossos/${file}`), 'auto', file);
    assert.equal(suggestedModel, 'rw-register');
    // Knossos's test starts both keys at 0.
    assert.equal(loadHistory(read(`knossos/${file}`), 'knossos', file).initialValue, 0);
    assert.equal(ops.length, 123);
    assert.ok(ops.every(isTxnHistoryOp));
    assert.deepEqual(
      ops.filter((op) => op.outcome !== 'ok').map((op) => [op.process, op.outcome]),
      [
        [4, 'unknown'],
        [1, 'unknown'],
        [9, 'fail'],
        [6, 'fail'],
      ],
    );
  });
});

describe('Elle’s test histories', () => {
  const expected = JSON.parse(read('elle/expected.json')) as {
    histories: Record<string, ElleExpectation>;
  };

  test('every file has an entry in expected.json, and every entry a file', () => {
    assert.deepEqual(ednFiles('elle/'), Object.keys(expected.histories).sort());
  });

  for (const [file, want] of Object.entries(expected.histories)) {
    test(`${file} reads into the transaction shape`, () => {
      const { ops, suggestedModel, format } = loadHistory(read(`elle/${file}`), 'auto', file);
      assert.equal(format, 'edn');
      assert.equal(suggestedModel, want.workload);
      assert.ok(ops.length > 0);
      for (const op of ops) assert.ok(isTxnHistoryOp(op), JSON.stringify(op));
      assert.deepEqual(
        ops.map((op) => op.id),
        ops.map((_, i) => i),
      );
    });
  }
});
