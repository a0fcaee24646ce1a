import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openFile, OpenFileError } from '../../lab/src/open-file.js';
import { historyToJsonLines } from '../../src/core/history.js';
import { runSimulation } from '../../src/sim/run.js';
import { traceToJsonLines } from '../../src/sim/trace.js';
import { getSystem } from '../../src/systems/index.js';

const run = runSimulation({
  system: getSystem('kv-async')!,
  seed: 2,
  nemesis: 'partition-halves',
  keepTrace: true,
  workload: { ops: 100 },
});

test('what `truthkit sim --trace` writes opens as a trace, event for event', () => {
  const opened = openFile('t.jsonl', traceToJsonLines(run.trace!));
  assert.equal(opened.kind, 'trace');
  assert.equal(opened.kind === 'trace' && opened.events.length, run.trace!.length);
  assert.deepEqual(opened.kind === 'trace' && opened.events[5], run.trace![5]);
});

test('what `truthkit sim --history` writes opens as a history', () => {
  const opened = openFile('h.jsonl', historyToJsonLines(run.history));
  assert.equal(opened.kind, 'history');
  assert.deepEqual(opened.kind === 'history' && opened.ops, run.history);
});

test('broken files are refused with the file, the line and the reason', () => {
  const cases: [string, RegExp][] = [
    ['', /t.jsonl is empty/],
    ['{"t":1,"e":"send"}\n', /line 1: send event without 'from'/],
    [
      '{"t":1,"e":"timer","node":"n1","name":"x"}\n{"t":0,"e":"timer","node":"n1","name":"y"}\n',
      /line 2: events must be in time order/,
    ],
    ['{"t":1,"e":"warp","node":"n1"}\n', /line 1: unknown event kind "warp"/],
    ['{"t":1,"e":"crash","node":"n1"}\nnot json\n', /line 2: not JSON/],
    ['{"t":1,"e":"partition"}\n', /partition event without 'blocked'/],
    ['hello there\n', /cannot tell the history format/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => openFile('t.jsonl', text),
      (e: Error) => {
        assert.ok(e instanceof OpenFileError, text);
        assert.match(e.message, why);
        return true;
      },
    );
  }
});
