import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sfc32 } from '../../../src/core/random.js';
import { SingleServer, type WriteReply } from '../../../src/systems/coordination/single-server.js';
import type { OpRequest, WriteRequest } from '../../../src/systems/coordination/requests.js';
import { treeProblem } from '../../../src/systems/coordination/tree-invariants.js';
import {
  snapshotState,
  restoreState,
  SnapshotError,
} from '../../../src/systems/coordination/snapshot.js';
import { connectRefusal, negotiateTimeout } from '../../../src/systems/coordination/sessions.js';
import { ZK_ERR, MAX_DATA_BYTES } from '../../../src/systems/coordination/zk-codes.js';
import type { Stat } from '../../../src/systems/coordination/data-tree.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A server with one session (id 1) at time 1000; every write checks the tree's invariants. */
function server(mutant?: 'multi-partial' | 'keep-ephemerals'): {
  s: SingleServer;
  w: (op: WriteRequest, session?: number, t?: number) => WriteReply;
} {
  const s = new SingleServer(mutant === undefined ? {} : { mutant });
  const w = (op: WriteRequest, session = 1, t = 1000): WriteReply => {
    const r = s.write(session, op, t);
    assert.equal(treeProblem(s.state), undefined);
    return r;
  };
  const created = w({ type: 'createSession', timeout: 10_000 }, 0);
  assert.ok(created.ok && created.result.type === 'createSession' && created.result.session === 1);
  return { s, w };
}

const create = (
  path: string,
  mode: OpRequest & { type: 'create' } extends { mode: infer M } ? M : never = 'persistent',
  data = '',
): OpRequest => ({
  type: 'create',
  path,
  data: b64(data),
  mode,
});

const stat = (s: SingleServer, path: string): Stat => {
  const n = s.state.node(path);
  assert.ok(n, `${path} exists`);
  return n.stat;
};

/** The tree without zxids: paths, data, versions, child counts. */
const shape = (s: SingleServer): string =>
  JSON.stringify(
    [...s.state.nodes.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([p, n]) => [p, n.data, n.stat.version, n.stat.cversion, n.stat.numChildren]),
  );

interface Row {
  readonly name: string;
  readonly setup: readonly WriteRequest[];
  readonly op: WriteRequest;
  readonly code: number;
  /** The asking session (1 unless said). */
  readonly session?: number;
  /** For successful ops: what to check afterwards. */
  readonly after?: (s: SingleServer, zxid: number) => void;
}

const ROWS: readonly Row[] = [
  {
    name: 'create under a missing parent',
    setup: [],
    op: create('/a/b'),
    code: ZK_ERR.NONODE,
  },
  {
    name: 'create an existing node',
    setup: [create('/a')],
    op: create('/a'),
    code: ZK_ERR.NODEEXISTS,
  },
  { name: 'create the root', setup: [], op: create('/'), code: ZK_ERR.NODEEXISTS },
  {
    name: 'create with a relative component',
    setup: [],
    op: create('/a/../b'),
    code: ZK_ERR.BADARGUMENTS,
  },
  { name: 'create with a trailing slash', setup: [], op: create('/a/'), code: ZK_ERR.BADARGUMENTS },
  {
    name: 'create with non-base64 data',
    setup: [],
    op: { type: 'create', path: '/a', data: '!!', mode: 'persistent' },
    code: ZK_ERR.BADARGUMENTS,
  },
  {
    name: 'create with data over 1 MiB',
    setup: [],
    op: {
      type: 'create',
      path: '/a',
      data: Buffer.alloc(MAX_DATA_BYTES + 1).toString('base64'),
      mode: 'persistent',
    },
    code: ZK_ERR.BADARGUMENTS,
  },
  {
    name: 'create with data of exactly 1 MiB',
    setup: [],
    op: {
      type: 'create',
      path: '/a',
      data: Buffer.alloc(MAX_DATA_BYTES).toString('base64'),
      mode: 'persistent',
    },
    code: ZK_ERR.OK,
    after: (s) => assert.equal(stat(s, '/a').dataLength, MAX_DATA_BYTES),
  },
  {
    name: 'child of an ephemeral',
    setup: [create('/e', 'ephemeral')],
    op: create('/e/c'),
    code: ZK_ERR.NOCHILDRENFOREPHEMERALS,
  },
  {
    name: 'existing child of ephemeral path reports NODEEXISTS first',
    setup: [create('/e', 'ephemeral')],
    op: create('/e'),
    code: ZK_ERR.NODEEXISTS,
  },
  {
    name: 'ttl on a non-TTL mode',
    setup: [],
    op: { ...create('/t'), ttl: 5 } as OpRequest,
    code: ZK_ERR.BADARGUMENTS,
  },
  {
    name: 'TTL mode without a ttl',
    setup: [],
    op: create('/t', 'persistentWithTtl'),
    code: ZK_ERR.BADARGUMENTS,
  },
  {
    name: 'create sets the stat and the parent cversion, pzxid, numChildren',
    setup: [create('/p')],
    op: create('/p/c', 'persistent', 'hello'),
    code: ZK_ERR.OK,
    after: (s, zxid) => {
      assert.deepEqual(stat(s, '/p/c'), {
        czxid: zxid,
        mzxid: zxid,
        pzxid: zxid,
        ctime: 1000,
        mtime: 1000,
        version: 0,
        cversion: 0,
        aversion: 0,
        ephemeralOwner: 0,
        dataLength: 5,
        numChildren: 0,
      });
      const p = stat(s, '/p');
      assert.deepEqual([p.cversion, p.pzxid, p.numChildren, p.mzxid < zxid], [1, zxid, 1, true]);
    },
  },
  {
    name: 'ephemeral create records its owner',
    setup: [],
    op: create('/e', 'ephemeral'),
    code: ZK_ERR.OK,
    after: (s) => assert.equal(stat(s, '/e').ephemeralOwner, 1),
  },
  {
    name: 'delete a missing node',
    setup: [],
    op: { type: 'delete', path: '/x', version: -1 },
    code: ZK_ERR.NONODE,
  },
  {
    name: 'delete with the wrong version',
    setup: [create('/a')],
    op: { type: 'delete', path: '/a', version: 3 },
    code: ZK_ERR.BADVERSION,
  },
  {
    name: 'delete checks the version before emptiness',
    setup: [create('/a'), create('/a/b')],
    op: { type: 'delete', path: '/a', version: 7 },
    code: ZK_ERR.BADVERSION,
  },
  {
    name: 'delete a node with children',
    setup: [create('/a'), create('/a/b')],
    op: { type: 'delete', path: '/a', version: 0 },
    code: ZK_ERR.NOTEMPTY,
  },
  {
    name: 'delete the root',
    setup: [],
    op: { type: 'delete', path: '/', version: -1 },
    code: ZK_ERR.BADARGUMENTS,
  },
  {
    name: 'delete moves the parent pzxid but not its cversion',
    setup: [create('/p'), create('/p/c')],
    op: { type: 'delete', path: '/p/c', version: 0 },
    code: ZK_ERR.OK,
    after: (s, zxid) => {
      const p = stat(s, '/p');
      assert.deepEqual([p.cversion, p.pzxid, p.numChildren], [1, zxid, 0]);
    },
  },
  {
    name: 'setData with the wrong version',
    setup: [create('/a')],
    op: { type: 'setData', path: '/a', data: '', version: 1 },
    code: ZK_ERR.BADVERSION,
  },
  {
    name: 'setData on a missing node',
    setup: [],
    op: { type: 'setData', path: '/a', data: '', version: -1 },
    code: ZK_ERR.NONODE,
  },
  {
    name: 'setData bumps version, mzxid, mtime and dataLength',
    setup: [create('/a')],
    op: { type: 'setData', path: '/a', data: b64('abc'), version: 0 },
    code: ZK_ERR.OK,
    after: (s, zxid) => {
      const st = stat(s, '/a');
      assert.deepEqual([st.version, st.mzxid, st.dataLength, st.czxid < zxid], [1, zxid, 3, true]);
    },
  },
  {
    name: 'check with the wrong version',
    setup: [create('/a')],
    op: { type: 'check', path: '/a', version: 2 },
    code: ZK_ERR.BADVERSION,
  },
  {
    name: 'check a missing node',
    setup: [],
    op: { type: 'check', path: '/a', version: -1 },
    code: ZK_ERR.NONODE,
  },
  {
    name: 'check with any version',
    setup: [create('/a')],
    op: { type: 'check', path: '/a', version: -1 },
    code: ZK_ERR.OK,
  },
  {
    name: 'a version below -1',
    setup: [create('/a')],
    op: { type: 'check', path: '/a', version: -2 },
    code: ZK_ERR.BADARGUMENTS,
  },
  {
    name: 'a request on an unknown session',
    setup: [],
    op: create('/a'),
    session: 99,
    code: ZK_ERR.SESSIONEXPIRED,
  },
  {
    name: 'a client may not expire sessions',
    setup: [],
    op: { type: 'expireSession', target: 1 },
    code: ZK_ERR.BADARGUMENTS,
  },
  {
    name: 'multi: later ops see earlier ones',
    setup: [],
    op: {
      type: 'multi',
      ops: [create('/m'), create('/m/c'), { type: 'setData', path: '/m/c', data: '', version: 0 }],
    },
    code: ZK_ERR.OK,
    after: (s) => assert.equal(stat(s, '/m/c').version, 1),
  },
  {
    name: 'multi: a failing op refuses the whole multi',
    setup: [],
    op: { type: 'multi', ops: [create('/m'), { type: 'check', path: '/nope', version: -1 }] },
    code: ZK_ERR.NONODE,
    after: (s) => assert.equal(s.state.node('/m'), undefined),
  },
];

for (const row of ROWS) {
  test(`semantics: ${row.name}`, () => {
    const { s, w } = server();
    for (const op of row.setup) assert.equal(w(op).ok, true, JSON.stringify(op));
    const r = w(row.op, row.session ?? 1);
    if (row.code === ZK_ERR.OK) {
      assert.ok(r.ok, `refused: ${JSON.stringify(r)}`);
      row.after?.(s, r.zxid);
    } else {
      assert.ok(!r.ok, 'accepted');
      assert.equal(r.code, row.code);
      row.after?.(s, 0);
    }
  });
}

test('multi per-op codes: OK before the failing op, its code, RUNTIMEINCONSISTENCY after', () => {
  const { w } = server();
  const r = w({
    type: 'multi',
    ops: [create('/a'), create('/b'), { type: 'delete', path: '/zz', version: -1 }, create('/c')],
  });
  assert.ok(!r.ok);
  assert.deepEqual(r.opCodes, [0, 0, ZK_ERR.NONODE, ZK_ERR.RUNTIMEINCONSISTENCY]);
});

test('sequential names: the parent cversion as %010d, unique though deletes and other creates interleave', () => {
  const { s, w } = server();
  w(create('/q'));
  const names: string[] = [];
  const seq = (): string => {
    const r = w(create('/q/n-', 'persistentSequential'));
    assert.ok(r.ok && r.result.type === 'create');
    names.push(r.result.path);
    return r.result.path;
  };
  assert.equal(seq(), '/q/n-0000000000');
  w(create('/q/plain'));
  assert.equal(seq(), '/q/n-0000000002');
  w({ type: 'delete', path: '/q/n-0000000000', version: -1 });
  assert.equal(seq(), '/q/n-0000000003', 'a delete does not reuse a number');
  // A trailing slash makes the number the whole name.
  const r = w(create('/q/', 'ephemeralSequential'));
  assert.ok(r.ok && r.result.type === 'create' && r.result.path === '/q/0000000004');
  assert.equal(stat(s, '/q').cversion, 5);
  assert.equal(new Set(names).size, names.length);
});

test('multi atomicity (property): a refused multi changes nothing, an accepted one equals its ops in turn', () => {
  let violations = 0;
  for (const mutant of [undefined, 'multi-partial'] as const) {
    const rng = new Sfc32(7, `multi-${mutant ?? 'none'}`);
    let seen = 0;
    for (let round = 0; round < 150; round++) {
      const { s, w } = server(mutant);
      const paths = ['/a', '/b', '/a/x', '/b/y', '/c'];
      for (const p of paths) if (rng.chance(0.4)) w(create(p));
      const ops: OpRequest[] = [];
      for (let i = 0, n = 1 + rng.int(4); i < n; i++) {
        const p = rng.pick(paths);
        const k = rng.int(4);
        ops.push(
          k === 0
            ? create(p)
            : k === 1
              ? { type: 'delete', path: p, version: -1 }
              : k === 2
                ? { type: 'setData', path: p, data: b64(String(i)), version: rng.int(2) - 1 }
                : { type: 'check', path: p, version: rng.int(2) - 1 },
        );
      }
      const before = JSON.stringify(snapshotState(s.state));
      // What applying the ops one by one on a copy does (zxids aside: a multi is one txn).
      const oneByOne = new SingleServer({ state: restoreState(JSON.parse(before)) });
      const allOk = ops.map((op) => oneByOne.write(1, op, 1000)).every((r) => r.ok);
      const r = w({ type: 'multi', ops });
      const after = JSON.stringify(snapshotState(s.state));
      const bad = r.ok ? !allOk || shape(oneByOne) !== shape(s) : after !== before;
      if (mutant === undefined) assert.equal(bad, false, `round ${round}: ${JSON.stringify(ops)}`);
      if (bad) seen++;
    }
    if (mutant !== undefined) violations = seen;
  }
  assert.ok(violations > 0, 'the multi-partial mutant was not caught');
});

test('sessions: timeout negotiated to 2–20 ticks', () => {
  assert.equal(negotiateTimeout(100, 2000), 4000);
  assert.equal(negotiateTimeout(10_000, 2000), 10_000);
  assert.equal(negotiateTimeout(1_000_000, 2000), 40_000);
  const { s, w } = server();
  const r = w({ type: 'createSession', timeout: 1 }, 0);
  assert.ok(r.ok && r.result.type === 'createSession');
  assert.equal(s.state.session(r.result.session)?.timeout, 4000);
});

test('sessions: expiry, decided by the leader and applied by txn, removes the ephemerals; the mutant leaves them', () => {
  for (const mutant of [undefined, 'keep-ephemerals'] as const) {
    const s = new SingleServer(mutant === undefined ? {} : { mutant });
    const a = s.write(0, { type: 'createSession', timeout: 6000 }, 0);
    const b = s.write(0, { type: 'createSession', timeout: 6000 }, 0);
    assert.ok(
      a.ok && a.result.type === 'createSession' && b.ok && b.result.type === 'createSession',
    );
    const [sa, sb] = [a.result.session, b.result.session];
    s.write(sa, create('/locks'), 0);
    for (let i = 0; i < 3; i++) s.write(sa, create('/locks/a-', 'ephemeralSequential'), 10);
    s.write(sb, create('/locks/b-', 'ephemeralSequential'), 10);
    s.ping(sb, 5000);
    s.tick(6001); // a silent since 10 ms: not yet past 6000
    assert.equal(s.state.sessions.size, 2);
    s.tick(6011);
    assert.equal(s.state.session(sa), undefined);
    const left = [...(s.state.node('/locks')?.children ?? [])];
    if (mutant === undefined) {
      assert.deepEqual(left, ['b-0000000003']);
      assert.equal(treeProblem(s.state), undefined);
      const last = s.log.at(-1);
      assert.equal(last?.body.type, 'closeSession');
      assert.equal(last?.session, 0, 'the expiry is the leader’s txn');
    } else {
      assert.equal(left.length, 4);
      assert.match(treeProblem(s.state) ?? '', /outlives session/);
    }
    // closeSession by the client does the same.
    s.ping(sb, 6011);
    assert.ok(s.write(sb, { type: 'closeSession' }, 6012).ok);
    assert.equal(s.write(sb, create('/x'), 6013).ok, false);
  }
});

test('containers and TTL nodes: the leader deletes them by txn when due, not before', () => {
  const { s, w } = server();
  w(create('/c', 'container'));
  w({ type: 'createSession', timeout: 100_000 }, 0);
  s.tick(1000);
  assert.ok(s.state.node('/c'), 'a container that never had children stays');
  w(create('/c/x'));
  assert.equal(w({ type: 'deleteContainer', path: '/c' }, 0).ok, false, 'not while it has a child');
  w({ type: 'delete', path: '/c/x', version: -1 });
  s.ping(1, 1000);
  s.tick(1000);
  assert.equal(s.state.node('/c'), undefined);
  w({ type: 'create', path: '/t', data: '', mode: 'persistentWithTtl', ttl: 500 }, 1, 2000);
  s.ping(1, 2400);
  s.tick(2400);
  assert.ok(s.state.node('/t'));
  s.ping(1, 2600);
  s.tick(2600);
  assert.equal(s.state.node('/t'), undefined);
});

test('reads: exists, getData, getChildren(2), getAllChildrenNumber', () => {
  const { s, w } = server();
  w(create('/r', 'persistent', 'x'));
  w(create('/r/b'));
  w(create('/r/a'));
  w(create('/r/a/z'));
  const rd = (req: Parameters<SingleServer['read']>[1]) => s.read(1, req, 1000);
  assert.deepEqual(rd({ type: 'exists', path: '/nope' }), {
    ok: true,
    result: { type: 'exists', stat: null },
  });
  assert.deepEqual(rd({ type: 'getData', path: '/nope' }), { ok: false, code: ZK_ERR.NONODE });
  const d = rd({ type: 'getData', path: '/r' });
  assert.ok(d.ok && d.result.type === 'getData' && d.result.data === b64('x'));
  const c = rd({ type: 'getChildren', path: '/r', withStat: true });
  assert.ok(c.ok && c.result.type === 'getChildren');
  assert.deepEqual(c.result.children, ['a', 'b']);
  assert.equal(c.result.stat?.numChildren, 2);
  assert.deepEqual(rd({ type: 'getAllChildrenNumber', path: '/r' }), {
    ok: true,
    result: { type: 'getAllChildrenNumber', count: 3 },
  });
  assert.deepEqual(
    rd({ type: 'getChildren', path: '/' }).ok && rd({ type: 'getChildren', path: '/' }),
    { ok: true, result: { type: 'getChildren', children: ['r', 'zookeeper'] } },
  );
  assert.deepEqual(rd({ type: 'exists', path: 'bad' }), { ok: false, code: ZK_ERR.BADARGUMENTS });
});

test('snapshot: round trip, and a tampered one is refused', () => {
  const { s, w } = server();
  w(create('/a', 'persistent', 'v'));
  w(create('/a/e', 'ephemeral'));
  const snap = snapshotState(s.state);
  const back = restoreState(JSON.parse(JSON.stringify(snap)));
  assert.deepEqual(snapshotState(back), snap);
  const tamper = (
    f: (j: { nodes: { path: string; stat: Stat; data: string }[]; sessions: unknown[] }) => void,
  ): void => {
    const j = JSON.parse(JSON.stringify(snap));
    f(j);
    assert.throws(() => restoreState(j), SnapshotError);
  };
  tamper((j) => {
    j.sessions = [];
  });
  tamper((j) => {
    j.nodes = j.nodes.filter((n) => n.path !== '/a');
  });
  tamper((j) => {
    const n = j.nodes.find((x) => x.path === '/a');
    if (n) n.stat.numChildren = 5;
  });
  tamper((j) => {
    const n = j.nodes.find((x) => x.path === '/a');
    if (n) n.data = 'other';
  });
  tamper((j) => {
    const n = j.nodes.find((x) => x.path === '/a');
    if (n) n.path = '/a/';
  });
  assert.throws(() => restoreState({ format: 'nope' }), SnapshotError);
});

test('sessions: a server behind the client’s last zxid, or without its session, refuses the connection', () => {
  const { s, w } = server();
  w(create('/a'));
  const zxid = s.state.lastZxid();
  assert.equal(connectRefusal(s.state, 1, zxid), undefined);
  assert.equal(connectRefusal(s.state, 0, 0), undefined);
  assert.equal(connectRefusal(s.state, 1, zxid + 1), 'server-behind');
  assert.equal(connectRefusal(s.state, 42, zxid), 'session-expired');
  assert.deepEqual(s.read(42, { type: 'exists', path: '/a' }, 0), {
    ok: false,
    code: ZK_ERR.SESSIONEXPIRED,
  });
});
