/**
 * Porcupine's test data: every history must get exactly the verdict Porcupine's own suite
 * asserts (102 Jepsen etcd logs on a cas register, 6 key-value histories).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { checkHistory, getModel, loadHistory, type CheckOptions } from '../../src/check/index.js';
import { FIXTURES } from './helpers.js';

const verdicts = JSON.parse(readFileSync(new URL('verdicts.json', FIXTURES), 'utf8')) as Record<
  string,
  'linearizable' | 'not-linearizable'
>;

function check(file: string, options: CheckOptions = {}) {
  const format = file.startsWith('jepsen/') ? 'jepsen-log' : 'edn';
  const loaded = loadHistory(readFileSync(new URL(file, FIXTURES), 'utf8'), format, file);
  const model = getModel(loaded.suggestedModel ?? '');
  assert.ok(model, `a model for ${file}`);
  return checkHistory(loaded.ops, model, {
    ...options,
    initialValue: loaded.initialValue ?? null,
    timeoutMs: 60_000,
  });
}

const expected = (file: string) => (verdicts[file] === 'linearizable' ? 'valid' : 'invalid');

describe('Porcupine conformance', () => {
  test('verdicts.json lists 102 etcd logs and 6 kv histories', () => {
    const files = Object.keys(verdicts);
    assert.equal(files.filter((f) => f.startsWith('jepsen/')).length, 102);
    assert.equal(files.filter((f) => f.startsWith('kv/')).length, 6);
    assert.equal(files.filter((f) => verdicts[f] === 'linearizable').length, 23 + 3);
  });

  for (const file of Object.keys(verdicts)) {
    test(`${file} is ${verdicts[file]}`, () => {
      const result = check(file);
      assert.equal(result.verdict, expected(file));
      if (result.verdict === 'invalid')
        assert.ok(result.evidence, 'a violation comes with evidence');
      else assert.equal(result.evidence, undefined);
    });
  }

  for (const file of ['kv/c01-ok.txt', 'kv/c01-bad.txt', 'kv/c10-ok.txt', 'kv/c10-bad.txt']) {
    test(`${file} is ${verdicts[file]} without per-key partitioning`, () => {
      const result = check(file, { partition: false });
      assert.equal(result.partitions, 1);
      assert.equal(result.verdict, expected(file));
    });
  }

  test('kv histories are checked key by key by default', () => {
    const result = check('kv/c10-ok.txt');
    assert.equal(result.partitions, 10);
    assert.equal(result.ops, 337);
  });

  test('etcd_095.log is empty and trivially linearizable', () => {
    const result = check('jepsen/etcd_095.log');
    assert.equal(result.ops, 0);
    assert.equal(result.verdict, 'valid');
  });
});
