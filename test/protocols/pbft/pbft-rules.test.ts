/**
 * PBFT's certificate rules, pinned on the functions that judge them (issue 27 item 2): the
 * quorum size (any two quorums share an honest replica; the honest replicas form one alone),
 * the prepared certificate, the checkpoint certificate and the view-change / new-view
 * certificates, at n = 4 (Q = 3) and n = 7 (Q = 5). The anomalies the quorums prevent are shown
 * on the whole system by test/systems/pbft.test.ts ("pbft: the prepare-quorum-f mutant is
 * caught by an equivocating primary", "pbft: the quorum-2f-plus-1 mutant is caught by K = f
 * colluders at n ≠ 3f + 1"); forged and lying certificates in a run by "pbft: forgeries, lies
 * and bad view changes are rejected" and "pbft view change: prepared certificates are verified
 * down to each signature".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/protocols/pbft/ed25519.js';
import {
  sha256Hex,
  signAs,
  verifySigned,
  type SignedMsg,
} from '../../../src/protocols/pbft/crypto.js';
import type { Body } from '../../../src/protocols/pbft/messages.js';
import { faultsTolerated, quorums } from '../../../src/protocols/pbft/quorums.js';
import {
  checkpointProofDigest,
  verifyNewView,
  verifyPreparedProof,
  verifyViewChange,
  type VerifyContext,
} from '../../../src/protocols/pbft/view-change.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);

function context(n: number): VerifyContext {
  const cluster = ids(n);
  const { quorum } = quorums(n);
  return {
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
}

/** A message whose body names `as` as its sender but that `by` signed. */
function forged(as: string, by: string, body: Body): SignedMsg {
  const real = signAs(by, body);
  return { ...real, p: JSON.stringify({ ...JSON.parse(real.p), i: as }) };
}

// ---- quorums -------------------------------------------------------------------------------------

test('pbft quorum size: any two quorums share f + 1 replicas and the n − f honest ones form one', () => {
  for (let n = 4; n <= 31; n++) {
    const { f, quorum: q } = quorums(n);
    assert.equal(f, faultsTolerated(n));
    assert.ok(2 * q - n >= f + 1, `n=${n}: quorums of ${q} may share only faulty replicas`);
    assert.ok(q <= n - f, `n=${n}: the honest replicas cannot form a quorum of ${q}`);
    // And it is the smallest such quorum: one fewer loses the intersection.
    assert.ok(2 * (q - 1) - n < f + 1, `n=${n}: ${q} is not the smallest`);
  }
  assert.equal(quorums(4).quorum, 3);
  assert.equal(quorums(7).quorum, 5);
  // The textbook 2f + 1 (the quorum-2f-plus-1 mutant) is too small off n = 3f + 1.
  const n5 = quorums(5, 1, 'fixed-2f+1');
  assert.equal(n5.quorum, 3);
  assert.ok(2 * n5.quorum - 5 < n5.f + 1, 'two 2f + 1 quorums at n = 5 may share one replica');
});

// ---- prepared certificate ------------------------------------------------------------------------

function preparedFixture(n: number) {
  const ctx = context(n);
  const req = signAs('n3', {
    t: 'request',
    i: 'n3',
    req: { client: 'c0', seq: 1, op: { f: 'put', key: 'k', value: 'v' }, proxy: 'n3' },
  });
  const d = sha256Hex(req.p);
  const pp = signAs('n1', { t: 'pre-prepare', i: 'n1', v: 0, n: 1, d, req });
  const prep = (i: string, digest = d) => signAs(i, { t: 'prepare', i, v: 0, n: 1, d: digest });
  return { ctx, d, pp, prep };
}

test('pbft prepared certificate: the pre-prepare and Q − 1 matching prepares from distinct backups', () => {
  const { ctx, d, pp, prep } = preparedFixture(4);
  const cert = (prepares: SignedMsg[]) => verifyPreparedProof(ctx, { pp, prepares }, 1, 0, 32);
  assert.equal(cert([prep('n2'), prep('n3')])?.d, d, 'Q − 1 = 2 prepares');
  assert.equal(cert([prep('n2')]), undefined, 'f prepares (the prepare-quorum-f mutant) are not');
  assert.equal(cert([prep('n2'), prep('n2')]), undefined, 'one backup counted once');
  assert.equal(cert([prep('n1'), prep('n2')]), undefined, 'the primary does not prepare');
  assert.equal(cert([prep('n2'), prep('n3', 'other')]), undefined, 'another digest');
  assert.equal(
    cert([prep('n2'), forged('n3', 'n4', { t: 'prepare', i: 'n4', v: 0, n: 1, d })]),
    undefined,
    'a forged signature',
  );
  assert.equal(
    verifyPreparedProof(ctx, { pp, prepares: [prep('n2'), prep('n3')] }, 0, 0, 32),
    undefined,
    'not from an earlier view',
  );
});

// ---- checkpoint certificate ----------------------------------------------------------------------

test('pbft checkpoint certificate: Q signed checkpoints of one digest from distinct replicas', () => {
  for (const n of [4, 7]) {
    const ctx = context(n);
    const q = ctx.quorum;
    const ck = (i: string, d = 'x', at = 16) => signAs(i, { t: 'checkpoint', i, n: at, d });
    const signers = ids(n);
    assert.equal(
      checkpointProofDigest(
        ctx,
        16,
        signers.slice(0, q).map((i) => ck(i)),
      ),
      'x',
    );
    assert.equal(
      checkpointProofDigest(
        ctx,
        16,
        signers.slice(0, q - 1).map((i) => ck(i)),
      ),
      undefined,
      `n=${n}: Q − 1 signers`,
    );
    assert.equal(
      checkpointProofDigest(ctx, 16, [...signers.slice(0, q - 1).map((i) => ck(i)), ck('n1')]),
      undefined,
      `n=${n}: a signer twice counts once`,
    );
    assert.equal(
      checkpointProofDigest(ctx, 16, [
        ...signers.slice(0, q - 1).map((i) => ck(i)),
        ck(signers[q - 1] as string, 'y'),
      ]),
      undefined,
      `n=${n}: digests split`,
    );
    assert.equal(
      checkpointProofDigest(ctx, 16, [
        ...signers.slice(0, q - 1).map((i) => ck(i)),
        ck(signers[q - 1] as string, 'x', 32),
      ]),
      undefined,
      `n=${n}: another sequence number`,
    );
    const last = signers[q - 1] as string;
    assert.equal(
      checkpointProofDigest(ctx, 16, [
        ...signers.slice(0, q - 1).map((i) => ck(i)),
        forged(last, 'n1', { t: 'checkpoint', i: 'n1', n: 16, d: 'x' }),
      ]),
      undefined,
      `n=${n}: a forged signature`,
    );
  }
});

// ---- view-change and new-view certificates ---------------------------------------------------------

test('pbft view-change certificate: its checkpoint and prepared proofs must each be valid', () => {
  const { ctx, d, pp } = preparedFixture(4);
  const ck = (i: string) => signAs(i, { t: 'checkpoint', i, n: 16, d: 'x' });
  const vc = (C: SignedMsg[], P: unknown[], n = 16) =>
    verifyViewChange(ctx, signAs('n2', { t: 'view-change', i: 'n2', v: 1, n, C, P } as Body));
  // The request prepared at 1 in the fixture, prepared here at 17 (inside the window of 16).
  const req = (JSON.parse(pp.p) as { req: SignedMsg }).req;
  const prepared17 = {
    pp: signAs('n1', { t: 'pre-prepare', i: 'n1', v: 0, n: 17, d, req }),
    prepares: ['n2', 'n3'].map((i) => signAs(i, { t: 'prepare', i, v: 0, n: 17, d })),
  };
  const ok = vc(['n1', 'n2', 'n3'].map(ck), [prepared17]);
  assert.equal(ok?.ckptDigest, 'x');
  assert.equal(ok?.prepared.get(17)?.d, d);
  assert.equal(vc(['n1', 'n2'].map(ck), [prepared17]), undefined, 'a checkpoint proof of Q − 1');
  assert.equal(
    vc(['n1', 'n2', 'n3'].map(ck), [{ ...prepared17, prepares: prepared17.prepares.slice(1) }]),
    undefined,
    'a prepared proof of f',
  );
  assert.equal(vc(['n1', 'n2', 'n3'].map(ck), [prepared17, prepared17]), undefined, 'one n twice');
  assert.equal(vc([], [], 15), undefined, 'a checkpoint off the interval');
  // At n = 0 no checkpoint proof is needed.
  assert.equal(vc([], [], 0)?.ckptDigest, null);
});

test('pbft new-view certificate: Q valid view-changes for the view from distinct replicas', () => {
  for (const n of [4, 7]) {
    const ctx = context(n);
    const q = ctx.quorum;
    const vc = (i: string, v = 1) => signAs(i, { t: 'view-change', i, v, n: 0, C: [], P: [] });
    const nv = (V: SignedMsg[], by = 'n2') => signAs(by, { t: 'new-view', i: by, v: 1, V, O: [] });
    const signers = ids(n);
    assert.ok(verifyNewView(ctx, nv(signers.slice(0, q).map((i) => vc(i)))), `n=${n}: Q`);
    assert.equal(
      verifyNewView(ctx, nv(signers.slice(0, q - 1).map((i) => vc(i)))),
      undefined,
      `n=${n}: Q − 1`,
    );
    assert.equal(
      verifyNewView(ctx, nv([...signers.slice(0, q - 1).map((i) => vc(i)), vc('n1')])),
      undefined,
      `n=${n}: a replica twice`,
    );
    assert.equal(
      verifyNewView(
        ctx,
        nv([...signers.slice(0, q - 1).map((i) => vc(i)), vc(signers[q - 1] as string, 2)]),
      ),
      undefined,
      `n=${n}: a view-change for another view`,
    );
    assert.equal(
      verifyNewView(
        ctx,
        nv(
          signers.slice(0, q).map((i) => vc(i)),
          'n3',
        ),
      ),
      undefined,
      `n=${n}: not from the new primary`,
    );
  }
});
