/**
 * Zero confirmations: a race of two transactions, not of miners. A payment seen in the mempool
 * but not yet in a block can be reversed with no hash power at all (Karame, Androulaki, Čapkun,
 * CCS 2012): the attacker hands the merchant tx A and, at about the same time, releases a
 * conflicting tx B (paying himself) to nodes of his choosing. Nodes keep and relay only the
 * first of two conflicting transactions they hear (Bitcoin Core's first-seen mempool rule), so
 * the network splits into an A side and a B side; the next block carries whichever its miner
 * holds, and the attack succeeds when that is B — provided the merchant itself saw A first
 * (otherwise he sees the conflict and refuses the payment).
 *
 * The model, per trial: `nodes` relaying nodes, each with `degree` random outbound links plus
 * a ring (connected by construction); the first `miners` nodes mine, with equal hash shares.
 * Every relay of a transaction over a link takes an exponential delay of mean `meanHopS`,
 * drawn afresh (an assumption, not a measurement: only which transaction reaches each node
 * first matters, so the mean sets the time scale, not the outcome, while blocks are much rarer
 * than hops). The merchant is a random non-mining node and gets A from the attacker at time 0;
 * B goes at time −`bLeadS` to one random non-mining node (the attacker's own) and over a
 * direct link to the first `bDirectMiners` miners. Blocks follow as a Poisson process of mean
 * `blockIntervalS`; the first block whose miner holds A or B settles the race.
 *
 * `policy`: 'first-seen' is Bitcoin Core's rule. 'replace-by-fee' is BIP 125 with A signalling
 * replaceability and B paying the higher fee: a node that holds A takes (and relays) B when it
 * arrives, never the reverse. The mutant `no-first-seen` removes the first-seen rule and nothing
 * else: a node takes whichever conflicting transaction it heard last.
 */
import type { Random } from '../../core/random.js';

export type TxPolicy = 'first-seen' | 'replace-by-fee' | 'no-first-seen';

export interface TxRaceOptions {
  readonly nodes: number;
  readonly degree: number;
  readonly miners: number;
  readonly bDirectMiners: number;
  readonly meanHopS: number;
  readonly bLeadS: number;
  readonly blockIntervalS: number;
  readonly policy: TxPolicy;
}

export const DEFAULT_TX_RACE: TxRaceOptions = {
  nodes: 60,
  degree: 4,
  miners: 10,
  bDirectMiners: 0,
  meanHopS: 1,
  bLeadS: 0,
  blockIntervalS: 600,
  policy: 'first-seen',
};

export function validateTxRace(o: TxRaceOptions): void {
  const whole = (v: number, lo: number, what: string): void => {
    if (!Number.isInteger(v) || v < lo)
      throw new RangeError(`${what} must be a whole number ≥ ${lo}, got ${v}`);
  };
  whole(o.nodes, 3, 'nodes');
  whole(o.degree, 1, 'degree');
  whole(o.miners, 1, 'miners');
  whole(o.bDirectMiners, 0, 'bDirectMiners');
  if (o.miners > o.nodes - 2) throw new RangeError('miners must leave at least 2 relaying nodes');
  if (o.degree >= o.nodes) throw new RangeError('degree must be below nodes');
  if (o.bDirectMiners > o.miners) throw new RangeError('bDirectMiners must be at most miners');
  if (!(o.meanHopS > 0) || !(o.blockIntervalS > 0)) {
    throw new RangeError('meanHopS and blockIntervalS must be > 0');
  }
  if (!Number.isFinite(o.bLeadS)) throw new RangeError('bLeadS must be a finite number');
}

const A = 0;
const B = 1;

/** xs[i], which the caller's loop bounds guarantee exists: a miss is a bug, so it throws. */
function at<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`tx-race: index ${i} outside 0..${xs.length - 1}`);
  return x;
}

export interface TxRaceOutcome {
  /** The merchant's node saw A before B (else the payment would have been refused). */
  readonly merchantSawAFirst: boolean;
  /** The block that settled the race carried B. */
  readonly bMined: boolean;
  /** Success for the attacker: the merchant accepted A and B was mined. */
  readonly success: boolean;
  /** Share of hash power holding B once both transactions have spread. */
  readonly bShare: number;
}

/** A binary min-heap of (time, node, tx) arrivals, ordered by time then insertion. */
class Arrivals {
  private readonly items: { t: number; seq: number; node: number; tx: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(t: number, node: number, tx: number): void {
    const items = this.items;
    items.push({ t, seq: this.seq++, node, tx });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { t: number; node: number; tx: number } {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined) throw new Error('pop from an empty heap');
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(l, m)) m = l;
        if (r < items.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    const a = this.items[i];
    const b = this.items[j];
    if (a === undefined || b === undefined) throw new Error('heap index out of range');
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const t = this.items[i];
    const u = this.items[j];
    if (t === undefined || u === undefined) throw new Error('heap index out of range');
    this.items[i] = u;
    this.items[j] = t;
  }
}

function randomGraph(random: Random, nodes: number, degree: number): number[][] {
  const links: Set<number>[] = Array.from({ length: nodes }, () => new Set<number>());
  const connect = (a: number, b: number): void => {
    if (a === b) return;
    at(links, a).add(b);
    at(links, b).add(a);
  };
  for (let v = 0; v < nodes; v++) {
    connect(v, (v + 1) % nodes);
    let made = 0;
    while (made < degree) {
      const w = random.int(nodes);
      if (w === v || at(links, v).has(w)) continue;
      connect(v, w);
      made++;
    }
  }
  // Sorted, so the relay order (and with it the draws) never depends on insertion order.
  return links.map((s) => [...s].sort((x, y) => x - y));
}

/** Does a node holding `held` (−1: nothing) take `tx` when it arrives? */
function accepts(policy: TxPolicy, held: number, tx: number): boolean {
  if (held === -1) return true;
  if (held === tx) return false;
  switch (policy) {
    case 'first-seen':
      return false;
    case 'replace-by-fee':
      return tx === B;
    case 'no-first-seen':
      return true;
  }
}

export function txRaceOnce(random: Random, o: TxRaceOptions): TxRaceOutcome {
  const graph = randomGraph(random, o.nodes, o.degree);
  const held = new Array<number>(o.nodes).fill(-1);
  const seen = [new Array<boolean>(o.nodes).fill(false), new Array<boolean>(o.nodes).fill(false)];
  // Each node's holdings over time: (time, tx) in time order, for the block-time lookup.
  const history: { t: number; tx: number }[][] = Array.from({ length: o.nodes }, () => []);
  const relays = o.nodes - o.miners;
  const merchant = o.miners + random.int(relays);
  const attacker = o.miners + random.int(relays);
  const arrivals = new Arrivals();
  const t0 = Math.min(0, -o.bLeadS);
  arrivals.push(0, merchant, A);
  arrivals.push(-o.bLeadS, attacker, B);
  for (let m = 0; m < o.bDirectMiners; m++) {
    arrivals.push(-o.bLeadS + random.exponential(o.meanHopS), m, B);
  }
  let merchantFirst = -1;
  while (arrivals.size > 0) {
    const { t, node, tx } = arrivals.pop();
    const seenTx = at(seen, tx);
    if (seenTx[node]) continue;
    seenTx[node] = true;
    if (node === merchant && merchantFirst === -1) merchantFirst = tx;
    if (!accepts(o.policy, at(held, node), tx)) continue;
    held[node] = tx;
    at(history, node).push({ t, tx });
    for (const peer of at(graph, node)) {
      if (!seenTx[peer]) arrivals.push(t + random.exponential(o.meanHopS), peer, tx);
    }
  }
  const holdingAt = (node: number, t: number): number => {
    let h = -1;
    for (const e of at(history, node)) if (e.t <= t) h = e.tx;
    return h;
  };
  let bHolders = 0;
  for (let m = 0; m < o.miners; m++) if (held[m] === B) bHolders++;
  // Blocks until one carries A or B (with hops much shorter than blocks, nearly always the
  // first); each block's miner is drawn by hash share.
  let t = t0;
  let mined = -1;
  while (mined === -1) {
    t += random.exponential(o.blockIntervalS);
    mined = holdingAt(random.int(o.miners), t);
  }
  const merchantSawAFirst = merchantFirst === A;
  return {
    merchantSawAFirst,
    bMined: mined === B,
    success: merchantSawAFirst && mined === B,
    bShare: bHolders / o.miners,
  };
}

export interface TxRaceEstimate {
  readonly trials: number;
  readonly successes: number;
  /** Mean share of hash power that ended up holding B. */
  readonly meanBShare: number;
  /** Trials in which the merchant saw B first (the attack would have been noticed). */
  readonly merchantSawBFirst: number;
}

export function txRaceMany(random: Random, o: TxRaceOptions, trials: number): TxRaceEstimate {
  validateTxRace(o);
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError('trials must be ≥ 1');
  let successes = 0;
  let bShare = 0;
  let merchantSawBFirst = 0;
  for (let i = 0; i < trials; i++) {
    const r = txRaceOnce(random, o);
    if (r.success) successes++;
    if (!r.merchantSawAFirst) merchantSawBFirst++;
    bShare += r.bShare;
  }
  return { trials, successes, meanBShare: bShare / trials, merchantSawBFirst };
}
