import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SingleServer } from '../../../src/systems/coordination/single-server.js';
import type { OpRequest } from '../../../src/systems/coordination/requests.js';
import type { WatchEvent, WatchMutant } from '../../../src/systems/coordination/watches.js';

/** Session 1 writes, session 2 watches. */
function setup(mutant?: WatchMutant): SingleServer {
  const s = new SingleServer(mutant === undefined ? {} : { watchMutant: mutant });
  s.write(0, { type: 'createSession', timeout: 30_000 }, 0);
  s.write(0, { type: 'createSession', timeout: 30_000 }, 0);
  for (const p of ['/a', '/a/b'])
    s.write(1, { type: 'create', path: p, data: '', mode: 'persistent' }, 0);
  return s;
}

const create = (path: string): OpRequest => ({
  type: 'create',
  path,
  data: '',
  mode: 'persistent',
});
const del = (path: string): OpRequest => ({ type: 'delete', path, version: -1 });
const set = (path: string): OpRequest => ({ type: 'setData', path, data: '', version: -1 });
const names = (es: WatchEvent[]): string[] => es.map((e) => `${e.type} ${e.path}`);

type Watch =
  | { read: 'exists' | 'getData' | 'getChildren'; path: string }
  | { add: 'persistent' | 'persistentRecursive'; path: string };

const ROWS: readonly { watch: Watch; op: OpRequest; fires: string[] }[] = [
  { watch: { read: 'getData', path: '/a/b' }, op: set('/a/b'), fires: ['NodeDataChanged /a/b'] },
  { watch: { read: 'getData', path: '/a/b' }, op: del('/a/b'), fires: ['NodeDeleted /a/b'] },
  { watch: { read: 'getData', path: '/a/b' }, op: create('/a/b/c'), fires: [] },
  {
    watch: { read: 'exists', path: '/a/new' },
    op: create('/a/new'),
    fires: ['NodeCreated /a/new'],
  },
  { watch: { read: 'exists', path: '/a/b' }, op: set('/a/b'), fires: ['NodeDataChanged /a/b'] },
  {
    watch: { read: 'getChildren', path: '/a' },
    op: create('/a/c'),
    fires: ['NodeChildrenChanged /a'],
  },
  { watch: { read: 'getChildren', path: '/a' }, op: set('/a'), fires: [] },
  { watch: { read: 'getChildren', path: '/a/b' }, op: del('/a/b'), fires: ['NodeDeleted /a/b'] },
  { watch: { read: 'getChildren', path: '/a' }, op: set('/a/b'), fires: [] },
  {
    watch: { add: 'persistent', path: '/a' },
    op: create('/a/c'),
    fires: ['NodeChildrenChanged /a'],
  },
  { watch: { add: 'persistent', path: '/a' }, op: set('/a/b'), fires: [] },
  {
    watch: { add: 'persistentRecursive', path: '/a' },
    op: set('/a/b'),
    fires: ['NodeDataChanged /a/b'],
  },
  {
    watch: { add: 'persistentRecursive', path: '/a' },
    op: create('/a/b/c'),
    fires: ['NodeCreated /a/b/c'],
  },
  {
    watch: { add: 'persistentRecursive', path: '/' },
    op: del('/a/b'),
    fires: ['NodeDeleted /a/b'],
  },
];

for (const row of ROWS) {
  const w = 'read' in row.watch ? `${row.watch.read}(watch)` : `addWatch ${row.watch.add}`;
  test(`watches: ${w} on ${row.watch.path}, then ${row.op.type} ${row.op.path} → ${row.fires.join(', ') || 'nothing'}`, () => {
    const s = setup();
    if ('read' in row.watch) {
      assert.ok(s.read(2, { type: row.watch.read, path: row.watch.path, watch: true }, 1).ok);
    } else {
      s.watches.add(2, row.watch.path, row.watch.add);
    }
    assert.ok(s.write(1, row.op, 2).ok);
    assert.deepEqual(names(s.watches.take(2)), row.fires);
    assert.deepEqual(s.watches.take(1), [], 'the writer set no watch');
  });
}

test('watches: one notification per session per event, though it set data and exists watches', () => {
  const s = setup();
  s.read(2, { type: 'getData', path: '/a/b', watch: true }, 1);
  s.read(2, { type: 'exists', path: '/a/b', watch: true }, 1);
  s.watches.add(2, '/a/b', 'persistent');
  s.write(1, set('/a/b'), 2);
  assert.deepEqual(names(s.watches.take(2)), ['NodeDataChanged /a/b']);
});

test('watches: one-shot fires exactly once per registration; the one-shot-stays mutant fires twice', () => {
  for (const mutant of [undefined, 'one-shot-stays'] as const) {
    const s = setup(mutant);
    s.read(2, { type: 'getData', path: '/a/b', watch: true }, 1);
    s.write(1, set('/a/b'), 2);
    s.write(1, set('/a/b'), 3);
    const got = s.watches.take(2).length;
    if (mutant === undefined) assert.equal(got, 1);
    else assert.equal(got, 2, 'mutant not caught');
  }
});

test('watches: persistent watches stay until the session ends; a multi fires after all its ops', () => {
  const s = setup();
  s.watches.add(2, '/a', 'persistentRecursive');
  s.write(1, set('/a/b'), 2);
  s.write(1, { type: 'multi', ops: [create('/a/x'), set('/a/x'), del('/a/x')] }, 3);
  const got = s.watches.take(2);
  assert.deepEqual(names(got), [
    'NodeDataChanged /a/b',
    'NodeCreated /a/x',
    'NodeDataChanged /a/x',
    'NodeDeleted /a/x',
  ]);
  assert.equal(new Set(got.slice(1).map((e) => e.zxid)).size, 1, 'one txn, one zxid');
  s.write(1, { type: 'closeSession' }, 4);
  s.write(2, { type: 'closeSession' }, 4);
  assert.equal(s.watches.has(2, '/a', 'persistentRecursive'), false);
});

test('watches: an expired session’s ephemerals fire NodeDeleted for others', () => {
  const s = setup();
  s.write(1, { type: 'create', path: '/a/e', data: '', mode: 'ephemeral' }, 0);
  s.read(2, { type: 'exists', path: '/a/e', watch: true }, 1);
  s.read(2, { type: 'getChildren', path: '/a', watch: true }, 1);
  s.ping(2, 29_000);
  s.tick(30_001);
  assert.deepEqual(names(s.watches.take(2)), ['NodeDeleted /a/e', 'NodeChildrenChanged /a']);
});

test('watches: ordering: the event is queued before any reply to a later read of the new state', () => {
  const s = setup();
  s.read(2, { type: 'getData', path: '/a/b', watch: true }, 1);
  s.write(1, { type: 'setData', path: '/a/b', data: 'eA==', version: -1 }, 2);
  // A server delivers take() before the reply to the read that follows.
  const before = s.watches.take(2);
  const r = s.read(2, { type: 'getData', path: '/a/b' }, 3);
  assert.deepEqual(names(before), ['NodeDataChanged /a/b']);
  assert.ok(r.ok && r.result.type === 'getData' && r.result.data === 'eA==');
});

test('setWatches on reconnect: what changed since the client’s last zxid fires at once; the rest is registered', () => {
  const s = setup();
  const seen = s.state.lastZxid();
  s.write(1, set('/a/b'), 1); // changed since
  s.write(1, create('/a/n'), 1); // created since (exists watch); /a's children changed
  s.write(1, create('/q'), 1);
  s.write(1, del('/q'), 1); // deleted since
  s.watches.setWatches(s.state, 2, seen, {
    data: ['/a/b', '/q', '/a'],
    exist: ['/a/n', '/z'],
    child: ['/a', '/a/b'],
    persistent: [],
    persistentRecursive: ['/a'],
  });
  assert.deepEqual(names(s.watches.take(2)), [
    'NodeDataChanged /a/b',
    'NodeDeleted /q',
    'NodeCreated /a/n',
    'NodeChildrenChanged /a',
  ]);
  assert.equal(s.watches.has(2, '/a', 'data'), true, '/a data unchanged since: registered');
  assert.equal(s.watches.has(2, '/z', 'exist'), true);
  assert.equal(s.watches.has(2, '/a/b', 'child'), true);
  assert.equal(s.watches.has(2, '/a/b', 'data'), false, 'fired, so spent');
  s.write(1, create('/z'), 2);
  assert.deepEqual(names(s.watches.take(2)), ['NodeCreated /z']);
});
