/**
 * The transcript runner itself: a mismatch is a unified diff at the command's file:line, bad
 * commands fail at their line with a code, and a rewrite fills the output blocks in and keeps
 * everything else, so the rewritten file then passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from './command.js';
import { unifiedDiff } from './diff.js';
import { CommandError, TranscriptError, type TranscriptErrorCode } from './errors.js';
import { runTranscriptText, type TranscriptEnv } from './runner.js';
import { RaftTranscriptEnv } from '../../protocols/raft/transcript/raft-env.js';

/** `echo <words>` prints its words one per line; `count` prints how many commands ran. */
class EchoEnv implements TranscriptEnv {
  private runs = 0;
  run(cmd: Command): readonly string[] {
    this.runs++;
    if (cmd.name === 'echo') return cmd.rest();
    if (cmd.name === 'count') {
      const times = cmd.keyNumber('times', 1, 1);
      cmd.done();
      return Array.from({ length: times }, () => String(this.runs));
    }
    if (cmd.name === 'silent') return [];
    throw new CommandError('unknown-command', `unknown command "${cmd.name}"`);
  }
}

function fails(
  source: string,
  code: TranscriptErrorCode,
  line: number,
  env: TranscriptEnv = new EchoEnv(),
): TranscriptError {
  try {
    runTranscriptText('t.txt', source, env);
  } catch (e) {
    assert.ok(e instanceof TranscriptError, String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.line, line, e.message);
    assert.ok(e.message.startsWith(`t.txt:${line}: `), e.message);
    return e;
  }
  assert.fail('the transcript passed');
}

const GOOD = `# a comment
echo a b
----
a
b

silent
----
ok
`;

test('a transcript whose blocks match passes, and `ok` stands for no output', () => {
  const { outputs, text } = runTranscriptText('t.txt', GOOD, new EchoEnv());
  assert.deepEqual(outputs, [['a', 'b'], ['ok']]);
  assert.equal(text, GOOD);
});

test('a mismatch fails at the command with a unified diff of its block', () => {
  const e = fails('# x\n\necho a c d\n----\na\nb\nd\n', 'mismatch', 3);
  assert.match(e.message, /echo a c d: output differs/);
  assert.match(e.message, /--- expected\n\+\+\+ actual\n@@ -1,3 \+1,3 @@\n a\n-b\n\+c\n d/);
});

test('unknown commands, bad arguments and a missing ---- fail at their line', () => {
  fails('echo a\n----\na\n\nfrobnicate\n----\nok\n', 'unknown-command', 5);
  fails('count times=0\n----\n1\n', 'bad-argument', 1);
  fails('count times=2 colour=red\n----\n1\n', 'bad-argument', 1);
  fails('echo a\n----\na\n\necho b\nb\n', 'syntax', 5);
  fails('----\nok\n', 'syntax', 1);
});

test('a rewrite fills each block with the actual output and keeps the rest', () => {
  const source = '# header\n\ncount\n----\nstale\nlines\n\n# between\necho x\n----\n';
  const { text } = runTranscriptText('t.txt', source, new EchoEnv(), true);
  assert.equal(text, '# header\n\ncount\n----\n1\n\n# between\necho x\n----\nx\n');
  // The rewritten file passes as it stands.
  runTranscriptText('t.txt', text, new EchoEnv());
});

test('unifiedDiff: nothing for equal blocks; separate hunks for distant changes', () => {
  assert.equal(unifiedDiff(['a'], ['a']), '');
  const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
  const b = ['1', 'two', '3', '4', '5', '6', '7', '8', '9', '10', '11', 'twelve'];
  assert.equal(
    unifiedDiff(a, b),
    [
      '--- expected',
      '+++ actual',
      '@@ -1,5 +1,5 @@',
      ' 1',
      '-2',
      '+two',
      ' 3',
      ' 4',
      ' 5',
      '@@ -9,4 +9,4 @@',
      ' 9',
      ' 10',
      ' 11',
      '-12',
      '+twelve',
    ].join('\n'),
  );
});

test('the Raft environment refuses bad commands at their line', () => {
  const raft = (): TranscriptEnv => new RaftTranscriptEnv();
  fails('status\n----\nok\n', 'bad-argument', 1, raft());
  const start = 'add-nodes 3\n----\nok\n\n';
  fails('add-nodes 3 mutant=no-such\n----\nok\n', 'bad-argument', 1, raft());
  fails('add-nodes 3 snapshot-every=-1\n----\nok\n', 'bad-argument', 1, raft());
  fails(`${start}crash n9\n----\nok\n`, 'bad-argument', 5, raft());
  fails(`${start}partition n1 n2\n----\nok\n`, 'bad-argument', 5, raft());
  fails(`${start}tick soon\n----\nok\n`, 'bad-argument', 5, raft());
  fails(`${start}propose n1 put k\n----\nok\n`, 'bad-argument', 5, raft());
  fails(`${start}status colour=red\n----\nok\n`, 'bad-argument', 5, raft());
  fails(`${start}elect n1\n----\nok\n`, 'unknown-command', 5, raft());
});
