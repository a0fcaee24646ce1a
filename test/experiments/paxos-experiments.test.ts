/**
 * The dueling-proposers experiment: the livelock demonstration can fail (the same schedule with
 * backoff decides, a stagger outside the window decides), its schedule is legal (nothing
 * dropped, every delay within the bound), and the rows, numbers and verdict are the runs'.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACCEPT_MS,
  CONTENTION_PART,
  DUEL_VARIANTS,
  FAST_MS,
  LIVELOCK_PART,
  LIVELOCK_VARIANTS,
  livelockRunOptions,
  livelockVerdict,
  runDuel,
  runLivelock,
  STAGGER_MS,
  WINDOW_MS,
  wilson,
} from '../../src/experiments/dueling-proposers.js';
import { getExperiment } from '../../src/experiments/registry.js';
import { Session } from '../../src/sim/run.js';
import { roundMs } from '../../src/sim/stats.js';
import type { SingleDecreePaxosNode } from '../../src/protocols/paxos/single-decree.js';

const [NO_BACKOFF, BACKOFF, LEADER, DEFAULT_BUDGET] = LIVELOCK_VARIANTS as [
  (typeof LIVELOCK_VARIANTS)[number],
  (typeof LIVELOCK_VARIANTS)[number],
  (typeof LIVELOCK_VARIANTS)[number],
  (typeof LIVELOCK_VARIANTS)[number],
];

interface Row {
  part: string;
  variant: string;
  seeds: number[];
  ballots: number;
  instances: number;
  decided: number;
  undecided: number;
  ballotsPerDecided: number | null;
}

test('livelock: without backoff no node learns anything for the whole window', () => {
  for (const seed of [1, 1001, 2001]) {
    const session = new Session(livelockRunOptions(NO_BACKOFF, seed));
    session.runToEnd();
    const run = session.result();
    assert.ok(run.virtualMs >= WINDOW_MS, `seed ${seed} ended at ${run.virtualMs} ms`);
    assert.equal(run.ops.ok, 0, `seed ${seed}: a client was answered`);
    for (const [id, node] of session.sim.liveNodes()) {
      assert.equal((node as SingleDecreePaxosNode).inspect().learned, 0, `${id} learned a value`);
    }
    // A duel, not a stall: both proposers keep starting ballots (one per ~43 ms each).
    assert.ok((run.metrics['paxos.ballots']?.count ?? 0) >= 2 * 100, `seed ${seed}`);
  }
});

test('livelock: the same schedule decides with randomized backoff and with a stable leader', () => {
  for (const seed of [1, 1001, 2001]) {
    const on = runLivelock(BACKOFF, seed);
    assert.equal(on.decided, on.instances, `backoff, seed ${seed}`);
    assert.ok(Math.max(...on.decideMs) < 1000, `backoff took ${on.decideMs} ms, seed ${seed}`);
    const stable = runLivelock(LEADER, seed);
    assert.equal(stable.decided, stable.instances, `kv-paxos, seed ${seed}`);
  }
});

test('livelock: without backoff it is the schedule that duels — a stagger outside it decides', () => {
  // The second proposer's prepare reaches the acceptors after the first one's accept: no duel.
  const late = livelockRunOptions(NO_BACKOFF, 1);
  const run = new Session({
    ...late,
    workload: { ...late.workload, startMs: [0, ACCEPT_MS + 10] },
  });
  run.runToEnd();
  assert.ok(run.result().ops.ok > 0);
});

test('livelock: the default budget ends the duel by giving up, and then the other decides', () => {
  const r = runLivelock(DEFAULT_BUDGET, 1);
  assert.equal(r.decided, 1);
  // 40 ballots by the one that gives up, about as many by the other before its accept lands.
  assert.ok(r.ballots >= 40 && r.ballots <= 90, `${r.ballots} ballots`);
  const s = new Session(livelockRunOptions(DEFAULT_BUDGET, 1));
  s.runToEnd();
  const outcomes = s
    .result()
    .history.map((op) => `${op.outcome}:${op.error ?? ''}`)
    .sort();
  assert.deepEqual(outcomes, ['ok:', 'unknown:no decision reached']);
});

test('livelock: the adversarial schedule is legal — nothing dropped, every delay within the bound', () => {
  for (const v of [NO_BACKOFF, BACKOFF, LEADER]) {
    const session = new Session({ ...livelockRunOptions(v, 1), keepTrace: true });
    session.runToEnd();
    const events = session.sim.trace.events ?? [];
    const sent = new Map<number, { t: number; type: string }>();
    let delivered = 0;
    for (const e of events) {
      const x = e as { e: string; t: number; id?: number; type?: string };
      if (x.e === 'drop') assert.fail(`${v.variant}: a message was dropped`);
      if (x.e === 'send') sent.set(x.id as number, { t: x.t, type: x.type as string });
      if (x.e === 'deliver') {
        const s = sent.get(x.id as number);
        assert.ok(s !== undefined);
        const delay = x.t - s.t;
        assert.ok(delay <= ACCEPT_MS + 1e-9, `${v.variant}: ${s.type} took ${delay} ms`);
        assert.equal(roundMs(delay), s.type === 'accept' ? ACCEPT_MS : FAST_MS, s.type);
        sent.delete(x.id as number);
        delivered++;
      }
    }
    assert.ok(delivered > 0);
    // Whatever was not delivered was still in flight when the run ended.
    const end = session.sim.now;
    for (const [id, s] of sent) {
      assert.ok(end - s.t < ACCEPT_MS, `${v.variant}: message ${id} (${s.type}) never arrived`);
    }
  }
});

test('the verdict rule: supported, refuted, or not measurable', () => {
  assert.equal(livelockVerdict(0, 10, 10), 'supported');
  assert.equal(livelockVerdict(10, 10, 10), 'refuted');
  assert.equal(livelockVerdict(3, 10, 10), 'not measurable as stated');
  assert.equal(livelockVerdict(0, 9, 10), 'not measurable as stated', 'backoff must decide too');
  const w = wilson(0, 10);
  assert.equal(w.lo, 0);
  assert.ok(w.hi > 0.25 && w.hi < 0.35);
});

test('dueling-proposers: two named parts, numbers that are the runs, a stable verdict', () => {
  const e = getExperiment('dueling-proposers');
  assert.ok(e);
  assert.ok(
    e.sources?.some(
      (s) => s.kind === 'seed' && s.quote === 'Liveness not guaranteed (dueling proposers)',
    ),
  );
  const r = e.run({ seed: 1, quick: true });
  const rows = r.rows as unknown as Row[];
  const live = rows.filter((x) => x.part === LIVELOCK_PART);
  const cost = rows.filter((x) => x.part === CONTENTION_PART);
  assert.deepEqual(
    live.map((x) => x.variant),
    LIVELOCK_VARIANTS.map((v) => v.variant),
  );
  assert.deepEqual(
    cost.map((x) => x.variant),
    DUEL_VARIANTS.map((v) => v.variant),
  );
  for (const row of rows) {
    assert.equal(row.undecided, row.instances - row.decided);
    assert.equal(
      row.ballotsPerDecided,
      row.decided === 0 ? null : roundMs(row.ballots / row.decided),
    );
  }
  const m = r.measured as unknown as {
    livelock: { noBackoffRunsDecided: number; backoffRunsDecided: number; runs: number };
    contentionCost: { ballotsPerDecidedNoBackoff: number };
  };
  assert.equal(live[0]!.decided, 0);
  assert.equal(m.livelock.noBackoffRunsDecided, 0);
  assert.equal(m.livelock.backoffRunsDecided, m.livelock.runs);
  assert.equal(m.contentionCost.ballotsPerDecidedNoBackoff, cost[0]!.ballotsPerDecided);
  assert.equal(r.verdict, 'supported');
  // The contention rows are what the runs measure: redo the no-backoff runs and add them up.
  const again = cost[0]!.seeds.map((s) => runDuel(DUEL_VARIANTS[0]!, s, 100));
  assert.equal(
    cost[0]!.ballots,
    again.reduce((a, x) => a + x.ballots, 0),
  );
  // A stable leader runs phase 1 about once per run, not once per instance.
  assert.ok((cost[2]!.ballotsPerDecided as number) < 0.1);
  // Plots: measured beside claimed, error bars inside [0, 1] around each share.
  const decidedPlot = r.plots?.[0];
  assert.ok(decidedPlot?.series.some((s) => s.role === 'claimed'));
  for (const s of decidedPlot?.series ?? []) {
    for (const p of s.points) {
      if (p.lo !== undefined) assert.ok(0 <= p.lo && p.lo <= p.y && p.y <= (p.hi as number));
    }
  }
  assert.deepEqual(e.run({ seed: 1, quick: true }), r, 'same seed, same numbers');
  assert.ok(STAGGER_MS > 0 && STAGGER_MS < ACCEPT_MS);
});

test('paxos --param: backoff on/off and max-ballots, bad values as typed errors', async () => {
  const { paxosSystem, PaxosParamError, paxosParams } =
    await import('../../src/systems/paxos/paxos.js');
  assert.ok(paxosSystem.params?.some((p) => p.name === 'backoff'));
  assert.deepEqual(paxosParams({ backoff: 'off', 'max-ballots': '7' }), {
    backoff: false,
    maxBallots: 7,
  });
  const field = (params: Record<string, string>): string | undefined => {
    try {
      paxosSystem.createNode({ params });
    } catch (e) {
      assert.ok(e instanceof PaxosParamError);
      return e.field;
    }
    return undefined;
  };
  assert.equal(field({ backoff: 'maybe' }), 'backoff');
  assert.equal(field({ 'max-ballots': '0' }), 'max-ballots');
  assert.equal(field({ 'max-ballots': '2.5' }), 'max-ballots');
  assert.equal(field({ other: '1' }), 'other');
  assert.equal(field({ 'max-ballots': '3' }), undefined);
});
