import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunOptionError, runSimulation, Session } from '../../src/sim/run.js';
import { parseScript } from '../../src/sim/script.js';
import type { SystemDefinition } from '../../src/core/system.js';
import { getSystem } from '../../src/systems/index.js';

const kvSingle = getSystem('kv-single')!;
const options = { system: kvSingle, nodes: 3, seed: 11, keepTrace: true, workload: { ops: 600 } };

test('interactive faults are recorded, and the script replays the run exactly', () => {
  const live = new Session(options);
  live.runUntil(300);
  live.act({
    kind: 'partition',
    blocked: [
      ['n1', 'n2'],
      ['n2', 'n1'],
    ],
  });
  live.runUntil(700.25);
  live.act({ kind: 'heal' });
  live.act({ kind: 'crash', node: 'n1' });
  live.act({ kind: 'clock', node: 'n3', offset: 250, drift: 0.01 });
  live.runUntil(1100);
  live.act({ kind: 'restart', node: 'n1' });
  live.act({ kind: 'pause', node: 'n2' });
  live.runUntil(1300);
  live.act({ kind: 'resume', node: 'n2' });
  live.runToEnd();
  const first = live.result();
  assert.equal(live.script.length, 7);
  assert.deepEqual(live.script[1], { kind: 'heal', at: 700.25 });
  const kinds = new Set(first.trace?.map((e) => e.e));
  for (const k of ['partition', 'crash', 'restart', 'pause', 'resume', 'clock'])
    assert.ok(kinds.has(k as never), k);

  // Through JSON, as a shared URL would carry it.
  const script = parseScript(JSON.parse(JSON.stringify(live.script)), ['n1', 'n2', 'n3']);
  const replay = runSimulation({ ...options, script });
  assert.equal(replay.traceDigest, first.traceDigest);
  assert.equal(JSON.stringify(replay.history), JSON.stringify(first.history));
  assert.notEqual(runSimulation(options).traceDigest, first.traceDigest, 'the faults mattered');
});

test('hostile scripts are refused with a reason', () => {
  const nodes = ['n1', 'n2'];
  assert.throws(() => parseScript({}, nodes), /list of actions/);
  assert.throws(
    () => parseScript([{ kind: 'crash', node: 'n9', at: 1 }], nodes),
    /unknown node "n9"/,
  );
  assert.throws(() => parseScript([{ kind: 'heal', at: -1 }], nodes), /non-negative/);
  assert.throws(() => parseScript([{ kind: 'meteor', at: 1 }], nodes), /unknown kind "meteor"/);
  assert.throws(
    () => parseScript([{ kind: 'partition', blocked: [['n1']], at: 1 }], nodes),
    /pairs/,
  );
  assert.throws(
    () => parseScript([{ kind: 'clock', node: 'n1', offset: 1, drift: -2, at: 1 }], nodes),
    /drift/,
  );
});

test("workload.startMs holds back a client's first operation", () => {
  // Nodes that never answer: each client's one operation ends at its timeout, so neither client
  // can take the other's operation before its own start.
  const silent: SystemDefinition = {
    name: 'silent',
    description: 'never answers',
    workload: 'custom',
    mutants: [],
    defaultNodes: 2,
    minNodes: 1,
    createNode: () => () => ({
      start() {},
      onMessage() {},
      onTimer() {},
      onClientRequest() {},
      inspect: () => ({}),
    }),
    nextOp: () => ({ f: 'wait' }),
  };
  const base = { system: silent, seed: 3 };
  const run = runSimulation({
    ...base,
    workload: { ops: 2, clients: 2, thinkMs: 0, timeoutMs: 1000, startMs: [0, 250] },
  });
  const invoke = (p: number) => run.history.find((op) => op.process === p)?.invoke;
  assert.ok((invoke(0) as number) < 1);
  assert.ok((invoke(1) as number) >= 250 && (invoke(1) as number) < 251);
  assert.throws(
    () => new Session({ ...base, workload: { ops: 2, clients: 2, startMs: [0, -1] } }),
    RunOptionError,
  );
});
