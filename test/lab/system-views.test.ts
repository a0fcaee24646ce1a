/**
 * The systems' lab views (src/core/lab-views.ts and each system's *-lab-views.ts) and the lab's
 * bridge to them (lab/src/system-views.ts, tree-layout.ts), in Node: small hand-made runs whose
 * answers are known, and one real nakamoto run under a partition whose fork must show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/protocols/pbft/ed25519.js';
import type { Json } from '../../src/core/json.js';
import {
  chartHasData,
  perNodeSteps,
  viewNum,
  type LabRun,
  type SentMessage,
  type ViewSample,
} from '../../src/core/lab-views.js';
import { signAs } from '../../src/protocols/pbft/crypto.js';
import { getSystem } from '../../src/systems/index.js';
import {
  blockTree,
  confirmationSeries,
  reorgRows,
  staleSeries,
} from '../../src/systems/chain/nakamoto-lab-views.js';
import { pbftLabel, pbftLabViews, phaseRows } from '../../src/systems/pbft/pbft-lab-views.js';
import { ballotText, paxosLabel } from '../../src/systems/paxos/paxos-lab-views.js';
import { raftLabel } from '../../src/systems/kv/raft-lab-views.js';
import { transactionRows, twoPcLabel } from '../../src/systems/twopc/twopc-lab-views.js';
import { RunController } from '../../lab/src/run-controller.js';
import { SnapshotStore } from '../../lab/src/snapshots.js';
import { labRun, laneLabels, MessageLabeller, verdictName } from '../../lab/src/system-views.js';
import { treeLayout } from '../../lab/src/tree-layout.js';

function run(sent: SentMessage[], samples: Record<string, ViewSample[]>, end: number): LabRun {
  return { nodes: Object.keys(samples), end, sent, samples: (n) => samples[n] ?? [] };
}

const up = (t: number, view: Record<string, Json>): ViewSample => ({ t, status: 'up', view });

function block(hash: string, parent: string, height: number, txs: string[] = []): Json {
  return {
    type: 'block',
    block: {
      hash,
      height,
      miner: 'n1',
      txs: [`coinbase:n1:${height}:0`, ...txs],
      header: { prevHash: parent },
    },
  };
}

/**
 * A fork at height 2: a2 (holding the payment) and b2 both extend a1; b3 extends b2. n1 follows
 * a2, then reorganises to b3; n2 follows b2 then b3.
 */
function forkedChain(): LabRun {
  const sent: SentMessage[] = [
    { t: 10, from: 'n1', to: 'n2', msg: block('a1', 'g', 1) },
    { t: 20, from: 'n1', to: 'n2', msg: block('a2', 'a1', 2, ['pay-1']) },
    { t: 21, from: 'n2', to: 'n1', msg: block('b2', 'a1', 2) },
    { t: 30, from: 'n2', to: 'n1', msg: block('b3', 'b2', 3) },
  ];
  return run(
    sent,
    {
      n1: [
        up(10, { tip: 'a1', height: 1, reorgs: 0 }),
        up(20, { tip: 'a2', height: 2, reorgs: 0 }),
        up(31, { tip: 'b3', height: 3, reorgs: 1 }),
      ],
      n2: [
        up(10, { tip: 'a1', height: 1, reorgs: 0 }),
        up(21, { tip: 'b2', height: 2, reorgs: 0 }),
        up(30, { tip: 'b3', height: 3, reorgs: 0 }),
      ],
    },
    40,
  );
}

test('nakamoto: the block tree marks the losing fork stale', () => {
  const tree = blockTree(forkedChain());
  const kinds = Object.fromEntries(tree.map((n) => [n.id, n.kind]));
  assert.deepEqual(kinds, { a1: 'main', a2: 'stale', b2: 'main', b3: 'main' });
  assert.equal(tree.find((n) => n.id === 'a1')?.parent, null, 'genesis is never sent: a root');
  assert.equal(tree.find((n) => n.id === 'b3')?.parent, 'b2');
});

test('nakamoto: the tree shows the last 30 heights, or back to the latest fork (at most 90)', () => {
  const chain = (top: number, forkAt: number): LabRun => {
    const sent: SentMessage[] = [];
    for (let h = 1; h <= top; h++)
      sent.push({
        t: h,
        from: 'n1',
        to: 'n2',
        msg: block(`m${h}`, h === 1 ? 'g' : `m${h - 1}`, h),
      });
    sent.push({ t: top + 1, from: 'n2', to: 'n1', msg: block('x', `m${forkAt - 1}`, forkAt) });
    return run(sent, { n1: [up(top, { tip: `m${top}` })] }, top + 2);
  };
  const heights = (r: LabRun) => blockTree(r).map((n) => n.depth);
  assert.equal(Math.min(...heights(chain(100, 95))), 71, 'a recent fork: the last 30 heights');
  assert.equal(Math.min(...heights(chain(100, 40))), 38, 'an older fork: back to it');
  assert.equal(Math.min(...heights(chain(200, 40))), 111, 'never more than 90 heights');
});

test('nakamoto: stale blocks are counted as the fork is resolved', () => {
  const s = staleSeries(forkedChain());
  // At 21 both height-2 blocks are known and the leading tip (n1's a2, met first) makes b2 stale;
  // once b3 is followed, a2 is the stale one.
  assert.deepEqual(s.xs, [10, 20, 21, 30, 40]);
  assert.deepEqual(s.lines[0]?.ys, [0, 0, 1, 1, 1]);
});

test('nakamoto: a reorg undoes the payment on n1, and is listed with its depth', () => {
  const c = confirmationSeries(forkedChain());
  const n1 = c.lines.find((l) => l.label.startsWith('n1'));
  assert.ok(n1 !== undefined && n1.label.includes('pay-1'), 'the payment followed is named');
  const at = (t: number) => n1.ys[c.xs.indexOf(t)];
  assert.equal(at(20), 1, 'one confirmation once a2 is its tip');
  assert.equal(at(31), 0, 'the reorg to b3 undoes it');
  assert.deepEqual(reorgRows(forkedChain()), [[31, 'n1', 1, 3]]);
});

test('nakamoto under a partition: forks show as stale blocks in a real run', () => {
  const system = getSystem('nakamoto')!;
  const lab = new RunController(
    {
      system: 'nakamoto',
      nodes: 4,
      seed: 5,
      nemesis: 'partition-halves',
      ops: 0,
      mutant: null,
      params: { interval: '100' },
    },
    system,
  );
  lab.advance(8000);
  const r = labRun(lab.session.sim.nodeIds, lab.now, lab.trace, lab.snapshots);
  const tree = blockTree(r);
  assert.ok(
    tree.some((n) => n.kind === 'stale'),
    'a partitioned network forks',
  );
  const stale = staleSeries(r).lines[0]?.ys ?? [];
  assert.ok(Math.max(...stale.map((y) => y ?? 0)) > 0, 'the stale chart shows it');
  assert.ok(chartHasData(perNodeSteps(r, (v) => viewNum(v, 'height'))));
});

test('etcd-raft: revisions and watch events per replica in a real run', () => {
  const system = getSystem('etcd-raft')!;
  const lab = new RunController(
    { system: 'etcd-raft', nodes: 3, seed: 1, nemesis: 'none', ops: 100, mutant: null, params: {} },
    system,
  );
  lab.advance(3000);
  const r = labRun(lab.session.sim.nodeIds, lab.now, lab.trace, lab.snapshots);
  const panel = (id: string) => {
    const p = system.labViews?.panels?.find((x) => x.id === id);
    assert.ok(p !== undefined && p.kind === 'chart', `etcd-raft declares the ${id} chart`);
    return p.data(r);
  };
  const top = (id: string): number =>
    Math.max(...panel(id).lines.flatMap((l) => l.ys.map((y) => y ?? 0)));
  // Every put is a new revision and one event a watcher receives.
  assert.ok(top('revision') > 10, `revision ${top('revision')}`);
  assert.ok(top('watch-events') > 10, `watch events ${top('watch-events')}`);
  assert.ok(top('watch-events') <= top('revision'), 'no more single-key events than revisions');
});

test('pbft: arrows named by phase, the primary starred, traitors marked', () => {
  const pp = signAs('n1', { t: 'pre-prepare', i: 'n1', v: 0, n: 3, d: 'null', req: null });
  const vc = signAs('n2', { t: 'view-change', i: 'n2', v: 1, n: 0, C: [], P: [] });
  const ck = signAs('n2', { t: 'checkpoint', i: 'n2', n: 8, d: 'x' });
  assert.equal(pbftLabel(pp as unknown as Json), 'pre-prepare v0 n3');
  assert.equal(pbftLabel(vc as unknown as Json), 'view-change → v1');
  assert.equal(pbftLabel(ck as unknown as Json), 'checkpoint n8');
  const lane = pbftLabViews.lane!;
  assert.deepEqual(lane({ view: 1, primary: 'n2', byzantine: null }, 'n2'), {
    role: 'primary',
    lead: true,
    marks: ['v1'],
  });
  assert.deepEqual(lane({ view: 1, primary: 'n2', byzantine: 'silent' }, 'n4'), {
    role: 'backup',
    lead: false,
    marks: ['v1', 'traitor (silent)'],
  });
});

test('pbft: phases per sequence number count each phase and who executed', () => {
  const msg = (b: Record<string, Json>) => signAs(String(b['i']), b) as unknown as Json;
  const sent: SentMessage[] = [
    { t: 1, from: 'n1', to: 'n2', msg: msg({ t: 'pre-prepare', i: 'n1', v: 0, n: 1, d: 'd' }) },
    { t: 2, from: 'n2', to: 'n1', msg: msg({ t: 'prepare', i: 'n2', v: 0, n: 1, d: 'd' }) },
    { t: 2, from: 'n2', to: 'n3', msg: msg({ t: 'prepare', i: 'n2', v: 0, n: 1, d: 'd' }) },
    { t: 3, from: 'n3', to: 'n1', msg: msg({ t: 'commit', i: 'n3', v: 0, n: 1, d: 'd' }) },
  ];
  const r = run(sent, { n1: [up(4, { executed: 1 })], n2: [up(4, { executed: 0 })] }, 5);
  assert.deepEqual(phaseRows(r), [[1, 0, 1, 2, 1, '1/2']]);
});

test('raft, paxos and twopc name their arrows by what they carry', () => {
  assert.equal(raftLabel({ type: 'append', term: 3, entries: [1, 2] }), 'append 2e t3');
  assert.equal(raftLabel({ type: 'vote-resp', term: 2, granted: false }), 'vote-resp no t2');
  assert.equal(ballotText(2001), '2.1');
  assert.equal(paxosLabel({ type: 'accept', ballot: 1002, slot: 7 }), 'accept b1.2 s7');
  assert.equal(twoPcLabel({ type: 'vote', txn: 't1', yes: false }), 'vote no');
  assert.equal(twoPcLabel({ type: 'decision', txn: 't1', commit: true }), 'decision commit');
});

test('twopc: each transaction with its votes, decision and wait for it', () => {
  const sent: SentMessage[] = [
    { t: 1, from: 'n1', to: 'n2', msg: { type: 'prepare', txn: 't1', changes: {} } },
    { t: 1, from: 'n1', to: 'n3', msg: { type: 'prepare', txn: 't1', changes: {} } },
    { t: 3, from: 'n2', to: 'n1', msg: { type: 'vote', txn: 't1', yes: true, balances: {} } },
    { t: 4, from: 'n3', to: 'n1', msg: { type: 'vote', txn: 't1', yes: true, balances: {} } },
    { t: 6, from: 'n1', to: 'n2', msg: { type: 'decision', txn: 't1', commit: true } },
    { t: 8, from: 'n1', to: 'n2', msg: { type: 'prepare', txn: 't2', changes: {} } },
  ];
  assert.deepEqual(transactionRows(run(sent, { n1: [] }, 20)), [
    ['t1', 1, 2, 0, 'commit', 5],
    ['t2', 8, 0, 0, 'none yet', '≥ 12'],
  ]);
});

test('perNodeSteps: one x per change, each node carrying its value, null while down', () => {
  const r = run(
    [],
    {
      a: [up(0, { h: 1 }), up(5, { h: 2 })],
      b: [up(0, { h: 1 }), { t: 3, status: 'down', view: null }, up(7, { h: 4 })],
    },
    10,
  );
  const s = perNodeSteps(r, (v) => viewNum(v, 'h'));
  assert.deepEqual(s.xs, [0, 3, 5, 7, 10]);
  assert.deepEqual(s.lines[0]?.ys, [1, 1, 2, 2, 2]);
  assert.deepEqual(s.lines[1]?.ys, [1, null, null, 4, 4]);
  assert.equal(chartHasData({ xs: [1], lines: [{ label: 'x', ys: [null] }] }), false);
});

test('the verdict says "linearizable" only when the linearizability checker ran', () => {
  const chain = getSystem('nakamoto')!.labViews;
  assert.equal(verdictName('valid', null, 'valid', chain).text, 'chain consistent ✓');
  assert.equal(verdictName('invalid', null, 'invalid', chain).text, 'NOT chain consistent ✗');
  assert.equal(verdictName('valid', 'valid', null, undefined).text, 'linearizable ✓');
  assert.equal(
    verdictName('invalid', 'valid', 'invalid', getSystem('twopc')!.labViews).text,
    'linearizable ✓ · NOT atomic (money conserved) ✗',
  );
  assert.match(verdictName('unchecked', null, null, undefined).text, /^unchecked/);
  assert.deepEqual(verdictName('valid', null, 'valid', chain).judge?.name, 'chain consistent');
  // Each system with a judge of its own and no linearizability model names that judge.
  for (const name of ['nakamoto', 'paxos', 'twopc', 'twopc-replicated', 'paxos-commit']) {
    const s = getSystem(name)!;
    assert.equal(s.model, undefined);
    assert.ok(s.judge !== undefined && s.labViews?.verdictName !== undefined, name);
  }
});

test('lane labels: the declared marks, or role and term by default', () => {
  const store = new SnapshotStore(['n1', 'n2']);
  store.record('n1', {
    t: 0,
    status: 'up',
    view: { view: 0, primary: 'n1', byzantine: null },
    clockOffset: 0,
  });
  store.record('n2', { t: 0, status: 'up', view: { role: 'leader', term: 4 }, clockOffset: 0 });
  const [p] = laneLabels(pbftLabViews, ['n1'], store, 1);
  assert.deepEqual(p, { title: 'n1', detail: 'primary v0', leader: true, down: false });
  const [, d] = laneLabels(undefined, ['n1', 'n2'], store, 1);
  assert.deepEqual(d, { title: 'n2', detail: 'leader t4', leader: true, down: false });
});

test('arrows are relabelled as they are fed, duplicates like their send', () => {
  const l = new MessageLabeller(twoPcLabel);
  const send = l.relabel({
    t: 1,
    e: 'send',
    from: 'n1',
    to: 'n2',
    id: 9,
    type: 'vote',
    msg: { type: 'vote', txn: 't', yes: true },
  });
  assert.equal('type' in send ? send.type : '', 'vote yes');
  const dup = l.relabel({ t: 2, e: 'duplicate', from: 'n1', to: 'n2', id: 9, type: 'vote' });
  assert.equal('type' in dup ? dup.type : '', 'vote yes');
  const plain = new MessageLabeller(undefined).relabel(dup);
  assert.equal(plain, dup, 'no label function: the event as it was');
});

test('tree layout: the main chain on the top row, each fork on a row of its own', () => {
  const layout = treeLayout(blockTree(forkedChain()));
  const row = Object.fromEntries(layout.placed.map((p) => [p.node.id, p.row]));
  const column = Object.fromEntries(layout.placed.map((p) => [p.node.id, p.column]));
  assert.deepEqual(row, { a1: 0, b2: 0, a2: 1, b3: 0 });
  assert.deepEqual(column, { a1: 0, a2: 1, b2: 1, b3: 2 });
  assert.equal(layout.edges.length, 3);
  assert.equal(layout.rows, 2);
});
