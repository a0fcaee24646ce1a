/**
 * Raft's safety rules as data-driven transcripts (test/protocols/raft/testdata/*.txt): each
 * file is commands and the exact output expected of them, run on a kv-raft cluster in the
 * simulator (see docs/raft.md, "Transcript tests"). TRUTHKIT_REWRITE=1 rewrites the expected
 * output from what the commands print.
 *
 * A file `<rule>-mutant.txt` runs the commands of `<rule>.txt` on the mutant its add-nodes
 * names, and shows the anomaly. The pair is checked to be the same commands, and `<rule>.txt`
 * is checked to fail on that mutant: removing the rule breaks the rule's own transcript.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TranscriptError } from '../../support/transcript/errors.js';
import { parseTranscript } from '../../support/transcript/format.js';
import { runTranscriptFile, runTranscriptText } from '../../support/transcript/runner.js';
import { RaftTranscriptEnv } from './transcript/raft-env.js';

/** The transcripts' sources (this file runs from dist/test/protocols/raft/). */
const TESTDATA = new URL('../../../../test/protocols/raft/testdata/', import.meta.url);
const NAME = 'test/protocols/raft/testdata/';

const files = readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.txt'))
  .sort();

const read = (file: string): string => readFileSync(new URL(file, TESTDATA), 'utf8');

const commands = (file: string): string[] =>
  parseTranscript(file, read(file)).flatMap((i) => (i.kind === 'case' ? [i.case.command] : []));

test('the Raft transcripts are there', () => {
  assert.ok(files.length >= 10, `only ${files.length} transcripts`);
});

for (const file of files) {
  test(`transcript ${file}`, () => {
    runTranscriptFile(fileURLToPath(new URL(file, TESTDATA)), new RaftTranscriptEnv(), NAME + file);
  });
}

for (const mutantFile of files.filter((f) => f.endsWith('-mutant.txt'))) {
  const base = mutantFile.replace(/-mutant\.txt$/, '.txt');
  test(`${base} fails on the mutant that ${mutantFile} runs`, () => {
    const [start, ...rest] = commands(mutantFile);
    const mutant = /^add-nodes .*\bmutant=(\S+)/.exec(start ?? '')?.[1];
    assert.ok(mutant !== undefined, `${mutantFile} starts with add-nodes … mutant=<name>`);
    const [baseStart, ...baseRest] = commands(base);
    assert.equal(start, `${baseStart} mutant=${mutant}`, 'the same cluster, on the mutant');
    assert.deepEqual(rest, baseRest, `${mutantFile} runs the commands of ${base}`);
    const onMutant = read(base).replace(/^add-nodes .*$/m, (line) => `${line} mutant=${mutant}`);
    assert.throws(
      () => runTranscriptText(NAME + base, onMutant, new RaftTranscriptEnv()),
      (e: unknown) => e instanceof TranscriptError && e.code === 'mismatch',
      `${base} passes on ${mutant}: it does not pin its rule`,
    );
  });
}
