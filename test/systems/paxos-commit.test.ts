/** Paxos Commit: safe under faults, non-blocking, the paper's message count, mutants caught. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, NodeEnv, NodeFactory, ProtocolNode } from '../../src/core/node.js';
import { streamFor } from '../../src/core/random.js';
import type { SystemDefinition } from '../../src/core/system.js';
import { crashAt, DOWN_MS, paxosCommitMessages } from '../../src/experiments/twopc-blocking.js';
import { runChecked } from '../../src/sim/checked-run.js';
import { SimDisk } from '../../src/sim/disk.js';
import { nemesisNames } from '../../src/sim/nemesis.js';
import { getSystem } from '../../src/systems/index.js';
import { acceptorsOf, PaxosCommitParamError } from '../../src/protocols/twopc/paxos-commit.js';
import type { TwoPcMsg } from '../../src/protocols/twopc/two-phase-commit.js';
import { checkOneValuePerBallot, paxosCommitF } from '../../src/systems/twopc/paxos-commit.js';

const paxosCommit = getSystem('paxos-commit')!;
const FAST_CRASHES = { faultMs: [20, 200], healMs: [20, 200] } as const;

test('paxos-commit: atomicity and conservation hold under every nemesis plan', () => {
  for (const nemesis of nemesisNames()) {
    for (let seed = 1; seed <= 2; seed++) {
      const run = runChecked({ system: paxosCommit, seed, nemesis, workload: { ops: 300 } });
      assert.equal(
        run.verdict,
        'valid',
        `paxos-commit --nemesis ${nemesis} --seed ${seed}: ${run.failure?.message ?? run.judgement?.message}`,
      );
    }
  }
});

/** The seeds of 1…5 on which `mutant` (or the real thing) is invalid under fast crash cycles. */
function invalidUnderCrashes(mutant: string | undefined): number[] {
  const invalid: number[] = [];
  for (let seed = 1; seed <= 5; seed++) {
    const run = runChecked({
      system: paxosCommit,
      ...(mutant !== undefined ? { mutant } : {}),
      seed,
      nemesis: 'crash',
      nemesisTiming: FAST_CRASHES,
      workload: { ops: 300 },
    });
    if (run.verdict === 'valid') continue;
    invalid.push(seed);
    // Caught by the same checks as twopc: atomicity after every step, conservation on audits.
    assert.match(run.failure?.message ?? run.judgement?.message ?? '', /^(atomicity|conservation)/);
  }
  return invalid;
}

test('paxos-commit: valid under fast crash cycles; both mutants are caught there', () => {
  assert.deepEqual(invalidUnderCrashes(undefined), [], 'correct paxos-commit invalid');
  // An acceptor that answers 2b before its acceptance is durable can lose it in a crash: a
  // recovery then finds no vote in a majority and chooses Aborted after Commit was announced.
  assert.ok(invalidUnderCrashes('ack-before-sync').length >= 2, 'ack-before-sync not caught');
  // A recovery that skips phase 1 proposes Aborted over an instance that had chosen Prepared.
  assert.ok(
    invalidUnderCrashes('skip-phase1-on-recovery').length >= 2,
    'skip-phase1-on-recovery not caught',
  );
});

test('paxos-commit: participants decide without a crashed coordinator', () => {
  let recovered = 0;
  for (const seed of [1, 3, 4]) {
    const at = crashAt(seed);
    const script = [
      { at, kind: 'crash', node: 'n1' },
      { at: at + DOWN_MS, kind: 'restart', node: 'n1' },
    ] as const;
    const run = runChecked({ system: paxosCommit, seed, script, workload: { ops: 300 } });
    assert.equal(run.verdict, 'valid');
    recovered += run.metrics['twopc.recovered']?.count ?? 0;
    assert.ok(run.metrics['twopc.doubt-ms']!.max < DOWN_MS / 2, `seed ${seed}: blocked`);
  }
  assert.ok(recovered >= 1, 'no participant recovered an outcome without the coordinator');
});

/** Messages sent per transaction (every message names its transaction), and its outcome. */
function perTransaction(system: SystemDefinition) {
  const txns = new Map<
    string,
    { rms: number; total: number; types: Set<string>; commit: boolean }
  >();
  const wrapped: SystemDefinition = {
    ...system,
    createNode: (options) => {
      const inner: NodeFactory = system.createNode(options);
      return (env: NodeEnv) => {
        const send = (to: string, msg: Message): void => {
          const m = msg as { txn?: string; rms?: readonly string[]; commit?: boolean };
          if (m.txn !== undefined) {
            const t = txns.get(m.txn) ?? { rms: 0, total: 0, types: new Set(), commit: false };
            txns.set(m.txn, t);
            t.total++;
            t.types.add(msg.type);
            if (msg.type === 'prepare') t.rms = m.rms?.length ?? 0;
            if (msg.type === 'decision' && m.commit === true) t.commit = true;
          }
          env.send(to, msg);
        };
        return inner(
          new Proxy(env, {
            get(target, prop) {
              if (prop === 'send') return send;
              const v: unknown = Reflect.get(target, prop, target);
              return typeof v === 'function' ? (v as () => unknown).bind(target) : v;
            },
          }),
        );
      };
    },
  };
  return { wrapped, txns };
}

test("paxos-commit: a committed transaction costs (N + 1)(F + 3) − 2 messages, the paper's count", () => {
  for (const { f, nodes } of [
    { f: 1, nodes: 4 },
    { f: 2, nodes: 6 },
  ]) {
    const { wrapped, txns } = perTransaction(paxosCommit);
    const run = runChecked({
      system: wrapped,
      seed: 1,
      nodes,
      params: { F: String(f) },
      workload: { ops: 150 },
    });
    assert.equal(run.verdict, 'valid');
    const seen = new Set<number>();
    for (const [txn, t] of txns) {
      // The normal case: committed, no recovery (phase 1) and no participant asking.
      if (!t.commit || t.types.has('pc-1a') || t.types.has('status')) continue;
      assert.equal(t.total, paxosCommitMessages(t.rms, f), `F=${f} txn ${txn} (N=${t.rms})`);
      seen.add(t.rms);
    }
    // Transfers touch one or two participants, audits all of them.
    assert.ok(seen.has(1) && seen.has(2) && seen.has(nodes - 1), `F=${f}: N seen ${[...seen]}`);
  }
});

test('paxos-commit: F is validated, on its own and against the cluster size', () => {
  assert.equal(paxosCommitF({}), 1);
  assert.equal(paxosCommitF({ F: '2' }), 2);
  for (const bad of ['', 'x', '-1', '1.5', '51']) {
    assert.throws(
      () => paxosCommitF({ F: bad }),
      (e: unknown) => e instanceof PaxosCommitParamError && e.code === 'bad-f',
      `F=${bad}`,
    );
  }
  assert.throws(
    () => paxosCommitF({ G: '1' }),
    (e: unknown) => e instanceof PaxosCommitParamError && e.code === 'bad-f',
  );
  assert.deepEqual(acceptorsOf(['n1', 'n2', 'n3', 'n4'], 1), ['n2', 'n3', 'n4']);
  assert.deepEqual(acceptorsOf(['n1', 'n2', 'n3'], 1), ['n1', 'n2', 'n3']);
  assert.throws(
    () => acceptorsOf(['n1', 'n2', 'n3', 'n4'], 2),
    (e: unknown) => e instanceof PaxosCommitParamError && e.code === 'cluster-too-small',
  );
});

/**
 * The ballot-0 votes RM n2 sends for transaction `txn` (Prepared: true) while `before` drives it,
 * then it crashes losing every unsynced write and restarts, and `after` drives it again.
 */
function votesAcrossRestart(
  mutant: string | undefined,
  txn: string,
  before: (node: ProtocolNode<TwoPcMsg>, flush: () => void) => void,
  after: (node: ProtocolNode<TwoPcMsg>) => void,
): boolean[] {
  // Each vote goes to the first F + 1 = 2 acceptors: a value appears once per send.
  const syncs: (() => void)[] = [];
  const disk = new SimDisk({ scheduleSync: (_writes, done) => syncs.push(done) });
  const flush = (): void => {
    while (syncs.length > 0) syncs.shift()!();
  };
  const votes: boolean[] = [];
  const cluster = ['n1', 'n2', 'n3', 'n4'];
  const boot = (recovered: boolean): ProtocolNode<TwoPcMsg> => {
    const env: NodeEnv<TwoPcMsg> = {
      id: 'n2',
      cluster,
      peers: cluster.filter((n) => n !== 'n2'),
      now: () => 0,
      random: streamFor(1, 'paxos-commit-test'),
      send: (_to, msg) => {
        if (msg.type === 'pc-2a' && msg.ballot === 0 && msg.txn === txn) {
          votes.push(msg.values[0]!.vote.prepared);
        }
      },
      setTimer: () => 0,
      cancelTimer: () => {},
      storage: disk,
      reply: () => {},
      log: () => {},
      metric: () => {},
    };
    const factory = paxosCommit.createNode(mutant === undefined ? {} : { mutant });
    const node = factory(env) as ProtocolNode<TwoPcMsg>;
    node.start({ recovered });
    flush();
    return node;
  };
  before(boot(false), flush);
  disk.crash(0, false);
  after(boot(true));
  flush();
  return [...new Set(votes)];
}

const rms = ['n2', 'n3'];

/**
 * Txn 1.1 locks account A, txn 1.2 then finds A locked and votes Aborted, 1.1 commits (A
 * unlocked), n2 restarts, and a duplicate prepare of 1.2 arrives (the network may duplicate a
 * message and deliver the copy late): n2's votes for 1.2.
 */
function ballot0VotesAcrossRestart(mutant: string | undefined): boolean[] {
  const prepare12: TwoPcMsg = { type: 'prepare', txn: '1.2', changes: { A: -5 }, rms };
  return votesAcrossRestart(
    mutant,
    '1.2',
    (node, flush) => {
      node.onMessage('n1', { type: 'prepare', txn: '1.1', changes: { A: -10 }, rms });
      flush();
      node.onMessage('n1', prepare12);
      node.onMessage('n1', { type: 'decision', txn: '1.1', commit: true });
      // Paxos Commit's RMs do not sync a commit (no acknowledgement waits for it): the next
      // prepare's sync makes it durable, so A stays unlocked after the restart.
      node.onMessage('n1', { type: 'prepare', txn: '1.3', changes: { D: -1 }, rms });
      flush();
    },
    (node) => node.onMessage('n1', prepare12),
  );
}

test('paxos-commit: an RM sends one value in ballot 0, across a restart (forget-abort-vote caught)', () => {
  assert.deepEqual(ballot0VotesAcrossRestart(undefined), [false]);
  // Without the durable record the restarted RM votes Prepared where it had voted Aborted: two
  // values in one ballot, which Paxos forbids (acceptors would overwrite an Aborted choice).
  assert.deepEqual(ballot0VotesAcrossRestart('forget-abort-vote'), [false, true]);
});

test('paxos-commit: an RM that prepared and then learned the abort votes no more in ballot 0, across a restart (forget-released-vote caught)', () => {
  // n2 prepares 1.1 (locks A), learns its abort (A released), prepares 1.2 (locks A; its sync
  // makes the abort durable), restarts, and a late duplicate prepare of 1.1 arrives.
  const prepare11: TwoPcMsg = { type: 'prepare', txn: '1.1', changes: { A: -10 }, rms };
  const votes = (mutant: string | undefined): boolean[] =>
    votesAcrossRestart(
      mutant,
      '1.1',
      (node, flush) => {
        node.onMessage('n1', prepare11);
        flush();
        node.onMessage('n1', { type: 'decision', txn: '1.1', commit: false });
        node.onMessage('n1', { type: 'prepare', txn: '1.2', changes: { A: -5 }, rms });
        flush();
      },
      (node) => node.onMessage('n1', prepare11),
    );
  assert.deepEqual(votes(undefined), [true]);
  // Without the `released/` record the restarted RM has forgotten 1.1 and votes on it afresh:
  // A is locked by 1.2, so Aborted, where it had sent Prepared in the same ballot.
  assert.deepEqual(votes('forget-released-vote'), [true, false]);
});

/** A Paxos Commit node on a hand-driven env: what it sends, and a flush for its syncs. */
function handNode(id: string, sent: { to: string; msg: TwoPcMsg }[]) {
  const syncs: (() => void)[] = [];
  const disk = new SimDisk({ scheduleSync: (_writes, done) => syncs.push(done) });
  const cluster = ['n1', 'n2', 'n3', 'n4'];
  const env: NodeEnv<TwoPcMsg> = {
    id,
    cluster,
    peers: cluster.filter((n) => n !== id),
    now: () => 0,
    random: streamFor(1, 'paxos-commit-hand'),
    send: (to, msg) => sent.push({ to, msg }),
    setTimer: () => 0,
    cancelTimer: () => {},
    storage: disk,
    reply: () => {},
    log: () => {},
    metric: () => {},
  };
  const node = paxosCommit.createNode({})(env) as ProtocolNode<TwoPcMsg>;
  node.start({ recovered: false });
  const flush = (): void => {
    while (syncs.length > 0) syncs.shift()!();
  };
  return { node, flush };
}

test('paxos-commit: an acceptor sent Aborted and then Prepared in one ballot fails "one value per ballot"', () => {
  const { node, flush } = handNode('n3', []);
  const rms = ['n2', 'n3'];
  const vote = (prepared: boolean): TwoPcMsg => ({
    type: 'pc-2a',
    txn: '1.2',
    ballot: 0,
    rms,
    values: [{ rm: 'n2', vote: { prepared, balances: prepared ? { A: 100 } : {} } }],
  });
  const nodes = new Map([['n3', node as ProtocolNode]]);
  node.onMessage('n2', vote(false));
  flush();
  // The same vote again (a duplicate) is no second value.
  node.onMessage('n2', vote(false));
  flush();
  assert.equal(checkOneValuePerBallot(nodes), undefined);
  node.onMessage('n2', vote(true));
  flush();
  assert.match(
    checkOneValuePerBallot(nodes) ?? '',
    /^one value per ballot: acceptor n3: txn 1\.2: n2's instance got Aborted and then Prepared in ballot 0$/,
  );
});

test('paxos-commit: an RM that learned an abort does not vote again on a duplicate prepare', () => {
  // n2 votes Prepared, learns the abort (another RM voted no), then a duplicate prepare arrives:
  // answering it as 2PC does (a no vote, the transaction being aborted here) would put Aborted
  // in ballot 0 where n2's Prepared already is.
  const sent: { to: string; msg: TwoPcMsg }[] = [];
  const { node, flush } = handNode('n2', sent);
  const prepare: TwoPcMsg = { type: 'prepare', txn: '1.1', changes: { A: -5 }, rms: ['n2', 'n3'] };
  node.onMessage('n1', prepare);
  flush();
  node.onMessage('n1', { type: 'decision', txn: '1.1', commit: false });
  node.onMessage('n1', prepare);
  flush();
  const votes = sent.filter((s) => s.msg.type === 'pc-2a').map((s) => s.msg);
  assert.ok(votes.length > 0);
  for (const v of votes) {
    assert.ok(v.type === 'pc-2a');
    assert.deepEqual(
      v.values.map((x) => x.vote.prepared),
      [true],
    );
  }
});
