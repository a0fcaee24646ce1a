/**
 * Byzantine replicas for PBFT: which replicas are faulty under each strategy, and the messages
 * they make up. A Byzantine replica signs only with its own key (it has no other); everything
 * it claims on behalf of others is a forgery that the signature checks must reject.
 *
 * - `silent`: sends nothing, answers no client.
 * - `equivocate`: the primary gives different backups different pre-prepares for one sequence
 *   number (three versions, each to at most f backups), with its own prepare and commit for each.
 * - `forge`: sends nothing genuine, but forges: replies, pre-prepares, prepares, commits,
 *   view-changes and new-views claiming to come from other replicas, and messages with garbage
 *   signatures.
 * - `lie`: runs the protocol but replies to proxies with wrong results (of the right type),
 *   signs wrong checkpoint digests, and answers state requests with a tampered snapshot.
 * - `bad-view-change`: as primary orders nothing (so views change), keeps sending view-changes
 *   for the next view with fabricated certificates, and as the new primary sends a NEW-VIEW
 *   whose O does not follow from V.
 * - `collude`: the primary sends one pre-prepare to some honest backups and another to the rest;
 *   the other faulty replicas prepare and commit both. When the K faulty replicas can complete a
 *   quorum for each version (K ≥ 2Q − n, which is K = f + 1 for n = 3f + 1 and n = 3f + 3, and
 *   f + 2 for n = 3f + 2), the split gives each version exactly that, and two groups of honest
 *   replicas commit different requests at one sequence number (see `colludeRealCount`).
 */
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import { sha256Hex, signAs, type SignedMsg } from './crypto.js';
import { type Body, type PbftRequest, type PreparedProof, NULL_DIGEST } from './messages.js';
import type { NewViewPlan, PreparedInfo } from './view-change.js';

export const BYZANTINE_STRATEGIES = [
  'silent',
  'equivocate',
  'forge',
  'lie',
  'bad-view-change',
  'collude',
] as const;

export type ByzantineStrategy = (typeof BYZANTINE_STRATEGIES)[number];

export function isByzantineStrategy(s: string): s is ByzantineStrategy {
  return (BYZANTINE_STRATEGIES as readonly string[]).includes(s);
}

/**
 * The K faulty replicas: the primary of view 0 and the last K − 1 for `equivocate` and
 * `collude` (the primary lies); the first K (the primaries of views 0 … K − 1) for
 * `bad-view-change`; the last K otherwise.
 */
export function byzantineReplicas(
  cluster: readonly NodeId[],
  k: number,
  strategy: ByzantineStrategy,
): Set<NodeId> {
  if (k <= 0) return new Set();
  switch (strategy) {
    case 'equivocate':
    case 'collude':
      return new Set([cluster[0] as NodeId, ...cluster.slice(cluster.length - (k - 1))]);
    case 'bad-view-change':
      return new Set(cluster.slice(0, k));
    default:
      return new Set(cluster.slice(cluster.length - k));
  }
}

/**
 * A request the Byzantine replica `id` makes up and signs as its own proxy: a read (it changes
 * no state, so it cannot show up as a write nobody issued), distinct per (n, version).
 */
export function decoyRequest(id: NodeId, n: number, version: number): SignedMsg {
  const req: PbftRequest = {
    client: `byz:${id}`,
    seq: 4 * n + version,
    op: { f: 'get', key: `decoy-${version}` },
    proxy: id,
  };
  return signAs(id, { t: 'request', i: id, req });
}

/** Which version backup number `k` (0-based, in cluster order) gets: groups of at most f. */
export function equivocationVersion(k: number, f: number): number {
  return Math.floor(k / Math.max(1, f)) % 3;
}

/**
 * How many of the `honest` backups `collude` sends the real pre-prepare to (the rest get the
 * fake), with `faulty` colluders (the primary included) voting for both versions in a cluster of
 * n = honest + faulty whose certificates need `quorum` replicas.
 *
 * A version commits at a group of g honest replicas when g + faulty ≥ Q. Both versions can do
 * so iff honest + 2·faulty ≥ 2Q, i.e. faulty ≥ 2Q − n (two quorums overlap in 2Q − n replicas,
 * all of which must be faulty): then Q − faulty get the real one and the other n − Q ≥ Q − faulty
 * the fake, and safety breaks. Otherwise no split can break safety, and half get each (the
 * larger half may still commit, the other waits for a view change or a checkpoint).
 */
export function colludeRealCount(honest: number, faulty: number, quorum: number): number {
  const n = honest + faulty;
  if (faulty >= 2 * quorum - n) return Math.max(0, quorum - faulty);
  return Math.ceil(honest / 2);
}

/** A Byzantine primary: who it is, the view it is primary of, and the quorums it attacks. */
export interface LyingPrimary {
  readonly id: NodeId;
  readonly cluster: readonly NodeId[];
  readonly view: number;
  readonly f: number;
  /** The Q the honest replicas use (quorums.ts; the mutants' when one is built). */
  readonly quorum: number;
}

export interface Send {
  readonly to: NodeId;
  readonly msg: SignedMsg;
}

/** `id`'s prepare and commit for (v, n, d). */
export function votesFor(id: NodeId, v: number, n: number, d: string): SignedMsg[] {
  return [
    signAs(id, { t: 'prepare', i: id, v, n, d }),
    signAs(id, { t: 'commit', i: id, v, n, d }),
  ];
}

/** The primary's pre-prepare for `n` of a request it made up (version k). */
function decoyPrePrepare(p: LyingPrimary, n: number, k: number): SignedMsg {
  const req = decoyRequest(p.id, n, k);
  const body: Body = { t: 'pre-prepare', i: p.id, v: p.view, n, d: sha256Hex(req.p), req };
  return signAs(p.id, body);
}

/** A pre-prepare to `to` with the primary's own prepare and commit for its digest. */
function withVotes(p: LyingPrimary, to: NodeId, n: number, pp: SignedMsg): Send[] {
  const d = (JSON.parse(pp.p) as { d: string }).d;
  return [pp, ...votesFor(p.id, p.view, n, d)].map((msg) => ({ to, msg }));
}

/**
 * `equivocate`: three versions of the pre-prepare for `n` (the real one and two made-up reads),
 * each to a group of at most f backups, with the primary's prepare and commit for each. No
 * version can gather Q − 1 prepares from backups, so nothing commits at `n`; the backups' timers
 * expire and they change views. (With the prepare-quorum-f mutant every group commits its own.)
 */
export function equivocation(p: LyingPrimary, n: number, real: SignedMsg): Send[] {
  const versions = [real, decoyPrePrepare(p, n, 1), decoyPrePrepare(p, n, 2)];
  const out: Send[] = [{ to: p.id, msg: real }];
  p.cluster
    .filter((id) => id !== p.id)
    .forEach((to, k) => {
      out.push(...withVotes(p, to, n, versions[equivocationVersion(k, p.f)] as SignedMsg));
    });
  return out;
}

/**
 * `collude`: the real pre-prepare to the first `colludeRealCount` honest backups, a made-up one
 * to the others, both to the other faulty replicas (who prepare and commit both), the primary's
 * votes for both.
 */
export function collusion(
  p: LyingPrimary,
  faulty: readonly NodeId[],
  n: number,
  realPp: SignedMsg,
): Send[] {
  const fake = decoyPrePrepare(p, n, 1);
  const honest = p.cluster.filter((id) => !faulty.includes(id) && id !== p.id);
  const colluders = p.cluster.length - honest.length;
  const real = colludeRealCount(honest.length, colluders, p.quorum);
  const out: Send[] = [{ to: p.id, msg: realPp }];
  honest.forEach((to, k) => {
    out.push(...withVotes(p, to, n, k < real ? realPp : fake));
  });
  for (const to of faulty) {
    if (to !== p.id) out.push(...withVotes(p, to, n, realPp), ...withVotes(p, to, n, fake));
  }
  return out;
}

/**
 * The wrong result a lying replica reports (every liar the same one, to collude), of the type
 * the operation returns — a cas's boolean flipped, a value that was never written for a read —
 * so a client that accepts it records a plausible but false history, not a malformed one.
 */
export function lieAbout(result: Json): Json {
  if (typeof result === 'boolean') return !result;
  if (typeof result === 'string') return `lie:${result}`;
  return `lie:${JSON.stringify(result)}`;
}

/** The wrong checkpoint digest a lying replica signs (every liar the same one). */
export function lieDigest(hash: (text: string) => string, snap: string): string {
  return hash(`lie:${snap}`);
}

/** A tampered snapshot (its proof no longer matches). */
export function tamperSnapshot(snap: string): string {
  return snap.replace('"data":[', '"data":[["lie","lie"],');
}

/** Signs `body` with `id`'s key although it names someone else: every receiver must reject it. */
function forged(id: NodeId, body: Body): SignedMsg {
  return signAs(id, body);
}

/**
 * The forgeries a `forge` replica sends when it accepts a pre-prepare: to the request's proxy, a
 * reply with a made-up result in the name of another replica; and for every fourth number, to
 * every other replica, a prepare and a commit in another replica's name, a pre-prepare in the
 * primary's name carrying a request in an honest proxy's name, and a commit in its own name with
 * a garbage signature.
 */
export function forgeries(
  id: NodeId,
  cluster: readonly NodeId[],
  seen: { v: number; n: number; d: string; primary: NodeId; req: PbftRequest | null },
): { to: NodeId; msg: SignedMsg }[] {
  const out: { to: NodeId; msg: SignedMsg }[] = [];
  const others = cluster.filter((x) => x !== id);
  const { v, n, d, primary, req } = seen;
  const victim = others[n % others.length] as NodeId;
  if (req !== null) {
    const reply: Body = {
      t: 'reply',
      i: victim === req.proxy ? primary : victim,
      v,
      client: req.client,
      seq: req.seq,
      result: 'forged',
    };
    out.push({ to: req.proxy, msg: forged(id, reply) });
  }
  if (n % 4 !== 0) return out;
  const proxy = others.find((x) => x !== primary) ?? primary;
  const fakeReq: PbftRequest = {
    client: 'forged',
    seq: n,
    op: { f: 'put', key: 'k0', value: 'forged' },
    proxy,
  };
  const reqMsg = forged(id, { t: 'request', i: proxy, req: fakeReq });
  const msgs = [
    forged(id, { t: 'prepare', i: victim, v, n: n + 1, d }),
    forged(id, { t: 'commit', i: victim, v, n: n + 1, d }),
    forged(id, { t: 'pre-prepare', i: primary, v, n: n + 1, d, req: reqMsg }),
    { ...signAs(id, { t: 'commit', i: id, v, n, d }), s: 'AAAA' },
  ];
  for (const to of others) for (const msg of msgs) out.push({ to, msg });
  return out;
}

/** A view-change and a new-view in other replicas' names (sent by `forge` now and then). */
export function forgedViewMessages(
  id: NodeId,
  cluster: readonly NodeId[],
  view: number,
): SignedMsg[] {
  const next = cluster[(view + 1) % cluster.length] as NodeId;
  const victim = cluster.find((x) => x !== id && x !== next) ?? next;
  return [
    forged(id, { t: 'view-change', i: victim, v: view + 1, n: 0, C: [], P: [] }),
    forged(id, { t: 'new-view', i: next, v: view + 1, V: [], O: [] }),
  ];
}

/**
 * A view-change for `view` from `id` with a fabricated certificate, one of four kinds in turn:
 * prepares forged in others' names; a genuine pre-prepare of `id`'s with only its own prepares
 * (too few); a prepared certificate whose digest does not match its request; a checkpoint
 * proof with forged signatures.
 */
export function fabricatedViewChange(
  id: NodeId,
  cluster: readonly NodeId[],
  view: number,
  stable: { n: number; proof: readonly SignedMsg[] },
  round: number,
  hash: (text: string) => string,
): SignedMsg {
  const n = stable.n + 1;
  const req = decoyRequest(id, n, 3);
  const d = hash(req.p);
  // A view below `view` in which `id` was the primary, if any (so its pre-prepare is genuine).
  let own = -1;
  for (let w = view - 1; w >= 0; w--) {
    if (cluster[w % cluster.length] === id) {
      own = w;
      break;
    }
  }
  const w = own >= 0 ? own : 0;
  const pp = signAs(id, {
    t: 'pre-prepare',
    i: cluster[w % cluster.length] as NodeId,
    v: w,
    n,
    d,
    req,
  });
  const others = cluster.filter((x) => x !== cluster[w % cluster.length]);
  let P: PreparedProof[];
  let C = stable.proof;
  let ckptN = stable.n;
  switch (round % 4) {
    case 0:
      P = [{ pp, prepares: others.map((i) => signAs(id, { t: 'prepare', i, v: w, n, d })) }];
      break;
    case 1:
      P = [{ pp, prepares: [signAs(id, { t: 'prepare', i: id, v: w, n, d })] }];
      break;
    case 2: {
      const wrong = hash(`${req.p} `);
      const bad = signAs(id, {
        t: 'pre-prepare',
        i: cluster[w % cluster.length] as NodeId,
        v: w,
        n,
        d: wrong,
        req,
      });
      P = [{ pp: bad, prepares: others.map((i) => signAs(id, { t: 'prepare', i, v: w, n, d })) }];
      break;
    }
    default:
      ckptN = stable.n + 16;
      C = cluster.map((i) => signAs(id, { t: 'checkpoint', i, n: ckptN, d }));
      P = [];
  }
  return signAs(id, { t: 'view-change', i: id, v: view, n: ckptN, C, P });
}

/**
 * A wrong O for a Byzantine new primary: the last request replaced by the null request (a
 * prepared, maybe committed, request dropped), or an extra null request past max-s.
 */
export function corruptPlan(plan: NewViewPlan): PreparedInfo[] {
  const entries = [...plan.entries];
  const last = entries[entries.length - 1];
  if (last !== undefined && last.d !== NULL_DIGEST) {
    entries[entries.length - 1] = { v: -1, n: last.n, d: NULL_DIGEST, req: null };
  } else {
    entries.push({ v: -1, n: plan.maxS + 1, d: NULL_DIGEST, req: null });
  }
  return entries;
}
