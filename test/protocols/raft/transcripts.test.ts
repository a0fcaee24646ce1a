/**
 * Raft's safety rules as data-driven transcripts (test/protocols/raft/testdata/*.txt): each
 * file is commands and the exact output expected of them, run on a kv-raft cluster in the
 * simulator (see docs/raft.md, "Transcript tests"). TRUTHKIT_REWRITE=1 rewrites the expected
 * output from what the commands print.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runTranscriptFile } from '../../support/transcript/runner.js';
import { RaftTranscriptEnv } from './transcript/raft-env.js';

/** The transcripts' sources (this file runs from dist/test/protocols/raft/). */
const TESTDATA = new URL('../../../../test/protocols/raft/testdata/', import.meta.url);

const files = readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.txt'))
  .sort();

test('the Raft transcripts are there', () => {
  assert.ok(files.length >= 10, `only ${files.length} transcripts`);
});

for (const file of files) {
  test(`transcript ${file}`, () => {
    runTranscriptFile(
      fileURLToPath(new URL(file, TESTDATA)),
      new RaftTranscriptEnv(),
      `test/protocols/raft/testdata/${file}`,
    );
  });
}
