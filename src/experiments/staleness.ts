/**
 * `staleness`: probabilistically bounded staleness (Bailis, Venkataraman, Franklin, Hellerstein,
 * Stoica, VLDB 2012) measured on truthkit's Dynamo store. The paper's t-visibility: the
 * probability that a read begun t ms after a write was acknowledged returns that write, for
 * partial quorums (R + W ≤ N) — low right after the acknowledgement, rising with t as the write
 * reaches the replicas that had not acknowledged it. With R + W > N every read quorum meets
 * every write quorum, so the probability is 1 at every t (strict quorums: `sloppy=off`).
 *
 * Method. Five simulated dynamo nodes, N = 3, `sloppy=off`, one fresh key per trial: a client
 * writes the key through a coordinator outside its preference list and, t ms after the
 * acknowledgement reaches it, reads it through a coordinator outside the list (so every replica
 * leg crosses the network, the paper's WARS setting; a coordinator that is itself a replica
 * would answer from its own copy). The read is consistent when the written value is among its
 * siblings. Links are the simulator's default, the latency `truthkit sim dynamo` runs with
 * (exponential, mean 1 ms, 0.5 ms floor, drawn per message), fsyncs uniform 0.05–0.5 ms;
 * clients are 0 ms from nodes, so t counts from the coordinator's acknowledgement as in the
 * paper. Anti-entropy (every 200 ms by default, far beyond these t) is moved out of the way,
 * as its Merkle rounds over thousands of trial keys cost time and change nothing at this scale.
 *
 * Beside the measurement: the paper's WARS model (write, ack, read, response legs each drawn
 * from the same link and fsync distributions) by Monte Carlo, and its versioned-staleness bound
 * with no propagation after the acknowledgement, 1 − C(N−W, R)/C(N, R).
 */
import type { Json } from '../core/json.js';
import type { ClientReply, NodeId } from '../core/node.js';
import { streamFor, type Random } from '../core/random.js';
import { DEFAULT_LATENCY, sampleLatency, type Latency } from '../sim/latency.js';
import { Simulator } from '../sim/simulator.js';
import { roundMs } from '../sim/stats.js';
import { dynamoSystem } from '../systems/dynamo/dynamo.js';
import { Ring } from '../systems/dynamo/ring.js';
import { wilson } from './dueling-proposers.js';
import type { Experiment, ExperimentPlot, PlotPoint, PlotSeries } from './experiment.js';

export interface Quorum {
  readonly n: number;
  readonly r: number;
  readonly w: number;
}

export const QUORUMS: readonly Quorum[] = [
  { n: 3, r: 1, w: 1 },
  { n: 3, r: 1, w: 2 },
  { n: 3, r: 2, w: 2 },
];
/** Ms between the write's acknowledgement and the read. */
export const OFFSETS_MS = [0, 0.25, 0.5, 1, 1.5, 2, 3, 4, 6] as const;

/**
 * The links of a run: every message on `latency`, except replica writes (`put`), which take
 * `putLatency` when given — the paper's case of write legs slower than the rest (its LNKD-DISK
 * trace, where a write waits on a disk), which widens the window in which a read can be stale.
 */
export interface Links {
  readonly name: string;
  readonly latency: Latency;
  readonly putLatency?: Latency;
  readonly offsets: readonly number[];
  /**
   * Whether the verdict asks (3,1,1) to be clearly below (3,1,2) at t = 0. On the default links
   * the WARS model puts them 0.045 apart (0.934, 0.979), within three standard errors of a
   * few hundred trials; with slow write legs 0.2 apart, far outside.
   */
  readonly separateAtZero: boolean;
}

export const LINKS: readonly Links[] = [
  { name: 'default links', latency: DEFAULT_LATENCY, offsets: OFFSETS_MS, separateAtZero: false },
  {
    name: 'slow write legs',
    latency: DEFAULT_LATENCY,
    putLatency: { kind: 'exponential', mean: 5, floor: 0.5 },
    offsets: [0, 1, 2, 4, 6, 8, 12, 16, 24],
    separateAtZero: true,
  },
];
const NODES = 5;
const VNODES = 8;
/** The simulator's own fsync latency, passed explicitly so the WARS model draws the same. */
export const SYNC_LATENCY: Latency = { kind: 'uniform', min: 0.05, max: 0.5 };
/** Anti-entropy every 10 min of virtual time: never, at the scale of a trial. */
const AE_MS = 600_000;
/** Standard errors a difference must exceed to count (a family of ~50 comparisons). */
export const NOISE_Z = 3;

export const label = (q: Quorum): string => `(${q.n},${q.r},${q.w})`;

export interface StalenessPoint {
  readonly t: number;
  readonly trials: number;
  readonly consistent: number;
  /** Writes or reads that failed (none without faults; counted, never silently dropped). */
  readonly failed: number;
}

export interface StalenessCurve {
  readonly quorum: Quorum;
  readonly sloppy: boolean;
  readonly points: readonly StalenessPoint[];
}

export interface StalenessSettings {
  readonly seed: number;
  readonly quorum: Quorum;
  readonly trials: number;
  readonly offsets?: readonly number[];
  readonly sloppy?: boolean;
  /** Link latency (default: the simulator's). */
  readonly latency?: Latency;
  /** Latency of replica writes (`put` messages) alone, when they differ. */
  readonly putLatency?: Latency;
}

/** Runs `trials` write-then-read trials per offset on one simulated cluster. */
export function measureStaleness(s: StalenessSettings): StalenessCurve {
  const offsets = s.offsets ?? OFFSETS_MS;
  const sloppy = s.sloppy ?? false;
  const ids: NodeId[] = Array.from({ length: NODES }, (_, i) => `n${i + 1}`);
  const params = {
    n: String(s.quorum.n),
    r: String(s.quorum.r),
    w: String(s.quorum.w),
    vnodes: String(VNODES),
    sloppy: sloppy ? 'on' : 'off',
    'ae-ms': String(AE_MS),
  };
  const sim = new Simulator({
    seed: s.seed,
    nodeIds: ids,
    factory: dynamoSystem.createNode({ params, cluster: ids }),
    latency: s.latency ?? DEFAULT_LATENCY,
    ...(s.putLatency !== undefined ? { latencyByType: { put: s.putLatency } } : {}),
    clientLatency: { kind: 'constant', ms: 0 },
    syncLatency: SYNC_LATENCY,
  });
  const ring = new Ring(ids, VNODES);
  const random = streamFor(s.seed, 'experiment:staleness');
  const tallies = offsets.map((t) => ({ t, trials: 0, consistent: 0, failed: 0 }));
  // Offsets interleaved, so every offset sees the same stretch of the run.
  const plan: number[] = [];
  for (let k = 0; k < s.trials; k++) for (let j = 0; j < offsets.length; j++) plan.push(j);
  let next = 0;

  const trial = (): void => {
    if (next === plan.length) return sim.stop();
    const i = next++;
    const tally = tallies[plan[i] as number] as (typeof tallies)[number];
    const key = `k${i}`;
    const value = `v${i}`;
    const owners = ring.preferenceList(key, s.quorum.n);
    const outside = ids.filter((id) => !owners.includes(id));
    const writeAt = random.pick(outside);
    const readAt = random.pick(outside);
    tally.trials++;
    sim.request(writeAt, 'writer', i, { f: 'put', key, value }, (put: ClientReply) => {
      if (!put.ok) {
        tally.failed++;
        return trial();
      }
      sim.schedule(tally.t, () =>
        sim.request(readAt, 'reader', i, { f: 'get', key }, (got: ClientReply) => {
          if (!got.ok) tally.failed++;
          else if (readValues(got.value).includes(value)) tally.consistent++;
          trial();
        }),
      );
    });
  };
  sim.start();
  // Nodes take requests once their boot number is durable (one fsync).
  sim.schedule(5, trial);
  // A request is answered within its 400 ms expiry, so a trial never takes a second: past that
  // bound something hangs, and the check below says so instead of running on forever.
  sim.runUntil(5 + plan.length * (Math.max(0, ...offsets) + 1000));
  if (sim.failure !== undefined) throw new Error(`staleness run failed: ${sim.failure.message}`);
  if (next !== plan.length) throw new Error(`staleness run stopped after ${next} trials`);
  return { quorum: s.quorum, sloppy, points: tallies };
}

function readValues(v: Json | undefined): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [];
  const values = (v as { values?: Json }).values;
  return Array.isArray(values) ? values.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * The WARS model's t-visibility by Monte Carlo (the paper's Section 4): per replica a write leg
 * (the replica holds the write from its arrival), its fsync and ack leg, a read leg and a
 * response leg; the write commits at the W-th acknowledgement, the read starts t later and
 * takes the first R responses, and is consistent when one of them left after the write arrived.
 */
export function warsConsistency(
  q: Quorum,
  t: number,
  trials: number,
  random: Random,
  latency: Latency = DEFAULT_LATENCY,
  putLatency: Latency = latency,
  sync: Latency = SYNC_LATENCY,
): number {
  let ok = 0;
  for (let k = 0; k < trials; k++) {
    const arrive: number[] = [];
    const acks: number[] = [];
    for (let i = 0; i < q.n; i++) {
      const a = sampleLatency(putLatency, random);
      arrive.push(a);
      acks.push(a + sampleLatency(sync, random) + sampleLatency(latency, random));
    }
    const commit = [...acks].sort((x, y) => x - y)[q.w - 1] as number;
    const replies = arrive.map((a) => {
      const reaches = commit + t + sampleLatency(latency, random);
      return { back: reaches + sampleLatency(latency, random), fresh: a <= reaches };
    });
    replies.sort((x, y) => x.back - y.back);
    if (replies.slice(0, q.r).some((x) => x.fresh)) ok++;
  }
  return ok / trials;
}

function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** P(consistent) with no propagation after the acknowledgement: 1 − C(N−W, R)/C(N, R). */
export function quorumOverlap(q: Quorum): number {
  return 1 - choose(q.n - q.w, q.r) / choose(q.n, q.r);
}

const rate = (p: StalenessPoint): number => p.consistent / p.trials;
/** Standard error of a difference of two measured rates. */
function se(a: StalenessPoint, b: StalenessPoint): number {
  const pa = rate(a);
  const pb = rate(b);
  return Math.sqrt((pa * (1 - pa)) / a.trials + (pb * (1 - pb)) / b.trials);
}
/** Whether `low` is below `high` beyond noise. */
const clearlyBelow = (low: StalenessPoint, high: StalenessPoint): boolean =>
  rate(high) - rate(low) > NOISE_Z * Math.max(se(low, high), 1 / low.trials);
/** Whether `a` is at most `b` within noise. */
const notAbove = (a: StalenessPoint, b: StalenessPoint): boolean =>
  rate(a) - rate(b) <= NOISE_Z * se(a, b);

export interface StalenessVerdict {
  readonly monotone: boolean;
  readonly strictAlwaysConsistent: boolean;
  readonly ordered: boolean;
  /** (3,1,1) is stale at t = 0 beyond noise and clearly fresher at the last t. */
  readonly rises: boolean;
  readonly problems: readonly string[];
}

/**
 * The paper's shape: every curve non-decreasing in t within noise; R + W > N (strict quorums)
 * consistent at every t, no exception; at every t the curves ordered (3,1,1) ≤ (3,1,2) ≤
 * (3,2,2) within noise, and, when `separateAtZero`, (3,1,1) clearly below (3,1,2) at t = 0;
 * (3,1,1) stale at t = 0 and rising. `curves` are in QUORUMS order, on the same offsets.
 */
export function judgeStaleness(
  curves: readonly StalenessCurve[],
  separateAtZero = true,
): StalenessVerdict {
  const problems: string[] = [];
  let monotone = true;
  let strict = true;
  for (const c of curves) {
    for (let i = 1; i < c.points.length; i++) {
      const a = c.points[i - 1] as StalenessPoint;
      const b = c.points[i] as StalenessPoint;
      if (!notAbove(a, b)) {
        monotone = false;
        problems.push(`${label(c.quorum)} falls from t=${a.t} to t=${b.t}`);
      }
    }
    if (!c.sloppy && c.quorum.r + c.quorum.w > c.quorum.n) {
      for (const p of c.points) {
        if (p.consistent !== p.trials) {
          strict = false;
          problems.push(`${label(c.quorum)} stale ${p.trials - p.consistent}× at t=${p.t}`);
        }
      }
    }
  }
  let ordered = true;
  for (let k = 1; k < curves.length; k++) {
    const lo = curves[k - 1] as StalenessCurve;
    const hi = curves[k] as StalenessCurve;
    lo.points.forEach((p, i) => {
      const q = hi.points[i] as StalenessPoint;
      if (!notAbove(p, q)) {
        ordered = false;
        problems.push(`${label(lo.quorum)} above ${label(hi.quorum)} at t=${p.t}`);
      }
    });
  }
  const [c311, c312] = curves;
  let rises = false;
  if (c311 !== undefined && c312 !== undefined) {
    const first = c311.points[0] as StalenessPoint;
    const last = c311.points[c311.points.length - 1] as StalenessPoint;
    const full: StalenessPoint = {
      t: first.t,
      trials: first.trials,
      consistent: first.trials,
      failed: 0,
    };
    if (separateAtZero && !clearlyBelow(first, c312.points[0] as StalenessPoint)) {
      ordered = false;
      problems.push(`${label(c311.quorum)} not below ${label(c312.quorum)} at t=${first.t}`);
    }
    rises = clearlyBelow(first, full) && clearlyBelow(first, last);
    if (!rises) problems.push(`${label(c311.quorum)} does not start stale and rise`);
  }
  return { monotone, strictAlwaysConsistent: strict, ordered, rises, problems };
}

export const stalenessExperiment: Experiment = {
  name: 'staleness',
  claim:
    'Partial quorums (R + W ≤ N) often return consistent data: the probability that a read ' +
    'returns the last acknowledged write rises quickly with the time t since its ' +
    'acknowledgement, (3,1,1) lowest; with R + W > N it is 1 at every t',
  sources: [
    {
      kind: 'paper',
      cite:
        'P. Bailis, S. Venkataraman, M. J. Franklin, J. M. Hellerstein, I. Stoica, ' +
        '"Probabilistically Bounded Staleness for Practical Partial Quorums", PVLDB 5(8), 2012',
      where:
        'Section 3 (versioned staleness: a read quorum misses the write quorum with ' +
        'probability C(N−W, R)/C(N, R)) and Section 4 (t-visibility, the WARS model)',
    },
  ],
  run({ seed, quick }) {
    const trials = quick ? 300 : 600;
    const wars = streamFor(seed, 'experiment:staleness:wars');
    const rows: Json[] = [];
    const plots: ExperimentPlot[] = [];
    const verdicts: Record<string, Json> = {};
    let ok = true;
    LINKS.forEach((links, l) => {
      const curves = QUORUMS.map((quorum, k) =>
        measureStaleness({
          seed: seed + 10 * l + k,
          quorum,
          trials,
          offsets: links.offsets,
          latency: links.latency,
          ...(links.putLatency !== undefined ? { putLatency: links.putLatency } : {}),
        }),
      );
      const v = judgeStaleness(curves, links.separateAtZero);
      ok &&= v.monotone && v.strictAlwaysConsistent && v.ordered && v.rises;
      verdicts[links.name] = {
        monotoneInT: v.monotone,
        strictQuorumAlwaysConsistent: v.strictAlwaysConsistent,
        orderedCurves: v.ordered,
        partialQuorumStaleThenRises: v.rises,
        problems: [...v.problems],
      };
      const series: PlotSeries[] = [];
      for (const c of curves) {
        const measured: PlotPoint[] = [];
        const model: PlotPoint[] = [];
        for (const p of c.points) {
          const m = warsConsistency(
            c.quorum,
            p.t,
            quick ? 2000 : 4000,
            wars,
            links.latency,
            links.putLatency ?? links.latency,
          );
          const ci = wilson(p.consistent, p.trials);
          measured.push({ x: p.t, y: roundMs(rate(p)), lo: roundMs(ci.lo), hi: roundMs(ci.hi) });
          model.push({ x: p.t, y: roundMs(m) });
          rows.push({
            links: links.name,
            config: label(c.quorum),
            sloppy: c.sloppy ? 'on' : 'off',
            tMs: p.t,
            trials: p.trials,
            consistent: p.consistent,
            failed: p.failed,
            pConsistent: roundMs(rate(p)),
            lo95: roundMs(ci.lo),
            hi95: roundMs(ci.hi),
            wars: roundMs(m),
            noPropagation: roundMs(quorumOverlap(c.quorum)),
          });
        }
        series.push({
          name: `${label(c.quorum)} measured (95 % Wilson)`,
          role: 'measured',
          points: measured,
        });
        series.push({ name: `${label(c.quorum)} WARS model`, role: 'model', points: model });
        series.push({
          name: `${label(c.quorum)} no propagation after the ack, 1 − C(N−W,R)/C(N,R)`,
          role: 'claimed',
          points: c.points.map((p) => ({ x: p.t, y: roundMs(quorumOverlap(c.quorum)) })),
        });
      }
      plots.push({
        title: `P(read returns the last acknowledged write) vs t after its ack — ${links.name}`,
        x: { label: 't after the write’s acknowledgement (ms)' },
        y: { label: 'P(consistent read)' },
        series,
      });
    });
    return {
      rows,
      measured: {
        ...verdicts,
        trialsPerPoint: trials,
        rule:
          `supported when, on both links, every curve is non-decreasing in t within ${NOISE_Z} ` +
          'standard errors, (3,2,2) with sloppy=off is consistent in every trial, the curves ' +
          'are ordered (3,1,1) ≤ (3,1,2) ≤ (3,2,2) at every t within noise (with slow write ' +
          'legs (3,1,1) clearly below (3,1,2) at t = 0), and (3,1,1) starts stale and clearly rises',
        latency:
          'default links: exp(mean 1 ms) + 0.5 ms floor per message (the simulator’s default, ' +
          'what `truthkit sim dynamo` runs on); slow write legs: replica writes exp(mean 5 ms) + ' +
          '0.5 ms, the rest as default; fsync uniform 0.05–0.5 ms; clients 0 ms from nodes; ' +
          '5 nodes, N = 3, sloppy=off, coordinators outside the key’s preference list',
      },
      verdict: ok ? 'supported' : 'refuted',
      plots,
    };
  },
};
