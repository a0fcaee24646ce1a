/**
 * The transactional database's lab views (txndb-lab-views.ts, lab-ranges.ts, lab-txn-spans.ts)
 * over real simulated runs, recorded as the lab records them (lab/src/run-controller.ts): the
 * ranges with their spans, replicas and leaseholders; the lanes marking the ranges each node
 * leads; transactions' intents, commits and commit waits on the time axis — a commit wait of
 * at most 2ε under TrueTime, none without it (`no-commit-wait`) nor under HLC; readable
 * message labels. And, by hand, a range that appears mid-run (a split) and a lease that moves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { panelHasData, type LabRun, type ViewSample } from '../../../src/core/lab-views.js';
import { getSystem } from '../../../src/systems/index.js';
import { leaseTimeline, rangeRows } from '../../../src/systems/txndb/lab-ranges.js';
import { txnTimeline } from '../../../src/systems/txndb/lab-txn-spans.js';
import { txndbLabViews } from '../../../src/systems/txndb/txndb-lab-views.js';
import { RunController } from '../../../lab/src/run-controller.js';
import { labRun } from '../../../lab/src/system-views.js';

const EPSILON = 7;

function simulate(system: 'spanner' | 'cockroach', mutant: string | null, ops: number, nodes = 3) {
  const def = getSystem(system);
  assert.ok(def !== undefined, `${system} is registered`);
  assert.equal(def.labViews, txndbLabViews, `${system} declares the txndb lab views`);
  const lab = new RunController(
    { system, nodes, seed: 2, nemesis: 'none', ops, mutant, params: {} },
    def,
  );
  lab.runToEnd();
  const run = labRun(lab.session.sim.nodeIds, lab.now, lab.trace, lab.snapshots);
  return { run, metrics: lab.session.sim.metrics };
}

function lastView(run: LabRun, node: string) {
  const s = run.samples(node);
  return s[s.length - 1]?.view ?? null;
}

const spanner = simulate('spanner', null, 200);

test('spanner: each range with its span, replicas and current leaseholder, and the lanes say who leads what', () => {
  const { run } = spanner;
  const rows = rangeRows(run);
  assert.deepEqual(
    rows.map((r) => [r[0], r[1]]),
    [
      ['r1', '[−∞, k04)'],
      ['r2', '[k04, k08)'],
      ['r3', '[k08, ∞)'],
    ],
  );
  for (const [range, , replicas, holder] of rows) {
    assert.equal(String(replicas).split(' ').length, 3, `${range}: three replicas`);
    assert.ok(String(replicas).split(' ').includes(String(holder)), `${range}: held by a replica`);
    // The holder's own last view says it leads the range, and its lane names the range.
    const view = lastView(run, String(holder));
    assert.ok(view !== null);
    const lane = txndbLabViews.lane?.(view, String(holder));
    assert.equal(lane?.lead, true, `${holder} is starred`);
    assert.equal(lane?.role, 'leads');
    assert.ok(
      lane?.marks?.[0]?.split(' ').includes(String(range)),
      `${holder}'s lane names ${range}`,
    );
  }
  for (const node of run.nodes) {
    const led = rows.filter((r) => r[3] === node).map((r) => r[0]);
    const lane = txndbLabViews.lane?.(lastView(run, node) ?? {}, node);
    if (led.length === 0) assert.equal(lane?.role, 'replica', `${node} leads nothing`);
    else assert.equal(lane?.marks?.[0], led.join(' '), `${node} leads ${led.join(' ')}`);
  }
  const leases = leaseTimeline(run);
  for (const r of rows) {
    const mine = leases.filter((l) => l.row.startsWith(`${r[0]} `));
    assert.ok(mine.length > 0, `${r[0]}: a lease on the timeline`);
    assert.ok(
      mine.some((l) => l.label.startsWith(`${r[3]} `) && l.end === run.end),
      `${r[0]}: the current holder's lease runs to the end`,
    );
  }
});

test('spanner: commit waits of at most 2ε on the time axis, as many as the coordinators waited', () => {
  const { run, metrics } = spanner;
  const spans = txnTimeline(run, Infinity);
  const waits = spans.filter((s) => s.kind === 'commit-wait');
  const waited = metrics.get('txn.commit-wait-ms') ?? [];
  assert.ok(waits.length > 10, `commit waits drawn: ${waits.length}`);
  // Every wait of a millisecond or more spans a sample, so it is drawn; shorter ones may not be.
  assert.ok(waits.length >= waited.filter((w) => w >= 1).length, 'every wait ≥ 1 ms drawn');
  assert.ok(waits.length <= waited.length, 'no wait drawn that did not happen');
  for (const w of waits) {
    // Samples are 1 ms apart: a drawn wait is at most a sample longer than TrueTime's 2ε.
    assert.ok(w.end - w.start <= 2 * EPSILON + 1, `${w.row}: a wait of ${w.end - w.start} ms`);
    // It ends once TrueTime's earliest passes the commit timestamp: at ts + ε on these clocks
    // (no skew in this run), to the sampling's millisecond.
    const m = /^commit wait ts (\d+\.\d)$/.exec(w.label);
    assert.ok(m !== null, `the wait names its timestamp: ${w.label}`);
    const release = Number(m[1]) + EPSILON;
    assert.ok(
      w.end >= release - 0.1 && w.end <= release + 1.1,
      `${w.row}: released at ${w.end}, TT.after(ts) from ${release}`,
    );
  }
  const mean = waits.reduce((a, w) => a + (w.end - w.start), 0) / waits.length;
  assert.ok(mean >= 1 && mean <= 2 * EPSILON, `about ε: the mean wait is ${mean.toFixed(1)} ms`);
  // The panel shows the latest transactions only, with their waits among them.
  const panel = txndbLabViews.panels?.find((p) => p.id === 'txns');
  const shown = panel === undefined ? undefined : panelHasData(panel, run);
  assert.equal(shown?.kind, 'timeline');
  assert.ok(shown.kind === 'timeline' && new Set(shown.spans.map((s) => s.row)).size <= 16);
});

test('spanner: intents drawn on their keys and ranges, each followed by its resolution', () => {
  const { run } = spanner;
  const spans = txnTimeline(run, Infinity);
  const ranges = new Map(rangeRows(run).map((r) => [String(r[0]), String(r[1])]));
  const intents = spans.filter((s) => s.kind === 'intent');
  assert.ok(intents.length > 20, `intents drawn: ${intents.length}`);
  for (const i of intents) {
    const m = /^intent (k\d\d) @(r\d)$/.exec(i.label);
    assert.ok(m !== null, `an intent names its key and range: ${i.label}`);
    const [, key, range] = m;
    const span = /^\[(.*), (.*)\)$/.exec(ranges.get(range!) ?? '');
    assert.ok(span !== null, `${range} is a range`);
    const lo = span[1] === '−∞' ? '' : span[1]!;
    assert.ok(key! >= lo && (span[2] === '∞' || key! < span[2]!), `${key} is in ${range}`);
    // The write that laid it, on the same row; and its resolution from where it ends.
    assert.ok(
      spans.some(
        (s) => s.row === i.row && s.kind === 'write' && s.label.includes(`${key} @${range}`),
      ),
      `${i.row}: the write of ${key}`,
    );
    if (i.end < run.end)
      assert.ok(
        spans.some(
          (s) =>
            s.row === i.row &&
            s.kind === 'resolve' &&
            s.start === i.end &&
            s.label.startsWith(`resolve ${key} @${range}`),
        ),
        `${i.row}: ${key}'s resolution`,
      );
  }
  assert.ok(spans.some((s) => s.kind === 'commit'));
  assert.ok(spans.every((s) => s.end >= s.start && s.end <= run.end));
});

test('spanner: the transactions timeline narrowed to one transaction, or to a key', () => {
  const { run } = spanner;
  const panel = txndbLabViews.panels?.find((p) => p.id === 'txns');
  assert.ok(panel?.kind === 'timeline' && panel.focus !== undefined, 'the panel offers a focus');
  const all = txnTimeline(run, Infinity);
  // A transaction by its short name: its row only (with its retries as new transactions).
  const row = all[0]!.row;
  const one = panel.spans(run, row);
  assert.ok(one.length > 0);
  assert.ok(
    one.every((s) => s.row === row || s.row.startsWith(`${row}#`)),
    `only ${row}`,
  );
  // A key: the latest transactions that read, wrote or held an intent on it, and only those.
  const key = /^intent (k\d\d) /.exec(all.find((s) => s.kind === 'intent')!.label)![1]!;
  const touching = panel.spans(run, key);
  const rows = new Set(touching.map((s) => s.row));
  assert.ok(rows.size > 1 && rows.size <= 16, `${rows.size} transactions on ${key}`);
  for (const r of rows)
    assert.ok(
      all.some((s) => s.row === r && s.label.includes(` ${key} @`)),
      `${r} touched ${key}`,
    );
  const everyOne = new Set(
    all.filter((s) => s.label.includes(` ${key} @`) && s.kind !== 'resolve').map((s) => s.row),
  );
  assert.ok(everyOne.size >= rows.size);
  assert.deepEqual(panel.spans(run, 'k99-nothing'), []);
});

test('spanner: arrows named by range and command', () => {
  const { run } = spanner;
  const label = txndbLabViews.messageLabel;
  assert.ok(label !== undefined);
  const seen = new Set<string>();
  for (const m of run.sent) {
    const l = label(m.msg);
    const msg = m.msg as Record<string, Json>;
    if (msg.type === 'group') assert.ok(l.startsWith(`${String(msg.group)} `), l);
    if (msg.type === 'range-req') {
      const k = (msg.op as Record<string, Json>).k;
      assert.ok(l.startsWith(`${String(k)} `), `${l} for a ${String(k)}`);
    }
    seen.add(l.replace(/k\d\d/, 'K').replace(/n\d\.\d+(#\d+)?/, 'T'));
  }
  for (const want of ['r1 append put K', 'get K', 'put K', 'commit T', 'resolve K', '→ written'])
    assert.ok(seen.has(want), `a label '${want}'`);
});

test('spanner without commit wait: no commit wait drawn, the rest still is', () => {
  const { run, metrics } = simulate('spanner', 'no-commit-wait', 100);
  const spans = txnTimeline(run, Infinity);
  assert.equal(metrics.get('txn.commit-wait-ms'), undefined);
  assert.deepEqual(
    spans.filter((s) => s.kind === 'commit-wait'),
    [],
  );
  assert.ok(spans.some((s) => s.kind === 'commit'));
  assert.ok(spans.some((s) => s.kind === 'intent'));
});

test('cockroach: HLC has no commit wait', () => {
  const { run } = simulate('cockroach', null, 100);
  const spans = txnTimeline(run, Infinity);
  assert.ok(spans.some((s) => s.kind === 'commit'));
  assert.equal(spans.filter((s) => s.kind === 'commit-wait').length, 0);
});

test('one node: every range held by it, and intents end with their transaction (no Raft traffic to read)', () => {
  const { run } = simulate('spanner', null, 60, 1);
  assert.deepEqual(
    rangeRows(run).map((r) => [r[0], r[2], r[3]]),
    [
      ['r1', 'n1', 'n1'],
      ['r2', 'n1', 'n1'],
      ['r3', 'n1', 'n1'],
    ],
  );
  const spans = txnTimeline(run, Infinity);
  const intents = spans.filter((s) => s.kind === 'intent');
  assert.ok(intents.length > 0);
  assert.equal(spans.filter((s) => s.kind === 'resolve').length, 0);
  for (const i of intents) {
    const end = Math.max(
      ...spans.filter((s) => s.row === i.row && s.kind !== 'intent').map((s) => s.end),
    );
    assert.equal(i.end, Math.max(i.start, end), `${i.row}: ${i.label} ends with its transaction`);
  }
});

// ---- by hand: a split and a lease handed over --------------------------------------------------

function rangeView(ranges: Record<string, [string, string, string | null]>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [id, [role, start, end]] of Object.entries(ranges))
    out[id] = { role, term: role === 'leader' ? 2 : 1, start, end, replicas: ['n1', 'n2'] };
  return { ranges: out };
}

test('a range split mid-run gets its row from then on; a lease handed over is counted', () => {
  const n1: ViewSample[] = [
    { t: 0, status: 'up', view: rangeView({ r1: ['leader', '', null] }) },
    {
      t: 100,
      status: 'up',
      view: rangeView({ r1: ['leader', '', 'k05'], r2: ['leader', 'k05', null] }),
    },
    {
      t: 200,
      status: 'up',
      view: rangeView({ r1: ['follower', '', 'k05'], r2: ['leader', 'k05', null] }),
    },
  ];
  const n2: ViewSample[] = [
    { t: 0, status: 'up', view: rangeView({ r1: ['follower', '', null] }) },
    { t: 210, status: 'up', view: rangeView({ r1: ['leader', '', 'k05'] }) },
  ];
  const samples: Record<string, ViewSample[]> = { n1, n2 };
  const run: LabRun = { nodes: ['n1', 'n2'], end: 300, sent: [], samples: (n) => samples[n] ?? [] };
  assert.deepEqual(rangeRows(run), [
    ['r1', '[−∞, k05)', 'n1 n2', 'n2', 210, 1],
    ['r2', '[k05, ∞)', 'n1 n2', 'n1', 100, 0],
  ]);
  assert.deepEqual(
    leaseTimeline(run).map((s) => [s.row, s.start, s.end, s.label]),
    [
      ['r1 [−∞, k05)', 0, 200, 'n1 t2'],
      ['r1 [−∞, k05)', 210, 300, 'n2 t2'],
      ['r2 [k05, ∞)', 100, 300, 'n1 t2'],
    ],
  );
});

test("a node card's outline lists its replicas: role and term, then leader, span and replicas", () => {
  const outline = txndbLabViews.nodeOutline;
  assert.equal(outline?.field, 'ranges');
  const view = rangeView({ r10: ['follower', 'k09', null], r2: ['leader', '', 'k05'] });
  const ranges = view.ranges as Record<string, Record<string, Json>>;
  view.ranges = { ...ranges, r10: { ...ranges.r10, leader: 'n2' } };
  assert.deepEqual(outline?.lines(view), [
    { depth: 0, text: 'r2 leader t2', note: '[−∞, k05) · n1 n2' },
    { depth: 0, text: 'r10 follower t1', note: '→ n2 · [k09, ∞) · n1 n2' },
  ]);
});
