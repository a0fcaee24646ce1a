/**
 * The transactional database's lab views (txndb-lab-views.ts, lab-ranges.ts, lab-txn-spans.ts)
 * over real simulated runs, recorded as the lab records them (lab/src/run-controller.ts): the
 * meta range and the data ranges (split as they grow: default split size 3 keys) with their
 * spans, replicas and leaseholders (the holders of their latest leases); the lanes marking the
 * ranges each node serves; transactions' intents, commits and commit waits on the time axis —
 * an intent on the range that held its key at that time, a commit wait of at most 2ε under
 * TrueTime, none without it (`no-commit-wait`) nor under HLC; readable message labels. And, by
 * hand, a range that appears mid-run (a split), a lease that moves, a lease held by a replica
 * that is not the Raft leader, and a lease that expires.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { panelHasData, type LabRun, type ViewSample } from '../../../src/core/lab-views.js';
import { getSystem } from '../../../src/systems/index.js';
import {
  leaseTimeline,
  rangeRows,
  spanAt,
  spanText,
} from '../../../src/systems/txndb/lab-ranges.js';
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

type Lease = { holder: string; start: number; expiration: number; seq: number };

/** Straight from the nodes' last views: each range's lease of the highest seq any applied. */
function latestLeases(run: LabRun): Map<string, Lease> {
  const out = new Map<string, Lease>();
  for (const node of run.nodes) {
    const ranges = (lastView(run, node)?.ranges ?? {}) as Record<string, { lease?: Lease }>;
    for (const [id, r] of Object.entries(ranges)) {
      const l = r.lease;
      if (l && (out.get(id)?.seq ?? 0) < l.seq) out.set(id, l);
    }
  }
  return out;
}

/** Whether `key` lies in the span `[lo, hi)` as the table writes it. */
function inSpan(key: string, span: string): boolean {
  const m = /^\[(.*), (.*)\)$/.exec(span);
  assert.ok(m !== null, `a span: ${span}`);
  const lo = m[1] === '−∞' ? '' : m[1]!;
  return key >= lo && (m[2] === '∞' || key < m[2]!);
}

const spanner = simulate('spanner', null, 200);

test('spanner: each range with its span, replicas and current leaseholder, and the lanes say who leads what', () => {
  const { run } = spanner;
  const rows = rangeRows(run);
  // The meta range first, then data ranges that split as they grew and tile the key space.
  assert.equal(rows[0]![0], 'meta');
  assert.equal(rows[0]![1], 'meta: directory of [−∞, ∞)');
  const data = rows.slice(1);
  assert.ok(
    data.some((r) => String(r[0]).includes('.')),
    `ranges split off: ${data.map((r) => r[0]).join(' ')}`,
  );
  let from = '';
  for (const r of data) {
    const m = /^\[(.*), (.*)\)$/.exec(String(r[1]));
    assert.ok(m !== null, `${r[0]}: a span, ${r[1]}`);
    assert.equal(m[1] === '−∞' ? '' : m[1], from, `${r[0]} starts where the last ended`);
    from = m[2]!;
  }
  assert.equal(from, '∞', 'the last range runs to the end of the key space');
  // A data range's leaseholder is its latest lease's holder, with that lease's start and
  // expiration; the meta range's is its Raft leader.
  const leases = latestLeases(run);
  for (const r of data) {
    const l = leases.get(String(r[0]));
    assert.ok(l !== undefined, `${r[0]}: a lease`);
    assert.deepEqual(
      r.slice(3, 6),
      [l.holder, Math.round(l.start), Math.round(l.expiration)],
      `${r[0]}: its lease`,
    );
  }
  const metaLeader = run.nodes.filter(
    (n) => (lastView(run, n)?.ranges as Record<string, { role?: string }>).meta?.role === 'leader',
  );
  assert.deepEqual([rows[0]![3]], metaLeader, 'meta: its Raft leader');
  for (const [range, , replicas, holder] of rows) {
    assert.equal(String(replicas).split(' ').length, 3, `${range}: three replicas`);
    assert.ok(String(replicas).split(' ').includes(String(holder)), `${range}: held by a replica`);
    // The holder's own last view says it holds (or leads) the range; its lane names it.
    const view = lastView(run, String(holder));
    assert.ok(view !== null);
    const lane = txndbLabViews.lane?.(view, String(holder));
    assert.equal(lane?.lead, true, `${holder} is starred`);
    assert.equal(lane?.role, 'leads');
    const led = rows.filter((r) => r[3] === holder).map((r) => String(r[0]));
    assert.ok(led.includes(String(range)));
    assert.equal(
      lane?.marks?.[0],
      led.length <= 3 ? led.join(' ') : `${led.length} ranges`,
      `${holder}'s lane names ${range} or counts it`,
    );
  }
  for (const node of run.nodes) {
    const led = rows.filter((r) => r[3] === node).map((r) => r[0]);
    const lane = txndbLabViews.lane?.(lastView(run, node) ?? {}, node);
    if (led.length === 0) assert.equal(lane?.role, 'replica', `${node} leads nothing`);
    else
      assert.equal(
        lane?.marks?.[0],
        led.length <= 3 ? led.join(' ') : `${led.length} ranges`,
        `${node} leads ${led.join(' ')}`,
      );
  }
  const timeline = leaseTimeline(run);
  for (const r of rows) {
    const mine = timeline.filter((l) => l.row === r[0] || l.row.startsWith(`${r[0]} `));
    assert.ok(mine.length > 0, `${r[0]}: a lease on the timeline`);
    assert.ok(
      mine.some((l) => l.label.startsWith(`${r[3]} `) && l.end === run.end),
      `${r[0]}: the current holder's lease runs to the end (it expires after the run)`,
    );
    if (r[0] !== 'meta')
      assert.equal(mine.at(-1)!.label, `${r[3]} #${leases.get(String(r[0]))!.seq}`);
  }
  // A split-off range's row starts when it first appears, mid-run.
  for (const r of data.filter((x) => String(x[0]).includes('.')))
    assert.ok(
      timeline.filter((l) => l.row.startsWith(`${r[0]} `)).every((l) => l.start > 0),
      `${r[0]} appears mid-run`,
    );
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
  const intents = spans.filter((s) => s.kind === 'intent');
  assert.ok(intents.length > 20, `intents drawn: ${intents.length}`);
  const inRangeAt = (key: string, range: string, t: number): boolean => {
    const span = spanAt(run, range, t);
    return span !== undefined && inSpan(key, spanText(span.start, span.end));
  };
  let moved = 0;
  for (const i of intents) {
    const m = /^intent (k\d\d) @(r[\d.]+)$/.exec(i.label);
    assert.ok(m !== null, `an intent names its key and range: ${i.label}`);
    const [, key, range] = m;
    // The range held the key when the intent was laid (its span as the samples had it then).
    assert.ok(inRangeAt(key!, range!, i.start), `${key} is in ${range} at ${i.start}`);
    // The write that laid it, on the same row; and its resolution from where it ends, on the
    // range that held the key then (the same, or one split off it since).
    assert.ok(
      spans.some(
        (s) => s.row === i.row && s.kind === 'write' && s.label.includes(`${key} @${range}`),
      ),
      `${i.row}: the write of ${key}`,
    );
    if (i.end < run.end) {
      const r = spans.find(
        (s) =>
          s.row === i.row &&
          s.kind === 'resolve' &&
          s.start === i.end &&
          s.label.startsWith(`resolve ${key} @`),
      );
      assert.ok(r !== undefined, `${i.row}: ${key}'s resolution`);
      const to = /^resolve k\d\d @(r[\d.]+)/.exec(r.label)![1]!;
      assert.ok(inRangeAt(key!, to, r.start), `${key} is in ${to} at ${r.start}`);
      if (to !== range) moved++;
    }
  }
  // Seed 2 splits r1, r3 and r2 mid-run (default split size: 3 keys): 118 of its 383 intents
  // lie on ranges split off, and 2 keys moved to a new range between an intent and its
  // resolution. A static key → range map would put all of them in r1, r2 or r3.
  assert.ok(
    intents.filter((i) => /@r\d+\.\d+$/.test(i.label)).length > 0,
    'intents on split-off ranges',
  );
  assert.ok(moved > 0, 'a resolution on the range a key moved to');
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
      const k = String((msg.op as Record<string, Json>).k);
      assert.ok(l === k || l.startsWith(`${k} `), `${l} for a ${k}`);
    }
    seen.add(
      l
        .replace(/k\d\d/g, 'K')
        .replace(/n\d\.\d+(#\d+)?/g, 'T')
        .replace(/r\d+(\.\d+)?@\d+/g, 'D')
        .replace(/\bn\d\b/g, 'N'),
    );
  }
  for (const want of [
    'r1 append put K',
    'get K',
    'put K',
    'commit T',
    'resolve K',
    '→ written',
    'r1 append lease N',
    'r1 append split at K → r1.2',
    'meta-put D D',
    'meta append meta-put D D',
    '→ directory written',
    '→ key mismatch D D',
  ])
    assert.ok(seen.has(want), `a label '${want}' in ${[...seen].sort().join(' | ')}`);
  // No message type or command left without a label of its own.
  for (const l of seen) assert.ok(!/\bundefined\b|\?/.test(l), `a readable label: ${l}`);
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
  const rows = rangeRows(run);
  assert.deepEqual(rows[0]!.slice(0, 4), ['meta', 'meta: directory of [−∞, ∞)', 'n1', 'n1']);
  assert.ok(rows.length > 4, `the three first ranges split: ${rows.map((r) => r[0]).join(' ')}`);
  for (const r of rows) assert.deepEqual([r[2], r[3]], ['n1', 'n1'], `${r[0]}: n1's alone`);
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

// ---- by hand: a split, a lease handed over, a lease not on the leader, a lease expiring ------

type Hand = [role: string, start: string, end: string | null, lease?: [string, number, number]];

function rangeView(ranges: Record<string, Hand>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [id, [role, start, end, lease]] of Object.entries(ranges))
    out[id] = {
      role,
      term: role === 'leader' ? 2 : 1,
      start,
      end,
      replicas: ['n1', 'n2'],
      generation: end === null ? 1 : 2,
      keys: 3,
      ...(lease !== undefined
        ? {
            lease: {
              holder: lease[0],
              start: lease[1],
              expiration: lease[2],
              seq: lease[0] === 'n1' ? 1 : 2,
            },
          }
        : {}),
    };
  return { ranges: out };
}

test('a range split mid-run gets its row from then on; the lease, not Raft leadership, makes the leaseholder', () => {
  const n1: ViewSample[] = [
    { t: 0, status: 'up', view: rangeView({ r1: ['leader', '', null, ['n1', 0, 1000]] }) },
    {
      t: 100,
      status: 'up',
      view: rangeView({
        r1: ['leader', '', 'k05', ['n1', 0, 1000]],
        'r1.2': ['leader', 'k05', null, ['n1', 0, 250]],
      }),
    },
    {
      // n1 still leads r1's Raft group, but n2 took the lease (seq 2).
      t: 200,
      status: 'up',
      view: rangeView({
        r1: ['leader', '', 'k05', ['n2', 190, 900]],
        'r1.2': ['leader', 'k05', null, ['n1', 0, 250]],
      }),
    },
  ];
  const n2: ViewSample[] = [
    { t: 0, status: 'up', view: rangeView({ r1: ['follower', '', null, ['n1', 0, 1000]] }) },
    { t: 195, status: 'up', view: rangeView({ r1: ['follower', '', 'k05', ['n2', 190, 900]] }) },
  ];
  const samples: Record<string, ViewSample[]> = { n1, n2 };
  const run: LabRun = { nodes: ['n1', 'n2'], end: 300, sent: [], samples: (n) => samples[n] ?? [] };
  assert.deepEqual(rangeRows(run), [
    ['r1', '[−∞, k05)', 'n1 n2', 'n2', 190, 900, 1, 3],
    ['r1.2', '[k05, ∞)', 'n1 n2', 'n1', 0, 250, 0, 3],
  ]);
  assert.deepEqual(
    leaseTimeline(run).map((s) => [s.row, s.start, s.end, s.label]),
    [
      // n1's lease until n2's is first seen; n2's to the run's end.
      ['r1 [−∞, k05)', 0, 195, 'n1 #1'],
      ['r1 [−∞, k05)', 195, 300, 'n2 #2'],
      // Split off at 100 under its parent's lease, which lapses at 250 (never extended).
      ['r1.2 [k05, ∞)', 100, 250, 'n1 #1'],
    ],
  );
  // n2's lane names r1 though it is a follower there; n1's no longer does.
  const lane = (node: string, view: Json) =>
    txndbLabViews.lane?.(view as Record<string, Json>, node).marks?.[0];
  assert.equal(lane('n2', n2[1]!.view), 'r1');
  assert.equal(lane('n1', n1[2]!.view), 'r1.2');
});

test('the meta range: its row and timeline follow its Raft leader (it has no lease)', () => {
  const meta = (role: string, term: number): Record<string, Json> => ({
    ranges: { meta: { role, term, commit: 3, leader: null } },
  });
  const samples: Record<string, ViewSample[]> = {
    n1: [
      { t: 0, status: 'up', view: meta('leader', 1) },
      { t: 50, status: 'down', view: null },
    ],
    n2: [
      { t: 0, status: 'up', view: meta('follower', 1) },
      { t: 80, status: 'up', view: meta('leader', 2) },
    ],
  };
  const run: LabRun = { nodes: ['n1', 'n2'], end: 100, sent: [], samples: (n) => samples[n] ?? [] };
  assert.deepEqual(rangeRows(run), [
    ['meta', 'meta: directory of [−∞, ∞)', 'n1 n2', 'n2', 80, '—', 1, '—'],
  ]);
  assert.deepEqual(
    leaseTimeline(run).map((s) => [s.row, s.start, s.end, s.label, s.kind]),
    [
      ['meta', 0, 50, 'n1 leader t1', 'leader'],
      ['meta', 80, 100, 'n2 leader t2', 'leader'],
    ],
  );
  assert.equal(txndbLabViews.lane?.(meta('leader', 2), 'n2').marks?.[0], 'meta');
});

test("a node card's outline lists its replicas: role and term, then leader, span, replicas and lease", () => {
  const outline = txndbLabViews.nodeOutline;
  assert.equal(outline?.field, 'ranges');
  const view = rangeView({
    r10: ['follower', 'k09', null],
    r2: ['leader', '', 'k05', ['n2', 10, 4500.4]],
  });
  const ranges = view.ranges as Record<string, Record<string, Json>>;
  view.ranges = { ...ranges, r10: { ...ranges.r10, leader: 'n2' } };
  assert.deepEqual(outline?.lines(view), [
    { depth: 0, text: 'r2 leader t2', note: '[−∞, k05) · n1 n2 · lease n2 #2 → 4500' },
    { depth: 0, text: 'r10 follower t1', note: '→ n2 · [k09, ∞) · n1 n2' },
  ]);
});
