import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeSession, runChecked } from '../../src/sim/checked-run.js';
import { Session, type RunOptions } from '../../src/sim/run.js';
import type { NodeEnv, NodeId } from '../../src/core/node.js';
import type { SystemDefinition } from '../../src/core/system.js';
import {
  sha256Hex,
  signAs,
  verifySigned,
  type SignedMsg,
} from '../../src/protocols/pbft/crypto.js';
import '../../src/protocols/pbft/ed25519.js';
import { BYZANTINE_STRATEGIES, byzantineReplicas } from '../../src/protocols/pbft/byzantine.js';
import { NULL_DIGEST, type Body } from '../../src/protocols/pbft/messages.js';
import {
  PbftNode,
  VIEW_CHANGE_TIMEOUT_MS,
  type PbftMsg,
  type ViewChangeRecord,
} from '../../src/protocols/pbft/pbft.js';
import {
  verifyNewView,
  verifyViewChange,
  type VerifyContext,
} from '../../src/protocols/pbft/view-change.js';
import { getSystem } from '../../src/systems/index.js';
import { PbftParamError } from '../../src/systems/pbft/pbft.js';

const pbft = getSystem('pbft')!;
const T = VIEW_CHANGE_TIMEOUT_MS;

function verdictOf(run: ReturnType<typeof runChecked>): string {
  return (
    run.failure?.message ??
    run.judgement?.message ??
    (run.check?.evidence !== undefined ? 'not linearizable' : '')
  );
}

test('pbft is linearizable with no fault and under each nemesis', () => {
  for (const nemesis of [
    undefined,
    'partition-one',
    'crash',
    'lossy',
    'duplicate',
    'reorder',
    'pause',
  ]) {
    for (let seed = 1; seed <= 2; seed++) {
      const run = runChecked({
        system: pbft,
        seed,
        ...(nemesis !== undefined ? { nemesis } : {}),
        workload: { ops: 150 },
      });
      const what = `pbft --nemesis ${nemesis ?? 'none'} --seed ${seed}`;
      assert.equal(run.verdict, 'valid', `${what}: ${verdictOf(run)}`);
      assert.ok(run.ops.ok > 110, `${what}: only ${run.ops.ok} ops succeeded`);
    }
  }
});

test('pbft: one silent backup (K = f = 1) changes nothing', () => {
  for (let seed = 1; seed <= 2; seed++) {
    const params = { byzantine: '1', strategy: 'silent' };
    const run = runChecked({ system: pbft, seed, params, workload: { ops: 150 } });
    assert.equal(run.verdict, 'valid', `seed ${seed}: ${verdictOf(run)}`);
    assert.ok(run.ops.ok > 110, `seed ${seed}: only ${run.ops.ok} ops succeeded`);
    assert.equal(
      run.metrics['pbft.view-changes'],
      undefined,
      'a silent backup forces no view change',
    );
  }
});

/**
 * Every strategy with K = f, on 4 and 7 nodes, under lossy, crash and partition-halves: honest
 * replicas agree (the invariant) and the history is linearizable (clients never accept a wrong
 * result), and most operations succeed.
 */
test('pbft: every Byzantine strategy with K = f is safe and live under a seed sweep', () => {
  const nemeses = ['lossy', 'crash', 'partition-halves'];
  let runs = 0;
  for (const [s, strategy] of BYZANTINE_STRATEGIES.entries()) {
    const plans: { nodes: number; nemesis: string; seed: number }[] = [
      ...nemeses.flatMap((nemesis, k) =>
        [1, 2].map((j) => ({ nodes: 4, nemesis, seed: 10 * j + s + k })),
      ),
      { nodes: 7, nemesis: nemeses[s % nemeses.length] as string, seed: 30 + s },
    ];
    for (const { nodes, nemesis, seed } of plans) {
      const f = Math.floor((nodes - 1) / 3);
      const params = { byzantine: String(f), strategy };
      const run = runChecked({
        system: pbft,
        seed,
        nodes,
        nemesis,
        // Short phases, so that a short run still sees several faults and heals.
        nemesisTiming: { faultMs: [100, 400], healMs: [50, 200] },
        params,
        workload: { ops: 40 },
      });
      const what = `${strategy} K=${f} n=${nodes} --nemesis ${nemesis} --seed ${seed}`;
      assert.equal(run.verdict, 'valid', `${what}: ${verdictOf(run)}`);
      // Live: most operations succeed (a mute replica's own clients time out, and 25 % loss
      // with only the 2f + 1 honest replicas to form quorums is slow), and so does one
      // invoked after the final heal.
      assert.ok(run.ops.ok >= 20, `${what}: only ${run.ops.ok} of 40 ops succeeded`);
      assert.notEqual(run.recovery.firstOkAt, null, `${what}: nothing succeeded after the heal`);
      if (strategy !== 'silent') {
        const acts = run.metrics['pbft.byzantine']?.count ?? 0;
        assert.ok(acts > 0, `${what}: the faulty replicas never misbehaved`);
      }
      runs++;
    }
  }
  assert.equal(runs, 7 * BYZANTINE_STRATEGIES.length);
});

/** A run whose nodes can be inspected afterwards. */
function session(options: RunOptions): { s: Session; verdict: string; message: string } {
  const s = new Session(options);
  s.runToEnd();
  const j = judgeSession(s);
  const r = s.result();
  return { s, verdict: j.verdict, message: r.failure?.message ?? j.verdict };
}

function honestNodes(s: Session): PbftNode[] {
  return [...s.sim.liveNodes().values()]
    .map((n) => n as PbftNode)
    .filter((n) => n.byzantine === undefined);
}

/** pbft whose replicas in `faulty` are silent (the silent strategy picks the last K instead). */
function withSilent(faulty: readonly NodeId[]): SystemDefinition {
  return {
    ...pbft,
    createNode: () => (env) =>
      new PbftNode(env as NodeEnv<PbftMsg>, faulty.includes(env.id) ? { byzantine: 'silent' } : {}),
  };
}

/** Operations invoked after every honest replica left view 0 that succeeded. */
function okAfterViewChange(s: Session): { after: number; ok: number } {
  const honest = honestNodes(s);
  const left = Math.max(...honest.map((n) => (n.viewChangeLog()[0] as ViewChangeRecord).at));
  const later = s.result().history.filter((op) => op.invoke > left);
  return { after: left, ok: later.filter((op) => op.outcome === 'ok').length };
}

test('pbft: a silent or equivocating primary is replaced and the system keeps serving', () => {
  const cases: { what: string; options: RunOptions }[] = [
    { what: 'silent primary', options: { system: withSilent(['n1']), seed: 3 } },
    {
      what: 'equivocating primary',
      options: { system: pbft, seed: 4, params: { byzantine: '1', strategy: 'equivocate' } },
    },
  ];
  for (const { what, options } of cases) {
    const { s, verdict, message } = session({ ...options, workload: { ops: 200 } });
    assert.equal(verdict, 'valid', `${what}: ${message}`);
    for (const node of honestNodes(s)) {
      assert.ok(node.currentView() >= 1, `${what}: an honest replica stayed in view 0`);
      assert.equal(node.inspect().active, true, `${what}: a replica is still changing views`);
    }
    const { ok } = okAfterViewChange(s);
    assert.ok(ok >= 100, `${what}: only ${ok} ops succeeded after the view change`);
    assert.ok((s.result().metrics['pbft.new-views']?.count ?? 0) >= 3);
  }
});

test('pbft: the next primary crashing and restarting during the view change', () => {
  // n1 (view 0's primary) is silent; n2 (view 1's) crashes around the view change, comes back
  // 400 ms later from its durable view, certificates and NEW-VIEW, and service resumes.
  for (const at of [350, 450, 550]) {
    const { s, verdict, message } = session({
      system: withSilent(['n1']),
      seed: 1,
      workload: { ops: 120 },
      script: [
        { at, kind: 'crash', node: 'n2' },
        { at: at + 400, kind: 'restart', node: 'n2' },
      ],
    });
    assert.equal(verdict, 'valid', `crash at ${at}: ${message}`);
    const later = s.result().history.filter((op) => op.invoke > at + 600);
    assert.ok(later.length > 50, `crash at ${at}: only ${later.length} ops after the restart`);
    assert.ok(
      later.every((op) => op.outcome === 'ok' || op.process % 4 === 0), // n1's clients get nothing
      `crash at ${at}: an op of a live proxy failed after the restart`,
    );
    for (const node of honestNodes(s)) assert.ok(node.currentView() >= 1 && node.inspect().active);
  }
});

test('pbft: replicas split between two views after a crash still converge', () => {
  // Found by a sweep: every honest replica crashed mid view change; n2 came back in view 3,
  // n1 and n3 in view 2 with only two view-changes for it. n2 signs its view-change for view 2
  // again on request, view 2 forms, times out, and all reach a working view.
  const run = runChecked({
    system: pbft,
    seed: 80,
    nemesis: 'crash,partition-halves',
    nemesisTiming: { faultMs: [100, 600], healMs: [50, 300] },
    params: { byzantine: '1', strategy: 'silent' },
    workload: { ops: 120 },
  });
  assert.equal(run.verdict, 'valid', verdictOf(run));
  assert.notEqual(run.recovery.firstOkAt, null, 'nothing succeeded after the final heal');
  assert.ok(run.ops.ok >= 70, `only ${run.ops.ok} of 120 ops succeeded`);
});

test('pbft: the view-change timeout doubles with each consecutive view change', () => {
  // n = 10 (f = 3) with the primaries of views 0, 1 and 2 silent: views 1 and 2 never start,
  // view 3 does. Each replica waits T in view 0, T for view 1, 2T for view 2.
  const { s, verdict, message } = session({
    system: withSilent(['n1', 'n2', 'n3']),
    nodes: 10,
    seed: 1,
    workload: { ops: 60 },
  });
  assert.equal(verdict, 'valid', message);
  const honest = honestNodes(s);
  // Each wait starts once 2f + 1 view-changes for the view are in: here (2f + 1 = all honest
  // replicas) when the last honest replica started that view change.
  const quorumAt = (k: number) => Math.max(...honest.map((n) => n.viewChangeLog()[k]!.at));
  for (const node of honest) {
    const log = node.viewChangeLog();
    assert.deepEqual(
      log.map((r) => [r.view, r.timeoutMs]),
      [
        [1, T],
        [2, 2 * T],
        [3, 4 * T],
      ],
    );
    const first = log[1]!.at - quorumAt(0);
    const second = log[2]!.at - quorumAt(1);
    assert.ok(first >= T && first < T + 20, `view 1 waited ${first} ms, not about ${T}`);
    assert.ok(second >= 2 * T && second < 2 * T + 20, `view 2 waited ${second} ms, not ${2 * T}`);
    assert.equal(node.currentView(), 3);
    // A request executed in view 3: the timeout is back to T.
    assert.equal(node.inspect().vcTimeoutMs, T);
  }
  assert.ok(s.result().ops.ok >= 30, `only ${s.result().ops.ok} ops succeeded`);
});

test('pbft: forgeries, lies and bad view changes are rejected', () => {
  const forge = runChecked({
    system: pbft,
    seed: 2,
    params: { byzantine: '1', strategy: 'forge' },
    workload: { ops: 100 },
  });
  assert.equal(forge.verdict, 'valid', verdictOf(forge));
  assert.ok((forge.metrics['pbft.rejected']?.count ?? 0) > 100, 'forgeries were not rejected');

  const lie = runChecked({
    system: pbft,
    seed: 2,
    params: { byzantine: '1', strategy: 'lie' },
    workload: { ops: 100 },
  });
  assert.equal(lie.verdict, 'valid', verdictOf(lie));
  // The liar told lies (a wrong reply per request, a wrong digest per checkpoint)…
  assert.ok((lie.metrics['pbft.byzantine']?.count ?? 0) >= 100);
  // …and no client believed one.
  assert.ok(lie.ops.ok >= 95);
  assert.ok(lie.history.every((op) => !String(op.result ?? '').startsWith('lie:')));

  // n = 7: the primaries of views 0 and 1 are faulty; view 1's NEW-VIEW has a wrong O.
  const { s, verdict, message } = session({
    system: pbft,
    nodes: 7,
    seed: 1,
    params: { byzantine: '2', strategy: 'bad-view-change' },
    workload: { ops: 100 },
  });
  assert.equal(verdict, 'valid', message);
  assert.ok((s.result().metrics['pbft.rejected']?.count ?? 0) > 20);
  for (const node of honestNodes(s)) {
    assert.equal(node.currentView(), 2, 'view 1 (a bad NEW-VIEW) was skipped for view 2');
  }
  assert.ok(s.result().ops.ok >= 95);
});

test('pbft: K = f + 1 colluding replicas break safety; K = f do not (n = 4 and 7)', () => {
  for (const nodes of [4, 7]) {
    const f = Math.floor((nodes - 1) / 3);
    for (let seed = 1; seed <= 2; seed++) {
      const run = (k: number) =>
        runChecked({
          system: pbft,
          seed,
          nodes,
          params: { byzantine: String(k), strategy: 'collude' },
          workload: { ops: 60 },
        });
      const safe = run(f);
      assert.equal(safe.verdict, 'valid', `K=f n=${nodes} seed ${seed}: ${verdictOf(safe)}`);
      const broken = run(f + 1);
      assert.equal(broken.verdict, 'invalid', `K=f+1 n=${nodes} seed ${seed} stayed safe`);
      assert.equal(broken.failure?.kind, 'invariant');
      assert.match(broken.failure?.message ?? '', /seq \d+: n\d+ executed \w+, n\d+ executed/);
    }
  }
});

test('pbft: the prepare-quorum-f mutant is caught by an equivocating primary', () => {
  let caught = 0;
  for (let seed = 1; seed <= 3; seed++) {
    const run = runChecked({
      system: pbft,
      mutant: 'prepare-quorum-f',
      seed,
      params: { byzantine: '1', strategy: 'equivocate' },
      workload: { ops: 300 },
    });
    if (run.verdict === 'invalid') caught++;
  }
  assert.equal(caught, 3, `prepare-quorum-f caught in only ${caught}/3 seeds`);
});

/**
 * The quorum-2f-plus-1 mutant keeps the textbook 2f + 1 at every n. One colluding primary
 * (K = f = 1) then splits n = 5 or 6 replicas into two groups that each reach 2f + 1 = 3, and
 * n = 8 or 9 with K = f = 2 likewise (2f + 1 = 5): caught by the invariant, where the correct
 * Q = ⌈(n + f + 1)/2⌉ keeps the same runs valid.
 */
test('pbft: the quorum-2f-plus-1 mutant is caught by K = f colluders at n ≠ 3f + 1', () => {
  for (const nodes of [5, 6, 8, 9]) {
    const f = Math.floor((nodes - 1) / 3);
    for (let seed = 1; seed <= 2; seed++) {
      const run = (mutant?: string) =>
        runChecked({
          system: pbft,
          seed,
          nodes,
          ...(mutant !== undefined ? { mutant } : {}),
          params: { byzantine: String(f), strategy: 'collude' },
          workload: { ops: 30 },
        });
      const what = `n=${nodes} K=${f} seed ${seed}`;
      const correct = run();
      assert.equal(correct.verdict, 'valid', `${what}: ${verdictOf(correct)}`);
      assert.ok(correct.ops.ok >= 25, `${what}: only ${correct.ops.ok} ops succeeded`);
      const mutant = run('quorum-2f-plus-1');
      assert.equal(mutant.verdict, 'invalid', `${what}: quorum-2f-plus-1 not caught`);
      assert.equal(mutant.failure?.kind, 'invariant');
    }
  }
  // At n = 3f + 1 the mutant is the real thing: the same run, trace for trace.
  const params = { byzantine: '1', strategy: 'collude' };
  const a = runChecked({ system: pbft, seed: 3, nodes: 7, params, workload: { ops: 40 } });
  const b = runChecked({
    system: pbft,
    seed: 3,
    nodes: 7,
    mutant: 'quorum-2f-plus-1',
    params,
    workload: { ops: 40 },
  });
  assert.equal(a.traceDigest, b.traceDigest);
});

test('pbft: the same seed gives the same run, view changes included', () => {
  const a = runChecked({ system: pbft, seed: 5, nemesis: 'lossy', workload: { ops: 150 } });
  const b = runChecked({ system: pbft, seed: 5, nemesis: 'lossy', workload: { ops: 150 } });
  assert.equal(a.traceDigest, b.traceDigest);
  const params = { byzantine: '1', strategy: 'bad-view-change' };
  const c = runChecked({ system: pbft, seed: 6, params, nemesis: 'crash', workload: { ops: 80 } });
  const d = runChecked({ system: pbft, seed: 6, params, nemesis: 'crash', workload: { ops: 80 } });
  assert.ok((c.metrics['pbft.view-changes']?.count ?? 0) > 0);
  assert.equal(c.traceDigest, d.traceDigest);
});

test('pbft --param strategy and byzantine are validated', () => {
  assert.ok(pbft.params?.some((p) => p.name === 'strategy'));
  const rejects = (params: Record<string, string>, code: string) =>
    assert.throws(
      () => pbft.createNode({ params }),
      (e) => e instanceof PbftParamError && e.code === code,
    );
  rejects({ strategy: 'sneaky' }, 'strategy');
  rejects({ byzantine: '-1' }, 'byzantine');
  rejects({ byzantine: 'x' }, 'byzantine');
  // Every accepted strategy runs, acts (silence is its own act: it sends nothing to count),
  // and one faulty replica out of four (f = 1) leaves the run valid.
  for (const strategy of BYZANTINE_STRATEGIES) {
    const run = runChecked({
      system: pbft,
      seed: 1,
      params: { byzantine: '1', strategy },
      workload: { ops: 30 },
    });
    assert.equal(run.verdict, 'valid', `${strategy}: ${verdictOf(run)}`);
    assert.ok(run.ops.ok >= 25, `${strategy}: only ${run.ops.ok} ops succeeded`);
    const acts = run.metrics['pbft.byzantine']?.count ?? 0;
    if (strategy !== 'silent') assert.ok(acts > 0, `${strategy}: the faulty replica never acted`);
  }
  const cluster = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];
  assert.deepEqual([...byzantineReplicas(cluster, 2, 'equivocate')], ['n1', 'n7']);
  assert.deepEqual([...byzantineReplicas(cluster, 2, 'bad-view-change')], ['n1', 'n2']);
  assert.deepEqual([...byzantineReplicas(cluster, 2, 'lie')], ['n6', 'n7']);
});

test('pbft: a message signed with the wrong key is dropped and counted', () => {
  const cluster = ['n1', 'n2', 'n3', 'n4'];
  const body = { t: 'prepare', i: 'n2', v: 0, n: 1, d: 'x' };
  const genuine = signAs('n2', body);
  const forged = signAs('n3', body); // n3 claims to be n2
  assert.equal(verifySigned('n2', genuine), true);
  assert.equal(verifySigned('n2', forged), false);
  assert.equal(verifySigned('n2', { ...genuine, p: genuine.p.replace('"n":1', '"n":2') }), false);
  const metrics: string[] = [];
  const sent: unknown[] = [];
  const env = {
    id: 'n1',
    cluster,
    peers: cluster.slice(1),
    now: () => 0,
    send: (_to: string, m: unknown) => sent.push(m),
    metric: (name: string) => metrics.push(name),
  } as unknown as NodeEnv<PbftMsg>;
  const node = new PbftNode(env);
  node.onMessage('n2', forged);
  node.onMessage('n2', { type: 'pbft', p: '{not json', s: '' });
  assert.deepEqual(metrics, ['pbft.rejected', 'pbft.rejected']);
  assert.equal(sent.length, 0);
  assert.equal(node.inspect().log, 0);
  // The genuine prepare is accepted (it opens a log entry) and only once however often it comes.
  node.onMessage('n2', genuine);
  node.onMessage('n2', genuine);
  assert.equal(node.inspect().log, 1);
  assert.deepEqual(metrics, ['pbft.rejected', 'pbft.rejected']);
});

// ---- view-change certificates, checked directly ------------------------------------------

const CLUSTER = ['n1', 'n2', 'n3', 'n4'];

function ctx(): VerifyContext {
  return {
    cluster: CLUSTER,
    quorum: 3,
    interval: 16,
    prepareQuorum: 2,
    parse: (m) => {
      const x = m as SignedMsg;
      if (typeof x?.p !== 'string') return undefined;
      const b = JSON.parse(x.p) as Body;
      return CLUSTER.includes(b.i) && verifySigned(b.i, x) ? b : undefined;
    },
    requestOf: (m) => {
      const b = JSON.parse(m.p) as Body;
      return b.t === 'request' && verifySigned(b.i, m) && b.req.proxy === b.i ? b.req : undefined;
    },
    hash: sha256Hex,
  };
}

const sign = (id: string, body: Body): SignedMsg => signAs(id, body);

test('pbft view change: prepared certificates are verified down to each signature', () => {
  const req = sign('n3', {
    t: 'request',
    i: 'n3',
    req: { client: 'c0', seq: 1, op: { f: 'put', key: 'k', value: 'v' }, proxy: 'n3' },
  });
  const d = sha256Hex(req.p);
  const pp = sign('n1', { t: 'pre-prepare', i: 'n1', v: 0, n: 1, d, req });
  const prep = (id: string, claimed = id) => sign(id, { t: 'prepare', i: claimed, v: 0, n: 1, d });
  const vc = (i: string, P: unknown[], v = 1) =>
    sign(i, { t: 'view-change', i, v, n: 0, C: [], P: P as never });
  const cert = { pp, prepares: [prep('n2'), prep('n3')] };

  const good = verifyViewChange(ctx(), vc('n2', [cert]));
  assert.equal(good?.prepared.get(1)?.d, d);
  // A forged prepare (n4 signs as n3), too few prepares, the primary's own "prepare", a
  // pre-prepare by a replica that is not view 0's primary, a digest that is not the request's,
  // a certificate from the view being entered, a checkpoint proof that is not 2f + 1: rejected.
  const bad: unknown[] = [
    { pp, prepares: [prep('n2'), prep('n4', 'n3')] },
    { pp, prepares: [prep('n2')] },
    { pp, prepares: [prep('n2'), prep('n1')] },
    { pp: sign('n2', { t: 'pre-prepare', i: 'n2', v: 0, n: 1, d, req }), prepares: cert.prepares },
    {
      pp: sign('n1', { t: 'pre-prepare', i: 'n1', v: 0, n: 1, d: sha256Hex('x'), req }),
      prepares: cert.prepares,
    },
  ];
  for (const c of bad) assert.equal(verifyViewChange(ctx(), vc('n2', [c])), undefined);
  assert.equal(verifyViewChange(ctx(), vc('n2', [cert], 0)), undefined);
  const ck = (i: string) => sign(i, { t: 'checkpoint', i, n: 16, d: 'x' });
  const withC = (C: SignedMsg[]) =>
    sign('n2', { t: 'view-change', i: 'n2', v: 1, n: 16, C, P: [] });
  assert.notEqual(verifyViewChange(ctx(), withC([ck('n1'), ck('n2'), ck('n3')])), undefined);
  assert.equal(verifyViewChange(ctx(), withC([ck('n1'), ck('n2'), ck('n2')])), undefined);

  // NEW-VIEW: O must be exactly what V says — the prepared request at 1, nothing more.
  const V = [vc('n2', [cert]), vc('n3', []), vc('n4', [])];
  const o = (n: number, dd: string, r: SignedMsg | null) =>
    sign('n2', { t: 'pre-prepare', i: 'n2', v: 1, n, d: dd, req: r });
  const nv = (O: SignedMsg[], Vs = V, by = 'n2') =>
    sign(by, { t: 'new-view', i: by, v: 1, V: Vs, O });
  const ok = verifyNewView(ctx(), nv([o(1, d, req)]));
  assert.deepEqual(
    ok?.plan.entries.map((e) => [e.n, e.d]),
    [[1, d]],
  );
  assert.equal(verifyNewView(ctx(), nv([o(1, NULL_DIGEST, null)])), undefined, 'request dropped');
  assert.equal(verifyNewView(ctx(), nv([])), undefined, 'O empty');
  assert.equal(verifyNewView(ctx(), nv([o(1, d, req), o(2, NULL_DIGEST, null)])), undefined);
  assert.equal(verifyNewView(ctx(), nv([o(1, d, req)], V.slice(0, 2))), undefined, '2f VCs');
  assert.equal(verifyNewView(ctx(), nv([o(1, d, req)], V, 'n3')), undefined, 'not the primary');
  // Without the certificate in V, a gap below max-s is filled with the null request.
  const V2 = [
    vc('n2', [
      {
        pp: sign('n1', { t: 'pre-prepare', i: 'n1', v: 0, n: 2, d, req }),
        prepares: [2, 3].map((k) => sign(`n${k}`, { t: 'prepare', i: `n${k}`, v: 0, n: 2, d })),
      },
    ]),
    vc('n3', []),
    vc('n4', []),
  ];
  const ok2 = verifyNewView(ctx(), nv([o(1, NULL_DIGEST, null), o(2, d, req)], V2));
  assert.deepEqual(
    ok2?.plan.entries.map((e) => [e.n, e.d]),
    [
      [1, NULL_DIGEST],
      [2, d],
    ],
  );
});
