import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nemesisPlans, parseNemesis } from '../../src/sim/nemesis.js';
import { runSimulation } from '../../src/sim/run.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import { getSystem } from '../../src/systems/index.js';

const echo = getSystem('echo')!;

function traceOf(nemesis: string, seed = 3): TraceEvent[] {
  const run = runSimulation({
    system: echo,
    nodes: 5,
    seed,
    nemesis,
    keepTrace: true,
    workload: { ops: 1500 },
  });
  return run.trace as TraceEvent[];
}

const of = <K extends TraceEvent['e']>(events: TraceEvent[], kind: K) =>
  events.filter((e): e is Extract<TraceEvent, { e: K }> => e.e === kind);

/** What each plan must visibly do to a run. */
const observed: Record<string, (events: TraceEvent[]) => boolean> = {
  'partition-halves': (ev) => of(ev, 'partition').some((p) => p.blocked.length === 12),
  'partition-one': (ev) => of(ev, 'partition').some((p) => p.blocked.length === 8),
  'partition-bridge': (ev) =>
    of(ev, 'partition').some((p) => {
      const touched = new Set(p.blocked.flat());
      return p.blocked.length === 8 && touched.size === 4; // one node talks to everyone
    }),
  'partition-ring': (ev) => of(ev, 'partition').some((p) => p.blocked.length === 10),
  'partition-oneway': (ev) =>
    of(ev, 'partition').some(
      (p) =>
        p.blocked.length > 0 &&
        p.blocked.every(([a, b]) => !p.blocked.some(([c, d]) => c === b && d === a)),
    ),
  crash: (ev) => of(ev, 'crash').length > 0 && of(ev, 'restart').length > 0,
  'kill-minority': (ev) => {
    const crashes = of(ev, 'crash');
    return crashes.length > 0 && of(ev, 'restart').length > 0;
  },
  pause: (ev) => of(ev, 'pause').length > 0 && of(ev, 'resume').length > 0,
  'clock-skew': (ev) => of(ev, 'clock').some((c) => c.drift !== 0 && c.offset !== 0),
  'clock-jump': (ev) => of(ev, 'clock').some((c) => Math.abs(c.offset) >= 500),
  lossy: (ev) => of(ev, 'drop').some((d) => d.why === 'loss'),
  duplicate: (ev) => of(ev, 'duplicate').length > 0,
  reorder: (ev) => {
    const last = new Map<string, number>();
    return of(ev, 'deliver').some((d) => {
      const link = `${d.from}>${d.to}`;
      const before = last.get(link) ?? 0;
      last.set(link, d.id);
      return d.id < before;
    });
  },
  slow: (ev) => {
    const sentAt = new Map<number, number>();
    for (const s of of(ev, 'send')) sentAt.set(s.id, s.t);
    return (
      of(ev, 'link').some((l) => l.slow >= 5) &&
      of(ev, 'deliver').some((d) => d.t - (sentAt.get(d.id) ?? d.t) > 15)
    );
  },
};

test('every nemesis plan has an observation', () => {
  assert.deepEqual(
    nemesisPlans()
      .map((p) => p.name)
      .sort(),
    Object.keys(observed).sort(),
  );
});

for (const plan of nemesisPlans()) {
  test(`nemesis ${plan.name} observably acts in the trace, then heals`, () => {
    const events = traceOf(plan.name);
    assert.ok(observed[plan.name]!(events), `${plan.name} left no mark`);
    assert.ok(of(events, 'nemesis').some((n) => n.plan === plan.name && n.phase === 'fault'));
    const finalHeal = of(events, 'nemesis').findIndex((n) => n.detail.startsWith('final heal'));
    assert.ok(finalHeal >= 0, 'the run ends with a final heal');
    // After the final heal nothing is left broken.
    const lastPartition = of(events, 'partition').at(-1);
    if (lastPartition) assert.deepEqual(lastPartition.blocked, []);
    const lastLink = of(events, 'link').at(-1);
    if (lastLink)
      assert.deepEqual(
        [lastLink.loss, lastLink.duplicate, lastLink.reorder, lastLink.slow],
        [0, 0, 0, 1],
      );
    const downs = new Set<string>();
    for (const e of events) {
      if (e.e === 'crash') downs.add(e.node);
      if (e.e === 'restart') downs.delete(e.node);
    }
    assert.deepEqual([...downs], []);
  });
}

test('nemesis specs combine with commas; all expands; unknown names are refused', () => {
  assert.deepEqual(parseNemesis('none'), []);
  assert.deepEqual(
    parseNemesis('crash,pause').map((p) => p.name),
    ['crash', 'pause'],
  );
  assert.equal(parseNemesis('all').length, nemesisPlans().length);
  assert.throws(() => parseNemesis('crash,meteor'), /unknown nemesis 'meteor'/);
});

test('combined plans act together', () => {
  const events = traceOf('partition-one,crash,lossy', 4);
  assert.ok(observed['partition-one']!(events));
  assert.ok(observed.crash!(events));
  assert.ok(observed.lossy!(events));
});
