import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../src/core/json.js';
import type {
  ClientReply,
  ClientRequest,
  NodeEnv,
  NodeId,
  ProtocolNode,
} from '../../src/core/node.js';
import { Simulator } from '../../src/sim/simulator.js';

type ProbeMsg = { type: 'note'; body: { items: string[] } };

/** A node that records what happens to it, for poking the simulator directly. */
class Probe implements ProtocolNode<ProbeMsg> {
  static all = new Map<NodeId, Probe>();
  readonly received: { from: NodeId; body: { items: string[] } }[] = [];
  readonly timers: { name: string; at: number }[] = [];
  recovered = false;

  constructor(readonly env: NodeEnv<ProbeMsg>) {
    Probe.all.set(env.id, this);
  }
  start(info: { recovered: boolean }): void {
    this.recovered = info.recovered;
  }
  onMessage(from: NodeId, msg: ProbeMsg): void {
    this.received.push({ from, body: msg.body });
    msg.body.items.push('mutated by receiver');
  }
  onTimer(name: string): void {
    this.timers.push({ name, at: this.env.now() });
  }
  onClientRequest(req: ClientRequest): void {
    const op = req.op as { f: string; value?: Json };
    if (op.f === 'write') {
      this.env.storage.put('x', op.value ?? null);
      this.env.storage.sync(() => this.env.reply(req.id, { ok: true, value: null }));
    } else if (op.f === 'hold') {
      // never answers
    } else if (op.f === 'measure') {
      this.env.metric('measured', 5);
      this.env.metric('measured', 7);
      this.env.metric('counted');
      this.env.reply(req.id, { ok: true, value: null });
    } else if (op.f === 'throw') {
      throw new Error('probe exploded');
    }
  }
  inspect() {
    return { received: this.received.length };
  }
}

function cluster(n = 3, extra: Partial<ConstructorParameters<typeof Simulator>[0]> = {}) {
  Probe.all.clear();
  const sim = new Simulator({
    seed: 1,
    nodeIds: Array.from({ length: n }, (_, i) => `n${i + 1}`),
    factory: (env) => new Probe(env as NodeEnv<ProbeMsg>),
    latency: { kind: 'constant', ms: 1 },
    keepTrace: true,
    tornWrites: false,
    ...extra,
  });
  sim.start();
  sim.runUntil(0);
  const probe = (id: string) => Probe.all.get(id) as Probe;
  return { sim, probe };
}

test('messages are delivered after the link latency, as copies the sender cannot touch', () => {
  const { sim, probe } = cluster();
  const body = { items: ['a'] };
  probe('n1').env.send('n2', { type: 'note', body });
  body.items.push('mutated by sender');
  sim.runUntil(0.5);
  assert.equal(probe('n2').received.length, 0);
  sim.runUntil(1);
  assert.deepEqual(probe('n2').received[0], {
    from: 'n1',
    body: { items: ['a', 'mutated by receiver'] },
  });
  assert.deepEqual(body.items, ['a', 'mutated by sender']);
  assert.deepEqual(sim.stats, { sent: 1, delivered: 1, dropped: 0, duplicated: 0, events: 4 });
});

test('a one-way partition drops one direction only', () => {
  const { sim, probe } = cluster();
  sim.setPartition([['n1', 'n2']]);
  probe('n1').env.send('n2', { type: 'note', body: { items: [] } });
  probe('n2').env.send('n1', { type: 'note', body: { items: [] } });
  sim.runUntil(5);
  assert.equal(probe('n2').received.length, 0);
  assert.equal(probe('n1').received.length, 1);
  const drop = sim.trace.events?.find((e) => e.e === 'drop');
  assert.deepEqual(
    drop && { why: (drop as { why: string }).why, from: (drop as { from: string }).from },
    {
      why: 'partition',
      from: 'n1',
    },
  );
  sim.heal();
  probe('n1').env.send('n2', { type: 'note', body: { items: [] } });
  sim.runUntil(10);
  assert.equal(probe('n2').received.length, 1);
});

test('skewed clocks read differently, and timers run on local time', () => {
  const { sim, probe } = cluster();
  sim.setClock('n2', 500, 1); // 500 ms ahead and running twice as fast
  sim.runUntil(100);
  assert.equal(probe('n1').env.now(), 100);
  assert.equal(probe('n2').env.now(), 100 + 500 + 100);
  probe('n1').env.setTimer(40, 'a');
  probe('n2').env.setTimer(40, 'b');
  sim.runUntil(120);
  assert.equal(probe('n2').timers.length, 1, 'a fast clock fires a 40 ms timer after 20 ms');
  assert.equal(probe('n1').timers.length, 0);
  sim.runUntil(140);
  assert.equal(probe('n1').timers.length, 1);
  assert.deepEqual(sim.clockState('n3'), { offset: 0, drift: 0 });
});

test('a cancelled timer never fires', () => {
  const { sim, probe } = cluster();
  const id = probe('n1').env.setTimer(10, 'x');
  probe('n1').env.cancelTimer(id);
  sim.runUntil(50);
  assert.equal(probe('n1').timers.length, 0);
});

test('a crash loses unsynced writes, keeps synced ones, and restart recovers from them', () => {
  const { sim, probe } = cluster();
  const disk = probe('n1').env.storage;
  disk.put('synced', 1);
  disk.sync(() => {});
  sim.runUntil(5);
  disk.put('unsynced', 2);
  probe('n1').env.setTimer(1, 'lost with the crash');
  sim.crash('n1');
  assert.equal(sim.status('n1'), 'down');
  sim.runUntil(10);
  sim.restart('n1');
  const after = probe('n1');
  assert.equal(after.recovered, true);
  assert.equal(after.env.storage.get('synced'), 1);
  assert.equal(after.env.storage.get('unsynced'), undefined);
  assert.equal(after.timers.length, 0);
  const crash = sim.trace.events?.find((e) => e.e === 'crash') as { lostWrites: number };
  assert.equal(crash.lostWrites, 1);
});

test('a paused node receives nothing until it resumes, then everything in order', () => {
  const { sim, probe } = cluster();
  sim.pause('n2');
  probe('n1').env.send('n2', { type: 'note', body: { items: ['1'] } });
  probe('n3').env.send('n2', { type: 'note', body: { items: ['2'] } });
  sim.runUntil(50);
  assert.equal(probe('n2').received.length, 0);
  sim.resume('n2');
  sim.runUntil(50);
  assert.deepEqual(
    probe('n2').received.map((r) => r.body.items[0]),
    ['1', '2'],
  );
});

test('loss and duplication act on the links and are counted', () => {
  const { sim, probe } = cluster(2);
  sim.setLinkFaults({ loss: 0.5, duplicate: 0, reorder: 0, slow: 1 });
  for (let i = 0; i < 400; i++) probe('n1').env.send('n2', { type: 'note', body: { items: [] } });
  sim.runUntil(10);
  assert.ok(sim.stats.dropped > 150 && sim.stats.dropped < 250, `dropped ${sim.stats.dropped}`);
  sim.setLinkFaults({ loss: 0, duplicate: 1, reorder: 0, slow: 1 });
  const before = probe('n2').received.length;
  probe('n1').env.send('n2', { type: 'note', body: { items: [] } });
  sim.runUntil(20);
  assert.equal(probe('n2').received.length - before, 2);
  assert.equal(sim.stats.duplicated, 1);
});

test('clients: refused by a down node (definite), reset by a crash (unknown), answered after sync', () => {
  const { sim } = cluster();
  const replies: ClientReply[] = [];
  sim.request('n1', 'c0', 0, { f: 'write', value: 7 }, (r) => replies.push(r));
  sim.runUntil(10);
  assert.deepEqual(replies.shift(), { ok: true, value: null });
  sim.request('n2', 'c0', 1, { f: 'hold' }, (r) => replies.push(r));
  sim.runUntil(15);
  sim.crash('n2');
  sim.runUntil(20);
  assert.deepEqual(replies.shift(), { ok: false, error: 'connection reset', definite: false });
  sim.request('n2', 'c0', 2, { f: 'write' }, (r) => replies.push(r));
  sim.runUntil(30);
  assert.deepEqual(replies.shift(), { ok: false, error: 'connection refused', definite: true });
});

test('a protocol exception halts the run and names the node', () => {
  const { sim } = cluster();
  sim.request('n3', 'c0', 0, { f: 'throw' }, () => {});
  sim.runUntil(100);
  assert.equal(sim.failure?.kind, 'exception');
  assert.match(sim.failure?.message ?? '', /probe exploded on n3/);
});

test('an invariant is checked after every step and halts the run when it breaks', () => {
  const { sim, probe } = cluster(2, {
    checkInvariants: (nodes) => {
      const n2 = nodes.get('n2') as Probe | undefined;
      return n2 !== undefined && n2.received.length > 1 ? 'n2 heard twice' : undefined;
    },
  });
  for (let i = 0; i < 3; i++) probe('n1').env.send('n2', { type: 'note', body: { items: [] } });
  sim.runUntil(100);
  assert.deepEqual(sim.failure, { time: 1, kind: 'invariant', message: 'n2 heard twice' });
  assert.equal(probe('n2').received.length, 2, 'the run stops at the violating step');
});

test('metrics reported by nodes are collected per name', () => {
  const { sim } = cluster();
  sim.request('n1', 'c0', 0, { f: 'measure' }, () => {});
  sim.runUntil(10);
  assert.deepEqual(sim.metrics.get('measured'), [5, 7]);
  assert.deepEqual(sim.metrics.get('counted'), [1]);
});

test('a zero-delay loop fails the run instead of hanging it', () => {
  const { sim, probe } = cluster();
  const loop = (): void => {
    probe('n1').env.setTimer(0, 'again');
  };
  const original = Probe.prototype.onTimer;
  Probe.prototype.onTimer = function (this: Probe, name: string) {
    original.call(this, name);
    if (this.env.id === 'n1') loop();
  };
  try {
    loop();
    sim.runUntil(10);
  } finally {
    Probe.prototype.onTimer = original;
  }
  assert.equal(sim.failure?.kind, 'exception');
  assert.match(sim.failure?.message ?? '', /zero-delay loop/);
});

test('a latency by message type replaces the link latency for that type only', () => {
  const { sim, probe } = cluster(3, { latencyByType: { slow: { kind: 'constant', ms: 40 } } });
  const env = probe('n1').env as unknown as NodeEnv<{ type: string; body: { items: string[] } }>;
  env.send('n2', { type: 'slow', body: { items: ['late'] } });
  env.send('n2', { type: 'note', body: { items: ['early'] } });
  sim.runUntil(39);
  assert.deepEqual(
    probe('n2').received.map((r) => r.body.items[0]),
    ['early'],
    'the untyped link latency (1 ms) still applies to other types',
  );
  sim.runUntil(40);
  assert.deepEqual(
    probe('n2').received.map((r) => r.body.items[0]),
    ['early', 'late'],
  );
  // The link's faults apply on top of a per-type latency as they do on the link's own.
  sim.setLinkFaults({ loss: 0, duplicate: 0, reorder: 0, slow: 2 });
  env.send('n3', { type: 'slow', body: { items: ['slower'] } });
  sim.runUntil(40 + 79);
  assert.equal(probe('n3').received.length, 0);
  sim.runUntil(40 + 80);
  assert.equal(probe('n3').received.length, 1);
});
