/**
 * Two-phase commit's rules, pinned on a coordinator driven message by message (issue 27 item
 * 2): commit only once every participant voted yes, and the decision durable before anyone
 * hears it (then resent after a crash, never undone; before it, a restart presumes abort and no
 * one was told otherwise). The anomalies, on the whole system: test/systems/twopc.test.ts "twopc:
 * the commit-before-all-prepared mutant breaks atomicity" and "twopc: the no-durable-decision
 * mutant breaks atomicity under crashes; twopc does not".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientReply, NodeEnv, NodeId } from '../../../src/core/node.js';
import { streamFor } from '../../../src/core/random.js';
import { ManualStore } from '../../support/manual-store.js';
import {
  TwoPcNode,
  type TwoPcMsg,
  type TwoPcMutants,
} from '../../../src/protocols/twopc/two-phase-commit.js';

interface Coordinator {
  readonly node: TwoPcNode;
  readonly disk: ManualStore;
  readonly sent: { to: NodeId; msg: TwoPcMsg }[];
  readonly replies: ClientReply[];
}

const NONE: TwoPcMutants = { commitBeforeAllPrepared: false };

/** Coordinator n1 of participants n2 (account A) and n3 (account B), ready on `disk`. */
function coordinator(disk = new ManualStore(), mutants = NONE): Coordinator {
  const sent: { to: NodeId; msg: TwoPcMsg }[] = [];
  const replies: ClientReply[] = [];
  const env: NodeEnv<TwoPcMsg> = {
    id: 'n1',
    cluster: ['n1', 'n2', 'n3'],
    peers: ['n2', 'n3'],
    now: () => 0,
    random: streamFor(1, 'twopc-rules-test'),
    send: (to, msg) => sent.push({ to, msg }),
    setTimer: () => 1,
    cancelTimer: () => {},
    storage: disk,
    reply: (_id, r) => replies.push(r),
    log: () => {},
    metric: () => {},
  };
  const node = new TwoPcNode(env, mutants);
  node.start();
  disk.flush();
  return { node, disk, sent, replies };
}

/** Starts a transfer A → B and returns its transaction id. */
function transfer(c: Coordinator): string {
  c.node.onClientRequest({
    id: 1,
    client: 'c1',
    seq: 1,
    op: { f: 'transfer', value: ['A', 'B', 5] },
  });
  const prepare = c.sent.find((s) => s.msg.type === 'prepare');
  assert.ok(prepare?.msg.type === 'prepare');
  return prepare.msg.txn;
}

const yes = (txn: string, balance = 100): TwoPcMsg => ({
  type: 'vote',
  txn,
  yes: true,
  balances: { X: balance },
});

const decisions = (c: Coordinator) =>
  c.sent.flatMap((s) =>
    s.msg.type === 'decision' ? [`${s.to} ${s.msg.commit ? 'commit' : 'abort'}`] : [],
  );

test('twopc commit rule: commit only once every participant voted yes', () => {
  const c = coordinator();
  const txn = transfer(c);
  c.node.onMessage('n2', yes(txn));
  c.disk.flush();
  assert.deepEqual(decisions(c), [], 'decided on one vote of two');
  c.node.onMessage('n3', yes(txn));
  c.disk.flush();
  assert.deepEqual(decisions(c), ['n2 commit', 'n3 commit']);
  // The mutant that removes the rule decides on the first yes.
  const m = coordinator(undefined, { commitBeforeAllPrepared: true });
  const t = transfer(m);
  m.node.onMessage('n2', yes(t));
  m.disk.flush();
  assert.deepEqual(decisions(m), ['n2 commit', 'n3 commit']);
});

test('twopc commit rule: one no vote aborts at once', () => {
  const c = coordinator();
  const txn = transfer(c);
  c.node.onMessage('n2', { type: 'vote', txn, yes: false, balances: {} });
  assert.deepEqual(decisions(c), ['n2 abort', 'n3 abort']);
  assert.equal(c.replies[0]?.ok, false);
});

test('twopc decision durability: no participant or client hears a commit before its record is synced', () => {
  const c = coordinator();
  const txn = transfer(c);
  c.node.onMessage('n2', yes(txn));
  c.node.onMessage('n3', yes(txn));
  assert.deepEqual(decisions(c), [], 'announced before the record was durable');
  assert.equal(c.replies.length, 0, 'the client answered before the record was durable');
  // A participant asking meanwhile is not told either.
  c.node.onMessage('n2', { type: 'status', txn });
  assert.deepEqual(decisions(c), []);
  c.disk.flush();
  assert.deepEqual(decisions(c), ['n2 commit', 'n3 commit', 'n2 commit']);
  assert.deepEqual(
    c.replies.map((r) => r.ok),
    [true],
  );
});

test('twopc decision durability: after a crash a durable commit is resent, never presumed aborted', () => {
  const c = coordinator();
  const txn = transfer(c);
  c.node.onMessage('n2', yes(txn));
  c.node.onMessage('n3', yes(txn));
  c.disk.flush();
  const restarted = coordinator(c.disk.afterCrash());
  restarted.node.onTimer('retry', undefined);
  assert.deepEqual(decisions(restarted), ['n2 commit', 'n3 commit']);
  restarted.node.onMessage('n3', { type: 'status', txn });
  restarted.disk.flush();
  assert.equal(decisions(restarted).at(-1), 'n3 commit');
});

test('twopc decision durability: a crash before the sync loses the commit, and no one had heard it', () => {
  const c = coordinator();
  const txn = transfer(c);
  c.node.onMessage('n2', yes(txn));
  c.node.onMessage('n3', yes(txn));
  const restarted = coordinator(c.disk.afterCrash());
  assert.deepEqual(decisions(c), []);
  // Presumed abort is then consistent: nobody was told commit.
  restarted.node.onMessage('n2', { type: 'status', txn });
  restarted.disk.flush();
  assert.deepEqual(decisions(restarted), ['n2 abort']);
});

test('twopc decision durability: the no-durable-decision mutant announces first, and a crash then contradicts it', () => {
  const m = coordinator(undefined, { commitBeforeAllPrepared: false, noDurableDecision: true });
  const txn = transfer(m);
  m.node.onMessage('n2', yes(txn));
  m.node.onMessage('n3', yes(txn));
  assert.deepEqual(decisions(m), ['n2 commit', 'n3 commit'], 'announced before durable');
  const restarted = coordinator(m.disk.afterCrash(), {
    commitBeforeAllPrepared: false,
    noDurableDecision: true,
  });
  restarted.node.onMessage('n3', { type: 'status', txn });
  restarted.disk.flush();
  assert.deepEqual(decisions(restarted), ['n3 abort'], 'n2 was told commit, n3 abort');
});
