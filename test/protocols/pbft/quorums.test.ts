/** f and Q for any n, the collude split, and the parameters that choose them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colludeRealCount } from '../../../src/protocols/pbft/byzantine.js';
import {
  sha256Hex,
  signAs,
  verifySigned,
  type SignedMsg,
} from '../../../src/protocols/pbft/crypto.js';
import type { Body } from '../../../src/protocols/pbft/messages.js';
import {
  faultsTolerated,
  QuorumError,
  quorumSize,
  quorums,
} from '../../../src/protocols/pbft/quorums.js';
import '../../../src/protocols/pbft/ed25519.js';
import {
  checkpointProofDigest,
  verifyNewView,
  verifyPreparedProof,
  type VerifyContext,
} from '../../../src/protocols/pbft/view-change.js';
import { RunOptionError, Session } from '../../../src/sim/run.js';
import { PbftParamError, pbftSystem } from '../../../src/systems/pbft/pbft.js';

test('quorums: f = ⌊(n − 1)/3⌋, Q = ⌈(n + f + 1)/2⌉, and both properties hold for n ≥ 4', () => {
  const expected: Record<number, [number, number]> = {
    4: [1, 3],
    5: [1, 4],
    6: [1, 4],
    7: [2, 5],
    8: [2, 6],
    9: [2, 6],
    10: [3, 7],
  };
  for (const [n, [f, q]] of Object.entries(expected).map(([n, v]) => [Number(n), v] as const)) {
    assert.equal(faultsTolerated(n), f, `f for n = ${n}`);
    assert.equal(quorumSize(n), q, `Q for n = ${n}`);
  }
  for (let n = 4; n <= 40; n++) {
    const { f, quorum: Q, weak } = quorums(n);
    assert.ok(2 * Q - n >= f + 1, `n = ${n}: two quorums share an honest replica`);
    assert.ok(Q <= n - f, `n = ${n}: the honest replicas alone make a quorum`);
    assert.equal(weak, f + 1);
    // The smallest such Q: one less and two quorums could overlap only in faulty replicas.
    assert.ok(2 * (Q - 1) - n < f + 1, `n = ${n}: Q is not minimal`);
    if (n % 3 === 1) assert.equal(Q, 2 * f + 1, `n = 3f + 1 = ${n} keeps 2f + 1`);
  }
});

test('quorums: below the bound (n = 3f) no rule is both safe and live', () => {
  for (const f of [1, 2, 3, 4]) {
    const n = 3 * f;
    const safe = quorums(n, f, 'safe').quorum;
    const live = quorums(n, f, 'live').quorum;
    assert.ok(2 * safe - n >= f + 1 && safe > n - f, `n = ${n}: safe quorum cannot be live`);
    assert.ok(live <= n - f && 2 * live - n < f + 1, `n = ${n}: live quorum cannot be safe`);
    assert.equal(2 * live - n, f, 'two live quorums share only f replicas');
  }
  // For n ≥ 3f + 1 the live rule is safe too.
  for (let n = 4; n <= 20; n++) {
    const { f, quorum } = quorums(n, faultsTolerated(n), 'live');
    assert.ok(2 * quorum - n >= f + 1, `n = ${n}: n − f quorums intersect in f + 1`);
  }
  assert.equal(quorums(5, 1, 'fixed-2f+1').quorum, 3);
});

test('quorums: a bad n or f is a typed error', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof QuorumError);
      return e.code;
    }
    assert.fail('no error');
  };
  assert.equal(
    code(() => quorums(0)),
    'bad-n',
  );
  assert.equal(
    code(() => quorums(4.5)),
    'bad-n',
  );
  assert.equal(
    code(() => quorums(4, 2)),
    'bad-f',
  );
  assert.equal(
    code(() => quorums(6, -1)),
    'bad-f',
  );
  assert.equal(
    code(() => quorums(7, 1.5)),
    'bad-f',
  );
  assert.doesNotThrow(() => quorums(6, 2)); // n = 3f: allowed, to show the bound
  assert.doesNotThrow(() => quorums(3, 1, 'live'));
});

test('collude splits the honest backups so both versions reach Q exactly when K ≥ 2Q − n', () => {
  for (let n = 4; n <= 12; n++) {
    const { quorum: Q } = quorums(n);
    for (let k = 1; k < n; k++) {
      const honest = n - k;
      const real = colludeRealCount(honest, k, Q);
      assert.ok(real >= 0 && real <= honest);
      const bothCommit = real + k >= Q && honest - real + k >= Q;
      assert.equal(bothCommit, k >= 2 * Q - n, `n = ${n}, K = ${k}`);
    }
  }
  // n = 3f + 1 keeps the old half-and-half split.
  for (const [n, k] of [
    [4, 1],
    [4, 2],
    [7, 2],
    [7, 3],
    [10, 4],
  ] as const) {
    assert.equal(colludeRealCount(n - k, k, quorums(n).quorum), Math.ceil((n - k) / 2));
  }
});

test('pbft params: f, quorum and cluster size are validated with typed codes', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (e instanceof PbftParamError) return e.code;
      throw e;
    }
    return undefined;
  };
  const build = (params: Record<string, string>, cluster: string[]) =>
    pbftSystem.createNode({ params })({
      id: cluster[0],
      cluster,
      log: () => {},
    } as never);
  assert.equal(
    code(() => pbftSystem.createNode({ params: { f: 'x' } })),
    'f',
  );
  assert.equal(
    code(() => pbftSystem.createNode({ params: { quorum: 'big' } })),
    'quorum',
  );
  assert.equal(
    code(() => pbftSystem.createNode({ params: { strategy: 'sneaky' } })),
    'strategy',
  );
  assert.equal(
    code(() => pbftSystem.createNode({ params: { byzantine: '-1' } })),
    'byzantine',
  );
  const four = ['n1', 'n2', 'n3', 'n4'];
  assert.equal(
    code(() => build({ f: '2' }, four)),
    'f',
  );
  assert.equal(
    code(() => build({ byzantine: '5' }, four)),
    'byzantine',
  );
  // Three replicas: refused unless f is given (then n = 3f, below the bound, on purpose).
  const three = ['n1', 'n2', 'n3'];
  assert.equal(
    code(() => build({}, three)),
    'nodes',
  );
  assert.equal(
    code(() => build({ f: '1', quorum: 'live' }, three)),
    undefined,
  );
  // The system keeps minNodes 4: `sim pbft --nodes 3` is a usage error before any node exists.
  assert.equal(pbftSystem.minNodes, 4);
  assert.throws(() => new Session({ system: pbftSystem, nodes: 3, seed: 1 }), RunOptionError);
});

test('view-change certificates at n = 5 need Q = 4: checkpoint proofs, prepared proofs, V', () => {
  const cluster = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const { quorum } = quorums(5);
  const ctx: VerifyContext = {
    cluster,
    quorum,
    interval: 16,
    prepareQuorum: quorum - 1,
    parse: (m) => {
      const x = m as SignedMsg;
      if (typeof x?.p !== 'string') return undefined;
      const b = JSON.parse(x.p) as Body;
      return cluster.includes(b.i) && verifySigned(b.i, x) ? b : undefined;
    },
    requestOf: (m) => {
      const b = JSON.parse(m.p) as Body;
      return b.t === 'request' && verifySigned(b.i, m) && b.req.proxy === b.i ? b.req : undefined;
    },
    hash: sha256Hex,
  };
  const ck = (i: string) => signAs(i, { t: 'checkpoint', i, n: 16, d: 'x' });
  assert.equal(checkpointProofDigest(ctx, 16, cluster.slice(0, 3).map(ck)), undefined, '2f + 1');
  assert.equal(checkpointProofDigest(ctx, 16, cluster.slice(0, 4).map(ck)), 'x');

  const req = signAs('n3', {
    t: 'request',
    i: 'n3',
    req: { client: 'c0', seq: 1, op: { f: 'put', key: 'k', value: 'v' }, proxy: 'n3' },
  });
  const d = sha256Hex(req.p);
  const pp = signAs('n1', { t: 'pre-prepare', i: 'n1', v: 0, n: 1, d, req });
  const prep = (i: string) => signAs(i, { t: 'prepare', i, v: 0, n: 1, d });
  const cert = (ids: string[]) => ({ pp, prepares: ids.map(prep) });
  assert.equal(verifyPreparedProof(ctx, cert(['n2', 'n3']), 1, 0, 32), undefined, '2f prepares');
  assert.equal(verifyPreparedProof(ctx, cert(['n2', 'n3', 'n4']), 1, 0, 32)?.d, d);

  const vc = (i: string) => signAs(i, { t: 'view-change', i, v: 1, n: 0, C: [], P: [] });
  const nv = (ids: string[]) =>
    signAs('n2', { t: 'new-view', i: 'n2', v: 1, V: ids.map(vc), O: [] });
  assert.equal(verifyNewView(ctx, nv(['n2', 'n3', 'n4'])), undefined, '2f + 1 view-changes');
  assert.ok(verifyNewView(ctx, nv(['n2', 'n3', 'n4', 'n5'])));
});
