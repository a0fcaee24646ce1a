/**
 * Signed PBFT messages for the rule-function tests (`*-mutation.test.ts`): a verification
 * context over real Ed25519 signatures for a cluster n1…nN, and builders of the messages its
 * certificates hold. Every certificate the tests build is verified as a replica would, down to
 * the signatures, so a rule the code drops shows as a forged or short certificate let through.
 */
import '../../../src/protocols/pbft/ed25519.js';
import {
  sha256Hex,
  signAs,
  verifySigned,
  type SignedMsg,
} from '../../../src/protocols/pbft/crypto.js';
import type { Body, PreparedProof } from '../../../src/protocols/pbft/messages.js';
import { quorums } from '../../../src/protocols/pbft/quorums.js';
import { primaryOf, type VerifyContext } from '../../../src/protocols/pbft/view-change.js';

export const K = 16;

export const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);

export function context(n: number): VerifyContext {
  const cluster = ids(n);
  const { quorum } = quorums(n);
  return {
    cluster,
    quorum,
    interval: K,
    prepareQuorum: quorum - 1,
    parse: (m) => {
      const x = m as SignedMsg | undefined;
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
export function forged(as: string, by: string, body: Body): SignedMsg {
  const real = signAs(by, body);
  return { ...real, p: JSON.stringify({ ...(JSON.parse(real.p) as object), i: as }) };
}

/** Client c0's request number `seq`, signed by its proxy n3. */
export function request(seq: number, value = `v${seq}`): SignedMsg {
  return signAs('n3', {
    t: 'request',
    i: 'n3',
    req: { client: 'c0', seq, op: { f: 'put', key: 'k', value }, proxy: 'n3' },
  });
}

export const digestOf = (req: SignedMsg): string => sha256Hex(req.p);

/** The pre-prepare of `req` (null: the null request) at (v, n), signed by v's primary. */
export function prePrepare(
  cluster: readonly string[],
  v: number,
  n: number,
  req: SignedMsg | null,
): SignedMsg {
  const i = primaryOf(cluster, v);
  return signAs(i, { t: 'pre-prepare', i, v, n, d: req === null ? 'null' : digestOf(req), req });
}

export function prepare(i: string, v: number, n: number, d: string): SignedMsg {
  return signAs(i, { t: 'prepare', i, v, n, d });
}

/** A prepared certificate of `req` at (v, n): the pre-prepare and Q − 1 backups' prepares. */
export function preparedCert(
  ctx: VerifyContext,
  v: number,
  n: number,
  req: SignedMsg | null,
): PreparedProof {
  const pp = prePrepare(ctx.cluster, v, n, req);
  const d = req === null ? 'null' : digestOf(req);
  const primary = primaryOf(ctx.cluster, v);
  const backups = ctx.cluster.filter((i) => i !== primary).slice(0, ctx.prepareQuorum);
  return { pp, prepares: backups.map((i) => prepare(i, v, n, d)) };
}

export function checkpoint(i: string, n: number, d: string): SignedMsg {
  return signAs(i, { t: 'checkpoint', i, n, d });
}

/** Q signed checkpoints of (n, d): a stable checkpoint's proof. */
export function checkpointProof(ctx: VerifyContext, n: number, d: string): SignedMsg[] {
  return ctx.cluster.slice(0, ctx.quorum).map((i) => checkpoint(i, n, d));
}

/** `i`'s VIEW-CHANGE to `v` from its stable checkpoint `n` (proof `C`) with prepared `P`. */
export function viewChange(
  i: string,
  v: number,
  n: number,
  C: readonly SignedMsg[],
  P: readonly PreparedProof[],
): SignedMsg {
  return signAs(i, { t: 'view-change', i, v, n, C, P });
}

/** The NEW-VIEW of `v` with view-changes `V` and pre-prepares `O`, signed by `by`. */
export function newView(
  cluster: readonly string[],
  v: number,
  V: readonly SignedMsg[],
  O: readonly SignedMsg[],
  by: string = primaryOf(cluster, v),
): SignedMsg {
  return signAs(by, { t: 'new-view', i: by, v, V, O });
}
