/** `truthkit check --model list-append|rw-register`: output, exit codes, report, bad input. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { validateTxnOp } from '../../../src/check/txn/txn-history.js';
import { historyToJsonLines, type HistoryOp } from '../../../src/core/history.js';
import { cli } from '../../cli/run-cli.js';
import { txns } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'truthkit-txn-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, ops: HistoryOp[]): string {
  const path = join(dir, name);
  writeFileSync(path, historyToJsonLines(ops));
  return path;
}

const readSkew = file(
  'read-skew.jsonl',
  txns(
    {
      mops: [
        ['r', 'x', []],
        ['r', 'y', [1]],
      ],
    },
    {
      mops: [
        ['append', 'x', 1],
        ['append', 'y', 1],
      ],
    },
    { mops: [['r', 'x', [1]]] },
  ),
);

describe('truthkit check, transactions', () => {
  test('a G-single exits 1 and prints the cycle with its reasons', async () => {
    const r = await cli('check', readSkew, '--model', 'list-append');
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /NOT serializable — list-append, 3 transactions/);
    assert.match(r.out, /Rules out: snapshot-isolation, /);
    assert.match(r.out, /op 0 -rw x-> op 1: op 0 read x = \[\]; op 1 appended 1, the next element/);
    assert.match(r.out, /op 1 -wr y-> op 0: op 0 read y = \[1\], whose last element op 1 appended/);
  });

  test('the same history is read committed: exit 0, the anomaly still listed', async () => {
    const r = await cli(
      'check',
      readSkew,
      '--model',
      'list-append',
      '--consistency-model',
      'read-committed',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /: read-committed — /);
    assert.match(r.out, /Anomalies: G-single \(1\)/);
  });

  test('--json carries the verdict, the anomalies and the models ruled out', async () => {
    const r = await cli('check', readSkew, '--model', 'list-append', '--json');
    assert.equal(r.code, 1);
    const json = JSON.parse(r.out) as Record<string, unknown>;
    assert.equal(json.verdict, 'invalid');
    assert.equal(json.model, 'list-append');
    assert.equal(json.consistencyModel, 'serializable');
    assert.deepEqual(json.anomalyTypes, ['G-single']);
    assert.ok((json.ruledOut as string[]).includes('serializable'));
  });

  test('--report draws the cycle: one circle per transaction, one arrow per edge', async () => {
    const report = join(dir, 'r.html');
    const r = await cli('check', readSkew, '--model', 'list-append', '--report', report);
    assert.equal(r.code, 1);
    const html = readFileSync(report, 'utf8');
    assert.equal(html.match(/<circle /g)?.length, 2);
    assert.equal(html.match(/<path d="M[^"]*Q/g)?.length, 2);
    assert.match(html, /marker-end="url\(#arrow-rw\)"/);
    assert.match(html, /marker-end="url\(#arrow-wr\)"/);
    assert.doesNotMatch(html, /<script/);
  });

  test('a valid rw-register history exits 0', async () => {
    const ok = file('ok.jsonl', txns({ mops: [['w', 'x', 1]] }, { mops: [['r', 'x', 1]] }));
    const r = await cli(
      'check',
      ok,
      '--model',
      'rw-register',
      '--consistency-model',
      'strict-serializable',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /No anomalies found/);
  });

  test('bad input is one line and exit 2', async () => {
    const bad = [
      [readSkew, '--model', 'rw-register'],
      [readSkew, '--model', 'kv', '--consistency-model', 'serializable'],
      [readSkew, '--model', 'list-append', '--consistency-model', 'linearizable'],
      [
        file('dup.jsonl', txns({ mops: [['append', 'x', 1]] }, { mops: [['append', 'x', 1]] })),
        '--model',
        'list-append',
      ],
    ];
    for (const args of bad) {
      const r = await cli('check', ...(args as string[]));
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    }
  });
});

describe('validateTxnOp', () => {
  const base = { id: 0, process: 0, f: 'txn', invoke: 0, complete: 1 } as const;
  const cases: [Partial<HistoryOp>, RegExp | undefined][] = [
    [{ value: [['append', 'x', 1]], result: [['append', 'x', 1]], outcome: 'ok' }, undefined],
    [{ value: [['r', 3, null]], result: [['r', '3', [1, 'a']]], outcome: 'ok' }, undefined],
    [{ value: [['r', 'x', null]], outcome: 'unknown' }, undefined],
    [{ value: [['r', 'x', null]], outcome: 'ok' }, /result must be a list/],
    [{ value: [['r', 'x', 1]], outcome: 'fail' }, /invoked read's value must be null/],
    [{ value: [['w', 'x', 1]], outcome: 'fail' }, /must be "r" or "append"/],
    [{ value: [['append', 'x', [1]]], outcome: 'fail' }, /number or a string/],
    [
      { value: [['append', 'x', 1]], result: [['append', 'x', 2]], outcome: 'ok' },
      /is not the invoked/,
    ],
    [{ value: [['append', 'x']], outcome: 'fail' }, /\[f, key, value\]/],
    [{ value: 'x', outcome: 'fail' }, /list of micro-ops/],
    [{ f: 'append', value: [], outcome: 'fail' }, /f must be "txn"/],
  ];
  for (const [op, expected] of cases)
    test(JSON.stringify(op), () => {
      const problem = validateTxnOp({ ...base, outcome: 'ok', ...op } as HistoryOp, 'list-append');
      if (expected === undefined) assert.equal(problem, undefined);
      else assert.match(problem ?? '', expected);
    });
});
