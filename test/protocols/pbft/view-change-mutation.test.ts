/**
 * PBFT's view change (view-change.ts; Castro & Liskov, OSDI'99 §4.4, TOCS 2002 §4.4) on its
 * rule functions, at n = 4 (f = 1, Q = 3, K = 16): a VIEW-CHANGE carries its stable checkpoint's
 * proof (Q signed checkpoints) and a prepared certificate for every request prepared above it,
 * inside the log window; the new primary's NEW-VIEW needs Q view-changes for its view from
 * distinct replicas and computes min-s, max-s and O exactly (the prepared request of the
 * highest view at each n, a null request for each gap); a backup accepts a NEW-VIEW only if O
 * is what it recomputes from V. One rule per test; each certificate is verified down to its
 * signatures, with real Ed25519.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { signAs, type SignedMsg } from '../../../src/protocols/pbft/crypto.js';
import {
  NULL_DIGEST,
  type Body,
  type PreparedProof,
} from '../../../src/protocols/pbft/messages.js';
import {
  checkpointProofDigest,
  computeNewView,
  primaryOf,
  verifyNewView,
  verifyPrePrepare,
  verifyPreparedProof,
  verifyViewChange,
  type ViewChangeInfo,
  type VerifyContext,
} from '../../../src/protocols/pbft/view-change.js';
import {
  checkpoint,
  checkpointProof,
  context,
  digestOf,
  forged,
  K,
  newView,
  prePrepare,
  prepare,
  preparedCert,
  request,
  viewChange,
} from './signed-fixture.js';

// Built in a hook, not at import: a broken quorums.ts then fails these tests instead of
// stopping the mutation suite's process before any test runs (a mutant Stryker cannot score).
let ctx: VerifyContext;
let cluster: readonly string[];
before(() => {
  ctx = context(4);
  cluster = ctx.cluster;
});

/** Verifies `msg` as a view-change, asserting it is valid. */
function info(msg: SignedMsg): ViewChangeInfo {
  const vc = verifyViewChange(ctx, msg);
  assert.ok(vc !== undefined, 'the fixture view-change is valid');
  return vc;
}

// ---- primaries and pre-prepares ----------------------------------------------------------------

test('the primary of view v is replica v mod n', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 9].map((v) => primaryOf(cluster, v)),
    ['n1', 'n2', 'n3', 'n4', 'n1', 'n2', 'n2'],
  );
});

test("a pre-prepare is genuine only if signed by its view's primary with the request's digest", () => {
  const req = request(1);
  const pp = prePrepare(cluster, 1, 5, req);
  assert.deepEqual(verifyPrePrepare(ctx, pp), JSON.parse(pp.p));
  const body = (b: Partial<Record<string, unknown>>, by = 'n2') =>
    signAs(by, { t: 'pre-prepare', i: by, v: 1, n: 5, d: digestOf(req), req, ...b });
  assert.ok(verifyPrePrepare(ctx, body({})));
  assert.equal(verifyPrePrepare(ctx, body({}, 'n3')), undefined, 'not the primary of view 1');
  assert.equal(verifyPrePrepare(ctx, body({ d: digestOf(request(2)) })), undefined, 'digest');
  assert.equal(verifyPrePrepare(ctx, body({ d: 7 })), undefined, 'a digest that is no string');
  assert.equal(verifyPrePrepare(ctx, body({ n: 0 })), undefined, 'sequence numbers start at 1');
  assert.equal(verifyPrePrepare(ctx, body({ n: 2.5 })), undefined, 'n not a count');
  assert.equal(verifyPrePrepare(ctx, body({ v: -3 }, 'n2')), undefined, 'v not a count');
  assert.equal(verifyPrePrepare(ctx, body({ v: 1.5 }, 'n2')), undefined, 'v not an integer');
  // '1' % 4 is 1: without the count check n2 would pass as the primary of view '1'.
  assert.equal(verifyPrePrepare(ctx, body({ v: '1' }, 'n2')), undefined, 'v a string');
  assert.equal(verifyPrePrepare(ctx, prepare('n2', 1, 5, digestOf(req))), undefined, 'a prepare');
  assert.equal(verifyPrePrepare(ctx, forged('n2', 'n3', JSON.parse(pp.p) as Body)), undefined);
  // The request inside must itself be a request signed by its proxy.
  assert.equal(verifyPrePrepare(ctx, body({ req: { p: req.p } })), undefined, 'not a signed msg');
  const fakeReq = forged('n3', 'n4', JSON.parse(req.p) as Body);
  assert.equal(verifyPrePrepare(ctx, body({ req: fakeReq, d: digestOf(fakeReq) })), undefined);
});

test('the null request: digest NULL_DIGEST and no request, nothing else', () => {
  const nullPp = prePrepare(cluster, 1, 5, null);
  assert.equal(verifyPrePrepare(ctx, nullPp)?.d, NULL_DIGEST);
  const lying = signAs('n2', { t: 'pre-prepare', i: 'n2', v: 1, n: 5, d: 'abc', req: null });
  assert.equal(verifyPrePrepare(ctx, lying), undefined, 'no request with a real-looking digest');
});

// ---- checkpoint proof ----------------------------------------------------------------------------

test('a stable checkpoint proof is Q signed CHECKPOINTs of one (n, d) from distinct replicas', () => {
  assert.equal(checkpointProofDigest(ctx, K, checkpointProof(ctx, K, 'x')), 'x');
  const two = checkpointProof(ctx, K, 'x').slice(0, 2);
  assert.equal(checkpointProofDigest(ctx, K, two), undefined, '2f signers');
  assert.equal(checkpointProofDigest(ctx, K, [...two, two[0] as SignedMsg]), undefined, 'twice');
  assert.equal(
    checkpointProofDigest(ctx, K, [...two, prepare('n3', 0, K, 'x')]),
    undefined,
    'a prepare is no checkpoint',
  );
  assert.equal(
    checkpointProofDigest(ctx, K, [...two, checkpoint('n3', 2 * K, 'x')]),
    undefined,
    'another n',
  );
  const numeric = cluster.slice(0, 3).map((i) => signAs(i, { t: 'checkpoint', i, n: K, d: 7 }));
  assert.equal(checkpointProofDigest(ctx, K, numeric), undefined, 'a digest that is no string');
  assert.equal(checkpointProofDigest(ctx, K, {}), undefined, 'not a list');
  assert.equal(checkpointProofDigest(ctx, K, 'xyz'), undefined, 'not a list');
  // Split digests: the one with Q signers wins, whichever comes first.
  const split = [checkpoint('n4', K, 'y'), ...checkpointProof(ctx, K, 'x')];
  assert.equal(checkpointProofDigest(ctx, K, split), 'x');
});

// ---- prepared certificates -----------------------------------------------------------------------

test('a prepared certificate: the pre-prepare and 2f matching prepares from distinct backups', () => {
  const req = request(1);
  const cert = preparedCert(ctx, 0, 5, req);
  assert.deepEqual(verifyPreparedProof(ctx, cert, 1, 0, 2 * K), {
    v: 0,
    n: 5,
    d: digestOf(req),
    req,
  });
  const d = digestOf(req);
  const with_ = (prepares: SignedMsg[]) =>
    verifyPreparedProof(ctx, { pp: cert.pp, prepares }, 1, 0, 2 * K);
  assert.equal(with_([prepare('n2', 0, 5, d)]), undefined, 'f prepares');
  assert.equal(with_([prepare('n2', 0, 5, d), prepare('n2', 0, 5, d)]), undefined, 'one twice');
  assert.equal(with_([prepare('n1', 0, 5, d), prepare('n2', 0, 5, d)]), undefined, 'the primary');
  assert.equal(with_([prepare('n2', 0, 5, d), prepare('n3', 1, 5, d)]), undefined, 'other view');
  assert.equal(with_([prepare('n2', 0, 5, d), prepare('n3', 0, 6, d)]), undefined, 'other n');
  assert.equal(with_([prepare('n2', 0, 5, d), prepare('n3', 0, 5, 'x')]), undefined, 'other d');
  assert.equal(with_([prepare('n2', 0, 5, d), checkpoint('n3', 5, d)]), undefined, 'not prepares');
  assert.ok(with_([prepare('n2', 0, 5, d), prepare('n3', 0, 5, d), prepare('n4', 0, 5, d)]));
});

test('a prepared certificate that is not an object, or whose prepares are not a list, is refused', () => {
  const cert = preparedCert(ctx, 0, 5, request(1));
  assert.equal(verifyPreparedProof(ctx, null, 1, 0, 2 * K), undefined);
  assert.equal(verifyPreparedProof(ctx, 5, 1, 0, 2 * K), undefined);
  assert.equal(verifyPreparedProof(ctx, { pp: cert.pp, prepares: {} }, 1, 0, 2 * K), undefined);
  assert.equal(verifyPreparedProof(ctx, { pp: cert.pp }, 1, 0, 2 * K), undefined);
  assert.equal(verifyPreparedProof(ctx, { prepares: cert.prepares }, 1, 0, 2 * K), undefined);
});

test('a prepared certificate counts only from a view below the new one', () => {
  const cert = preparedCert(ctx, 1, 5, request(1));
  assert.ok(verifyPreparedProof(ctx, cert, 2, 0, 2 * K));
  assert.equal(verifyPreparedProof(ctx, cert, 1, 0, 2 * K), undefined, 'from the new view itself');
});

test('a prepared certificate counts only for n in (h, h + 2K], the window above its checkpoint', () => {
  const at = (n: number) =>
    verifyPreparedProof(ctx, preparedCert(ctx, 0, n, request(n)), 1, K, 3 * K);
  assert.equal(at(K), undefined, 'at h: below the window');
  assert.equal(at(K + 1)?.n, K + 1);
  assert.equal(at(3 * K)?.n, 3 * K, 'at h + 2K');
  assert.equal(at(3 * K + 1), undefined, 'above h + 2K');
});

// ---- view-change messages ------------------------------------------------------------------------

test('a VIEW-CHANGE carries its stable checkpoint with a proof of Q signed checkpoints', () => {
  const C = checkpointProof(ctx, K, 'x');
  const vc = verifyViewChange(ctx, viewChange('n2', 1, K, C, []));
  assert.deepEqual(vc, { i: 'n2', v: 1, n: K, ckptDigest: 'x', C, prepared: new Map() });
  assert.equal(verifyViewChange(ctx, viewChange('n2', 1, K, C.slice(0, 2), [])), undefined, '2f');
  assert.equal(verifyViewChange(ctx, viewChange('n2', 1, 2 * K, C, [])), undefined, 'another n');
  assert.equal(verifyViewChange(ctx, viewChange('n2', 1, K / 2, [], [])), undefined, 'off K');
});

test('a VIEW-CHANGE names a checkpoint at a multiple of K, even with Q signatures for another n', () => {
  const C8 = checkpointProof(ctx, K / 2, 'x');
  assert.equal(checkpointProofDigest(ctx, K / 2, C8), 'x', 'the proof itself has Q signers');
  assert.equal(verifyViewChange(ctx, viewChange('n2', 1, K / 2, C8, [])), undefined);
});

test('a VIEW-CHANGE from checkpoint 0 needs no proof and carries none', () => {
  const junk = [checkpoint('n3', K, 'x')];
  const vc = verifyViewChange(ctx, viewChange('n2', 1, 0, junk, []));
  assert.deepEqual(vc, { i: 'n2', v: 1, n: 0, ckptDigest: null, C: [], prepared: new Map() });
});

test('a VIEW-CHANGE carries the prepared certificates above its checkpoint, each valid', () => {
  const C = checkpointProof(ctx, K, 'x');
  const a = preparedCert(ctx, 0, K + 1, request(1));
  const b = preparedCert(ctx, 0, 3 * K, request(2));
  const vc = verifyViewChange(ctx, viewChange('n2', 1, K, C, [a, b]));
  assert.deepEqual(
    [...(vc?.prepared.entries() ?? [])].map(([n, p]) => [n, p.d]),
    [
      [K + 1, digestOf(request(1))],
      [3 * K, digestOf(request(2))],
    ],
  );
  const below = preparedCert(ctx, 0, K, request(3));
  assert.equal(verifyViewChange(ctx, viewChange('n2', 1, K, C, [a, below])), undefined, 'at h');
  const past = preparedCert(ctx, 0, 3 * K + 1, request(3));
  assert.equal(verifyViewChange(ctx, viewChange('n2', 1, K, C, [past])), undefined, '> h + 2K');
  const short: PreparedProof = { pp: a.pp, prepares: a.prepares.slice(1) };
  assert.equal(verifyViewChange(ctx, viewChange('n2', 1, K, C, [short])), undefined, 'one bad');
  const again = preparedCert(ctx, 0, K + 1, request(4));
  assert.equal(verifyViewChange(ctx, viewChange('n2', 1, K, C, [a, again])), undefined, 'n twice');
  const sameView = preparedCert(ctx, 1, K + 1, request(1));
  assert.equal(verifyViewChange(ctx, viewChange('n2', 1, K, C, [sameView])), undefined, 'view 1');
});

test('a VIEW-CHANGE is for a view above 0, with a count n and lists C and P, signed by its sender', () => {
  const bad = (b: Record<string, unknown>, by = 'n2') =>
    verifyViewChange(ctx, signAs(by, { t: 'view-change', i: by, v: 1, n: 0, C: [], P: [], ...b }));
  assert.ok(bad({}));
  assert.equal(bad({ v: 0 }), undefined, 'view 0 is never changed to');
  assert.equal(bad({ v: -1 }), undefined);
  assert.equal(bad({ v: 1.5 }), undefined);
  assert.equal(bad({ n: -16 }), undefined);
  assert.equal(bad({ n: 'x' }), undefined);
  assert.equal(bad({ C: {} }), undefined, 'C not a list');
  assert.equal(bad({ P: {} }), undefined, 'P not a list');
  assert.equal(bad({ t: 'new-view' }), undefined);
  const vc = viewChange('n2', 1, 0, [], []);
  assert.equal(verifyViewChange(ctx, forged('n3', 'n2', JSON.parse(vc.p) as Body)), undefined);
});

// ---- computing the new view ----------------------------------------------------------------------

test('O from no view-changes: min-s = max-s = 0, no checkpoint, nothing to re-issue', () => {
  assert.deepEqual(computeNewView([]), {
    minS: 0,
    ckptDigest: null,
    ckptProof: [],
    maxS: 0,
    entries: [],
  });
});

test('min-s is the latest stable checkpoint in V, with its digest and proof', () => {
  const C16 = checkpointProof(ctx, K, 'x');
  const C32 = checkpointProof(ctx, 2 * K, 'y');
  const plan = computeNewView([
    info(viewChange('n2', 1, K, C16, [])),
    info(viewChange('n3', 1, 2 * K, C32, [])),
    info(viewChange('n4', 1, 0, [], [])),
  ]);
  assert.equal(plan.minS, 2 * K);
  assert.equal(plan.ckptDigest, 'y');
  assert.deepEqual(plan.ckptProof, C32);
  assert.equal(plan.maxS, 2 * K, 'max-s is min-s when nothing is prepared above it');
  assert.deepEqual(plan.entries, []);
});

test('max-s is the highest prepared n in V; O re-issues each prepared request, nulls in the gaps', () => {
  const r1 = request(1);
  const r3 = request(3);
  const plan = computeNewView([
    info(viewChange('n2', 1, 0, [], [preparedCert(ctx, 0, 1, r1)])),
    info(viewChange('n3', 1, 0, [], [preparedCert(ctx, 0, 3, r3)])),
    info(viewChange('n4', 1, 0, [], [])),
  ]);
  assert.equal(plan.minS, 0);
  assert.equal(plan.maxS, 3);
  assert.deepEqual(plan.entries, [
    { v: 0, n: 1, d: digestOf(r1), req: r1 },
    { v: -1, n: 2, d: NULL_DIGEST, req: null },
    { v: 0, n: 3, d: digestOf(r3), req: r3 },
  ]);
});

test('O starts above min-s: requests prepared at or below the latest checkpoint are not re-issued', () => {
  const C = checkpointProof(ctx, K, 'x');
  const r5 = request(5);
  const r18 = request(18);
  const plan = computeNewView([
    info(viewChange('n2', 1, 0, [], [preparedCert(ctx, 0, 5, r5), preparedCert(ctx, 0, K, r5)])),
    info(viewChange('n3', 1, K, C, [preparedCert(ctx, 0, K + 2, r18)])),
  ]);
  assert.equal(plan.minS, K);
  assert.deepEqual(
    plan.entries.map((e) => [e.n, e.d]),
    [
      [K + 1, NULL_DIGEST],
      [K + 2, digestOf(r18)],
    ],
  );
});

test('max-s is the highest prepared n, whatever order V and each P list them in', () => {
  const [r1, r2, r3] = [request(1), request(2), request(3)];
  const plan = computeNewView([
    info(viewChange('n2', 1, 0, [], [preparedCert(ctx, 0, 3, r3), preparedCert(ctx, 0, 1, r1)])),
    info(viewChange('n3', 1, 0, [], [preparedCert(ctx, 0, 2, r2)])),
  ]);
  assert.equal(plan.maxS, 3);
  assert.deepEqual(
    plan.entries.map((e) => e.d),
    [r1, r2, r3].map(digestOf),
  );
});

test('for each n, O takes the prepared certificate of the highest view, whatever the order of V', () => {
  const old = request(1, 'old');
  const newer = request(1, 'newer');
  const vcs = [
    info(viewChange('n2', 2, 0, [], [preparedCert(ctx, 0, 1, old)])),
    info(viewChange('n3', 2, 0, [], [preparedCert(ctx, 1, 1, newer)])),
    info(viewChange('n4', 2, 0, [], [preparedCert(ctx, 0, 1, old)])),
  ];
  for (const order of [vcs, [...vcs].reverse()]) {
    const [e] = computeNewView(order).entries;
    assert.deepEqual(e, { v: 1, n: 1, d: digestOf(newer), req: newer });
  }
});

test('ties between certificates of one view go to the smallest digest, whatever the order of V', () => {
  const [a, b] = [request(1, 'a'), request(1, 'b')];
  const small = digestOf(a) < digestOf(b) ? a : b;
  const vcs = [
    info(viewChange('n2', 1, 0, [], [preparedCert(ctx, 0, 1, a)])),
    info(viewChange('n3', 1, 0, [], [preparedCert(ctx, 0, 1, b)])),
  ];
  for (const order of [vcs, [...vcs].reverse()]) {
    assert.equal(computeNewView(order).entries[0]?.d, digestOf(small));
  }
});

// ---- verifying a NEW-VIEW ------------------------------------------------------------------------

/** V for view 1: n2, n3, n4; n3 prepared r1 at 1 and r3 at 3 in view 0. */
function fixtureV() {
  const r1 = request(1);
  const r3 = request(3);
  const V = [
    viewChange('n2', 1, 0, [], []),
    viewChange('n3', 1, 0, [], [preparedCert(ctx, 0, 1, r1), preparedCert(ctx, 0, 3, r3)]),
    viewChange('n4', 1, 0, [], []),
  ];
  const O = [
    prePrepare(cluster, 1, 1, r1),
    prePrepare(cluster, 1, 2, null),
    prePrepare(cluster, 1, 3, r3),
  ];
  return { r1, r3, V, O };
}

test('a backup accepts a NEW-VIEW whose O is what it recomputes from V', () => {
  const { r1, r3, V, O } = fixtureV();
  const nv = verifyNewView(ctx, newView(cluster, 1, V, O));
  assert.equal(nv?.v, 1);
  assert.deepEqual(nv?.O, O);
  assert.deepEqual(nv?.plan, computeNewView(V.map(info)));
  assert.deepEqual(
    nv?.plan.entries.map((e) => e.d),
    [digestOf(r1), NULL_DIGEST, digestOf(r3)],
  );
});

test('a NEW-VIEW that drops, replaces, reorders or adds an entry of O is refused', () => {
  const { r1, V, O } = fixtureV();
  const refused = (o: SignedMsg[], why: string) =>
    assert.equal(verifyNewView(ctx, newView(cluster, 1, V, o)), undefined, why);
  refused(O.slice(0, 2), 'the last prepared request dropped');
  refused([...O, prePrepare(cluster, 1, 4, null)], 'an extra entry');
  refused([O[0], prePrepare(cluster, 1, 2, request(2)), O[2]] as SignedMsg[], 'a gap filled');
  refused(
    [prePrepare(cluster, 1, 1, null), O[1], O[2]] as SignedMsg[],
    'a prepared request nulled',
  );
  refused([O[1], O[0], O[2]] as SignedMsg[], 'out of order');
  refused([O[0], prePrepare(cluster, 1, 5, null), O[2]] as SignedMsg[], 'the gap at 2 filled at 5');
  refused([prePrepare(cluster, 5, 1, r1), O[1], O[2]] as SignedMsg[], 'a pre-prepare of view 5');
  refused(
    [forged('n2', 'n3', JSON.parse((O[0] as SignedMsg).p) as Body), O[1], O[2]] as SignedMsg[],
    'forged',
  );
});

test('a NEW-VIEW needs 2f + 1 valid view-changes for its view from distinct replicas', () => {
  const vc = (i: string, v = 1) => viewChange(i, v, 0, [], []);
  const nv = (V: SignedMsg[]) => verifyNewView(ctx, newView(cluster, 1, V, []));
  assert.ok(nv(['n2', 'n3', 'n4'].map((i) => vc(i))));
  assert.equal(nv(['n2', 'n3'].map((i) => vc(i))), undefined, '2f');
  assert.equal(nv([vc('n2'), vc('n3'), vc('n3')]), undefined, 'a replica twice');
  const four = [vc('n2'), vc('n3'), vc('n4'), vc('n3')];
  assert.equal(nv(four), undefined, 'a replica twice, even beside Q distinct ones');
  // Twice with different contents: O recomputed from all four would re-issue its request.
  const r1 = request(1);
  const n3Again = viewChange('n3', 1, 0, [], [preparedCert(ctx, 0, 1, r1)]);
  const V = [vc('n2'), vc('n3'), vc('n4'), n3Again];
  const O = [prePrepare(cluster, 1, 1, r1)];
  assert.equal(verifyNewView(ctx, newView(cluster, 1, V, O)), undefined, 'two of one replica');
  assert.equal(nv([vc('n2'), vc('n3'), vc('n4', 2)]), undefined, 'one for another view');
  const badVc = viewChange('n4', 1, K, checkpointProof(ctx, K, 'x').slice(0, 2), []);
  assert.equal(nv([vc('n2'), vc('n3'), badVc]), undefined, 'one invalid view-change');
});

test('a NEW-VIEW that does not verify as signed by the replica it names is refused', () => {
  const V = ['n2', 'n3', 'n4'].map((i) => viewChange(i, 1, 0, [], []));
  const body = JSON.parse(newView(cluster, 1, V, []).p) as Body;
  assert.equal(verifyNewView(ctx, forged('n2', 'n3', body)), undefined);
  assert.equal(verifyNewView(ctx, {}), undefined);
  assert.equal(verifyNewView(ctx, undefined), undefined);
});

test('a NEW-VIEW is signed by the primary of its view, for a view above 0, with lists V and O', () => {
  const V = ['n2', 'n3', 'n4'].map((i) => viewChange(i, 1, 0, [], []));
  const bad = (b: Record<string, unknown>, by = 'n2') =>
    verifyNewView(ctx, signAs(by, { t: 'new-view', i: by, v: 1, V, O: [], ...b }));
  assert.ok(bad({}));
  assert.equal(bad({}, 'n3'), undefined, 'not the primary of view 1');
  assert.equal(bad({ v: 0 }, 'n1'), undefined, 'view 0');
  assert.equal(bad({ v: 1.5 }), undefined);
  assert.equal(bad({ V: {} }), undefined, 'V not a list');
  assert.equal(bad({ O: {} }), undefined, 'O not a list');
  assert.equal(bad({ O: '' }), undefined, 'O not a list, though as long as the O recomputed');
  assert.equal(bad({ t: 'view-change' }), undefined);
  const vc0 = ['n1', 'n3', 'n4'].map((i) => viewChange(i, 0, 0, [], []));
  assert.equal(bad({ v: 0, V: vc0 }, 'n1'), undefined, 'view 0 even with V for it');
});
