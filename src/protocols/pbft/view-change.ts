/**
 * The PBFT view change (Castro & Liskov, OSDI'99 §4.4), as pure functions over signed messages:
 * verifying the certificates inside a VIEW-CHANGE (the checkpoint proof C and every prepared
 * certificate in P), computing the new view's O from Q of them, and verifying a NEW-VIEW by
 * recomputing O. The replica (pbft.ts) decides when to send them and what to do with the result.
 *
 * Every certificate is checked down to its signatures: a VIEW-CHANGE with one bad element (a
 * forged prepare, too few prepares, a digest that does not match its request, a pre-prepare not
 * signed by the primary of its view, a checkpoint proof without Q matching signers) is
 * rejected whole, since an honest replica never sends one.
 */
import type { NodeId } from '../../core/node.js';
import type { SignedMsg } from './crypto.js';
import {
  type Body,
  type BodyOf,
  isCount,
  isSignedMsg,
  NULL_DIGEST,
  type PbftRequest,
} from './messages.js';

/** What verification needs from the replica. */
export interface VerifyContext {
  readonly cluster: readonly NodeId[];
  /** Q (quorums.ts): signers of a checkpoint proof, view-changes in a NEW-VIEW. */
  readonly quorum: number;
  /** Checkpoint interval K (the log window is 2K). */
  readonly interval: number;
  /** Matching prepares a prepared certificate needs: Q − 1 (the prepare-quorum-f mutant's f). */
  readonly prepareQuorum: number;
  /** Verifies a signed message against the sender its body names; its body, or undefined. */
  parse(msg: unknown): Body | undefined;
  /** A well-formed request signed by its proxy, or undefined. */
  requestOf(msg: SignedMsg): PbftRequest | undefined;
  hash(text: string): string;
}

export function primaryOf(cluster: readonly NodeId[], view: number): NodeId {
  return cluster[view % cluster.length] as NodeId;
}

/** One prepared request as a verified VIEW-CHANGE reports it. */
export interface PreparedInfo {
  readonly v: number;
  readonly n: number;
  readonly d: string;
  readonly req: SignedMsg | null;
}

export interface ViewChangeInfo {
  readonly i: NodeId;
  readonly v: number;
  /** The sender's stable checkpoint, its digest (null at 0) and proof. */
  readonly n: number;
  readonly ckptDigest: string | null;
  readonly C: readonly SignedMsg[];
  readonly prepared: ReadonlyMap<number, PreparedInfo>;
}

/**
 * The digest that Q distinct replicas signed CHECKPOINT(n, d) for in `proof`, or
 * undefined if there is none.
 */
export function checkpointProofDigest(
  ctx: VerifyContext,
  n: number,
  proof: unknown,
): string | undefined {
  if (!Array.isArray(proof)) return undefined;
  const signers = new Map<string, Set<NodeId>>();
  for (const m of proof) {
    const c = ctx.parse(m);
    if (c?.t !== 'checkpoint' || c.n !== n || typeof c.d !== 'string') continue;
    let s = signers.get(c.d);
    if (s === undefined) signers.set(c.d, (s = new Set()));
    s.add(c.i);
  }
  for (const [d, s] of signers) if (s.size >= ctx.quorum) return d;
  return undefined;
}

/** A pre-prepare's body if it is genuine: signed by the primary of its view, digest = request. */
export function verifyPrePrepare(
  ctx: VerifyContext,
  msg: unknown,
): BodyOf<'pre-prepare'> | undefined {
  const b = ctx.parse(msg);
  if (b?.t !== 'pre-prepare' || !isCount(b.v) || !isCount(b.n) || b.n === 0) return undefined;
  if (b.i !== primaryOf(ctx.cluster, b.v) || typeof b.d !== 'string') return undefined;
  if (b.req === null) return b.d === NULL_DIGEST ? b : undefined;
  if (!isSignedMsg(b.req) || ctx.requestOf(b.req) === undefined) return undefined;
  return ctx.hash(b.req.p) === b.d ? b : undefined;
}

/**
 * A prepared certificate's request if it is valid: a genuine pre-prepare for a view below
 * `beforeView` and a sequence number in (low, high], and `prepareQuorum` matching prepares
 * from distinct replicas other than that view's primary.
 */
export function verifyPreparedProof(
  ctx: VerifyContext,
  proof: unknown,
  beforeView: number,
  low: number,
  high: number,
): PreparedInfo | undefined {
  if (typeof proof !== 'object' || proof === null) return undefined;
  const { pp, prepares } = proof as { pp?: unknown; prepares?: unknown };
  const b = verifyPrePrepare(ctx, pp);
  if (b === undefined || b.v >= beforeView || b.n <= low || b.n > high) return undefined;
  if (!Array.isArray(prepares)) return undefined;
  const primary = primaryOf(ctx.cluster, b.v);
  const signers = new Set<NodeId>();
  for (const m of prepares) {
    const p = ctx.parse(m);
    if (p?.t !== 'prepare' || p.i === primary) return undefined;
    if (p.v !== b.v || p.n !== b.n || p.d !== b.d) return undefined;
    signers.add(p.i);
  }
  if (signers.size < ctx.prepareQuorum) return undefined;
  return { v: b.v, n: b.n, d: b.d, req: b.req };
}

/** A VIEW-CHANGE's contents if the message and every certificate in it are valid. */
export function verifyViewChange(ctx: VerifyContext, msg: unknown): ViewChangeInfo | undefined {
  const b = ctx.parse(msg);
  if (b?.t !== 'view-change' || !isCount(b.v) || b.v === 0 || !isCount(b.n)) return undefined;
  if (b.n % ctx.interval !== 0 || !Array.isArray(b.C) || !Array.isArray(b.P)) return undefined;
  let ckptDigest: string | null = null;
  if (b.n > 0) {
    const d = checkpointProofDigest(ctx, b.n, b.C);
    if (d === undefined) return undefined;
    ckptDigest = d;
  }
  const prepared = new Map<number, PreparedInfo>();
  for (const proof of b.P) {
    const info = verifyPreparedProof(ctx, proof, b.v, b.n, b.n + 2 * ctx.interval);
    if (info === undefined || prepared.has(info.n)) return undefined;
    prepared.set(info.n, info);
  }
  return { i: b.i, v: b.v, n: b.n, ckptDigest, C: b.n > 0 ? b.C : [], prepared };
}

/** The new view's plan: O as (n, d, request) triples, and the checkpoint it starts from. */
export interface NewViewPlan {
  /** min-s: the latest stable checkpoint in V, its digest and proof. */
  readonly minS: number;
  readonly ckptDigest: string | null;
  readonly ckptProof: readonly SignedMsg[];
  /** max-s: the highest sequence number prepared in V (min-s if none). */
  readonly maxS: number;
  readonly entries: readonly PreparedInfo[];
}

/**
 * Computes O from the view-change messages V: for every n in (min-s, max-s], the request of the
 * prepared certificate with the highest view for n (ties, impossible with at most f faulty
 * replicas, go to the smallest digest), or the null request if none prepared n.
 */
export function computeNewView(vcs: readonly ViewChangeInfo[]): NewViewPlan {
  let best: ViewChangeInfo | undefined;
  for (const vc of vcs) if (best === undefined || vc.n > best.n) best = vc;
  const minS = best?.n ?? 0;
  let maxS = minS;
  for (const vc of vcs) for (const n of vc.prepared.keys()) if (n > maxS) maxS = n;
  const entries: PreparedInfo[] = [];
  for (let n = minS + 1; n <= maxS; n++) {
    let chosen: PreparedInfo | undefined;
    for (const vc of vcs) {
      const p = vc.prepared.get(n);
      if (p === undefined) continue;
      if (chosen === undefined || p.v > chosen.v || (p.v === chosen.v && p.d < chosen.d)) {
        chosen = p;
      }
    }
    entries.push(chosen ?? { v: -1, n, d: NULL_DIGEST, req: null });
  }
  return {
    minS,
    ckptDigest: best?.ckptDigest ?? null,
    ckptProof: best?.C ?? [],
    maxS,
    entries,
  };
}

export interface NewViewInfo {
  readonly v: number;
  readonly plan: NewViewPlan;
  /** O's signed pre-prepares, in sequence order. */
  readonly O: readonly SignedMsg[];
}

/**
 * A NEW-VIEW's contents if it is valid: signed by the primary of its view, V holds Q valid
 * view-change messages for that view from distinct replicas, and O is exactly the new primary's
 * pre-prepares for the O recomputed from V.
 */
export function verifyNewView(ctx: VerifyContext, msg: unknown): NewViewInfo | undefined {
  const b = ctx.parse(msg);
  if (b?.t !== 'new-view' || !isCount(b.v) || b.v === 0) return undefined;
  if (b.i !== primaryOf(ctx.cluster, b.v) || !Array.isArray(b.V) || !Array.isArray(b.O)) {
    return undefined;
  }
  const vcs: ViewChangeInfo[] = [];
  const senders = new Set<NodeId>();
  for (const m of b.V) {
    const vc = verifyViewChange(ctx, m);
    if (vc === undefined || vc.v !== b.v || senders.has(vc.i)) return undefined;
    senders.add(vc.i);
    vcs.push(vc);
  }
  if (senders.size < ctx.quorum) return undefined;
  const plan = computeNewView(vcs);
  if (b.O.length !== plan.entries.length) return undefined;
  for (let k = 0; k < b.O.length; k++) {
    const want = plan.entries[k] as PreparedInfo;
    const pp = verifyPrePrepare(ctx, b.O[k]);
    if (pp === undefined || pp.v !== b.v || pp.n !== want.n || pp.d !== want.d) return undefined;
  }
  return { v: b.v, plan, O: b.O };
}
