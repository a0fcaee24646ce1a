/**
 * Elle's own test histories (test/fixtures/elle, from the EDN reader's branch): for every check
 * Elle's tests make with a consistency model this checker offers, the same verdict. Left out,
 * on purpose: read-uncommitted (not offered), `wfr-keys? false` (this checker always infers
 * that a transaction's write follows its read of the same key) and `sequential-keys? true`
 * (version orders from process order are not inferred). Elle's repeatable-read is judged as
 * serializable and strong snapshot isolation as strict serializability here, which forbid the
 * same item anomalies.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ConsistencyModel } from '../../../src/check/txn/anomalies.js';
import { checkTransactions } from '../../../src/check/txn/check-txn.js';
import type { TxnWorkload } from '../../../src/check/txn/txn-history.js';
import { loadHistory } from '../../../src/check/formats/load-history.js';

const DIR = new URL('../../../../test/fixtures/elle/', import.meta.url);

const MODELS: Readonly<Record<string, ConsistencyModel>> = {
  'read-committed': 'read-committed',
  'snapshot-isolation': 'snapshot-isolation',
  serializable: 'serializable',
  'repeatable-read': 'serializable',
  'strict-serializable': 'strict-serializable',
  'strong-snapshot-isolation': 'strict-serializable',
  'strong-session-snapshot-isolation': 'strong-session-snapshot-isolation',
  'strong-session-serializable': 'strong-session-serializable',
};

interface Check {
  readonly options: Record<string, unknown>;
  readonly valid: boolean;
}
interface Expected {
  readonly histories: Record<string, { workload: TxnWorkload; checks?: Check[] }>;
}

const present = existsSync(new URL('expected.json', DIR));

test(
  'Elle’s test histories get Elle’s verdicts',
  { skip: !present && 'no test/fixtures/elle here' },
  () => {
    const expected = JSON.parse(readFileSync(new URL('expected.json', DIR), 'utf8')) as Expected;
    let compared = 0;
    for (const [file, h] of Object.entries(expected.histories)) {
      const { ops } = loadHistory(readFileSync(new URL(file, DIR), 'utf8'), 'edn', file);
      for (const c of h.checks ?? []) {
        const named = c.options['consistency-models'];
        if (named === null || 'elleFunction' in c.options) continue;
        if (c.options['wfr-keys?'] === false || c.options['sequential-keys?'] === true) continue;
        // Elle's default model is strict serializability.
        const models = (named as string[] | undefined) ?? ['strict-serializable'];
        if (models.some((m) => !(m in MODELS))) continue;
        // One call of Elle with several models is valid only if every one holds.
        const valid = models.every(
          (m) =>
            checkTransactions(ops, { workload: h.workload, consistencyModel: MODELS[m] })
              .verdict === 'valid',
        );
        assert.equal(valid, c.valid, `${file} under ${models.join(' + ')}`);
        compared++;
      }
    }
    assert.ok(compared >= 20, `compared ${compared}`);
  },
);
