/**
 * The SQL subset as data-driven transcripts (test/systems/sql/testdata/*.txt), run on the
 * in-memory store: each command's exact output, errors with their SQLSTATE included.
 * TRUTHKIT_REWRITE=1 rewrites the expected output from what the commands print.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { SPAN_MUTANTS } from '../../../src/systems/sql/spans.js';
import { TranscriptError } from '../../support/transcript/errors.js';
import { runTranscriptFile, runTranscriptText } from '../../support/transcript/runner.js';
import { SqlTranscriptEnv } from './sql-env.js';

const TESTDATA = new URL('../../../../test/systems/sql/testdata/', import.meta.url);
const NAME = 'test/systems/sql/testdata/';

const files = readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.txt'))
  .sort();

test('the SQL transcripts are there', () => {
  assert.ok(files.length >= 1, `only ${files.length} transcripts`);
});

for (const m of SPAN_MUTANTS) {
  test(`the spans transcript fails on the ${m} mutant`, () => {
    const source = readFileSync(new URL('spans.txt', TESTDATA), 'utf8');
    assert.throws(
      () => runTranscriptText('spans.txt', source, new SqlTranscriptEnv({ span: m })),
      (e: unknown) => e instanceof TranscriptError && e.code === 'mismatch',
    );
  });
}

for (const file of files) {
  test(`transcript ${file}`, () => {
    const r = runTranscriptFile(
      fileURLToPath(new URL(file, TESTDATA)),
      new SqlTranscriptEnv(),
      NAME + file,
    );
    assert.ok(r.cases > 0);
  });
}
