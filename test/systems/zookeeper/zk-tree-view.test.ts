/**
 * The znode tree a zookeeper server's view carries for the lab (zk-tree-view.ts) and the
 * outline lines its lab views draw from it: tree order, depths, versions, data previews,
 * ephemeral owners, the bound and its "more" line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { SingleServer } from '../../../src/systems/coordination/single-server.js';
import type { WriteRequest } from '../../../src/systems/coordination/requests.js';
import { znodeLines } from '../../../src/systems/zookeeper/zk-lab-views.js';
import {
  MAX_ZNODES_SHOWN,
  dataPreview,
  znodeView,
} from '../../../src/systems/zookeeper/zk-tree-view.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function tree(): SingleServer {
  const s = new SingleServer();
  const w = (op: WriteRequest, session = 1): void => {
    const r = s.write(session, op, 1000);
    assert.ok(r.ok, JSON.stringify(op));
  };
  w({ type: 'createSession', timeout: 10_000 }, 0);
  w({ type: 'create', path: '/a', data: b64('hello'), mode: 'persistent' });
  w({ type: 'create', path: '/a-x', data: '', mode: 'persistent' });
  w({ type: 'create', path: '/a/b', data: b64('a long value here'), mode: 'persistent' });
  w({ type: 'setData', path: '/a/b', data: b64('a longer value here'), version: 0 });
  w({ type: 'create', path: '/e', data: b64('\u0000\u0001'), mode: 'ephemeral' });
  return s;
}

test('the view lists znodes parent-first with version, preview and owner; the lines indent them', () => {
  const view = znodeView(tree().state);
  assert.deepEqual(view.znodes as Json, [
    ['/', 0, '', 0],
    ['/a', 0, '"hello"', 0],
    ['/a/b', 1, '"a longer val…"', 0],
    ['/a-x', 0, '', 0],
    ['/e', 0, '2 B', 1],
    ['/zookeeper', 0, '', 0],
  ]);
  assert.equal(view.znodeCount, 6);
  assert.deepEqual(view.sessions as Json, [1]);
  assert.deepEqual(
    znodeLines(view).map((l) => [l.depth, l.text, l.note]),
    [
      [0, '/', 'v0'],
      [1, 'a', 'v0 · "hello"'],
      [2, 'b', 'v1 · "a longer val…"'],
      [1, 'a-x', 'v0'],
      [1, 'e', 'v0 · 2 B · eph s1'],
      [1, 'zookeeper', 'v0'],
    ],
  );
});

test('the view is bounded; the lines say how many more there are', () => {
  const s = tree();
  for (let i = 0; i < MAX_ZNODES_SHOWN + 5; i++) {
    const r = s.write(1, { type: 'create', path: `/n${i}`, data: '', mode: 'persistent' }, 1000);
    assert.ok(r.ok);
  }
  const view = znodeView(s.state);
  assert.equal((view.znodes as Json[]).length, MAX_ZNODES_SHOWN);
  const total = MAX_ZNODES_SHOWN + 5 + 6;
  assert.equal(view.znodeCount, total);
  const last = znodeLines(view).at(-1);
  assert.deepEqual(last, { depth: 0, text: `… ${total - MAX_ZNODES_SHOWN} more` });
  // A view without the field (another system's, a down node's) draws nothing.
  assert.deepEqual(znodeLines({ role: 'x' }), []);
  assert.equal(dataPreview('!!not base64'), '?');
});
