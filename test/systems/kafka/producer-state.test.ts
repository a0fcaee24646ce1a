/**
 * The idempotent producer's broker-side state: a retried batch among the last five is answered
 * with its original offset, a gap or an older epoch is refused, a new epoch starts at 0,
 * sequences wrap at 2^31−1, and a replica that rebuilds the state from its log answers every
 * later batch as the old leader would. Each rule has a mutant that one of these tests catches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor } from '../../../src/core/random.js';
import {
  INT32_MAX,
  NO_PRODUCER_ID,
  PRODUCER_ERR,
  PRODUCER_MUTANTS,
  PartitionProducerState,
  ProducerBatchError,
  ProducerIdAllocator,
  type BatchVerdict,
  type LoggedBatch,
  type ProducerBatch,
  type ProducerMutant,
} from '../../../src/systems/kafka/producer-state.js';

/** A leader's log of one partition: check, then append what is accepted. */
class Leader {
  readonly log: LoggedBatch[] = [];
  readonly state: PartitionProducerState;
  constructor(mutant?: ProducerMutant) {
    this.state = new PartitionProducerState(mutant);
  }
  get end(): number {
    const last = this.log[this.log.length - 1];
    return last === undefined ? 0 : last.baseOffset + last.recordCount;
  }
  produce(batch: ProducerBatch): BatchVerdict & { offset?: number } {
    const verdict = this.state.check(batch);
    if (verdict.kind !== 'append') return verdict;
    const logged = { ...batch, baseOffset: this.end };
    this.log.push(logged);
    this.state.append(logged);
    return { ...verdict, offset: logged.baseOffset };
  }
}

const b = (
  producerId: number,
  producerEpoch: number,
  baseSequence: number,
  recordCount = 1,
): ProducerBatch => ({
  producerId,
  producerEpoch,
  baseSequence,
  recordCount,
});

// Each rule as a scenario that passes on the real state and fails on the named mutant.
const rules: { name: string; mutant: ProducerMutant; run: (l: Leader) => void }[] = [
  {
    name: 'a retry of any of the last five batches is a duplicate with its original offset',
    mutant: 'no-dedup',
    run: (l) => {
      for (let i = 0; i < 5; i++) assert.equal(l.produce(b(7, 0, i * 2, 2)).kind, 'append');
      assert.deepEqual(l.produce(b(7, 0, 4, 2)), { kind: 'duplicate', baseOffset: 4 });
      assert.equal(l.log.length, 5);
    },
  },
  {
    name: 'the oldest of five is still known; a sixth batch pushes it out',
    mutant: 'retain-one',
    run: (l) => {
      for (let i = 0; i < 5; i++) l.produce(b(7, 0, i));
      assert.deepEqual(l.produce(b(7, 0, 0)), { kind: 'duplicate', baseOffset: 0 });
      l.produce(b(7, 0, 5));
      const again = l.produce(b(7, 0, 0));
      assert.equal(
        again.kind === 'refuse' && again.errorCode,
        PRODUCER_ERR.OUT_OF_ORDER_SEQUENCE_NUMBER,
      );
    },
  },
  {
    name: 'a gap in the sequence is refused OUT_OF_ORDER_SEQUENCE_NUMBER',
    mutant: 'allow-gaps',
    run: (l) => {
      l.produce(b(7, 0, 0, 3));
      const gap = l.produce(b(7, 0, 4));
      assert.equal(
        gap.kind === 'refuse' && gap.errorCode,
        PRODUCER_ERR.OUT_OF_ORDER_SEQUENCE_NUMBER,
      );
      assert.equal(l.produce(b(7, 0, 3)).kind, 'append');
    },
  },
  {
    name: 'an older epoch is refused INVALID_PRODUCER_EPOCH',
    mutant: 'allow-old-epoch',
    run: (l) => {
      l.produce(b(7, 0, 0));
      l.produce(b(7, 1, 0));
      const old = l.produce(b(7, 0, 0));
      assert.equal(old.kind === 'refuse' && old.errorCode, PRODUCER_ERR.INVALID_PRODUCER_EPOCH);
    },
  },
  {
    name: 'a new epoch must start at sequence 0',
    mutant: 'new-epoch-any-sequence',
    run: (l) => {
      l.produce(b(7, 0, 0));
      const bad = l.produce(b(7, 1, 1));
      assert.equal(
        bad.kind === 'refuse' && bad.errorCode,
        PRODUCER_ERR.OUT_OF_ORDER_SEQUENCE_NUMBER,
      );
      assert.equal(l.produce(b(7, 1, 0)).kind, 'append');
      assert.equal(l.state.entry(7)?.batches.length, 1, 'a new epoch forgets the old batches');
    },
  },
  {
    name: 'sequences wrap from 2^31−1 to 0, within a batch and between batches',
    mutant: 'no-wrap',
    run: (l) => {
      l.produce(b(7, 0, INT32_MAX - 1, 3));
      assert.deepEqual(l.state.entry(7)?.batches[0]?.lastSeq, 0);
      assert.equal(l.produce(b(7, 0, 1)).kind, 'append');
      assert.deepEqual(l.produce(b(7, 0, INT32_MAX - 1, 3)), { kind: 'duplicate', baseOffset: 0 });
    },
  },
];

for (const rule of rules) {
  test(`${rule.name} (mutant ${rule.mutant} caught)`, () => {
    rule.run(new Leader());
    assert.throws(() => rule.run(new Leader(rule.mutant)), assert.AssertionError);
  });
}

test('every producer-state mutant has a rule above that catches it', () => {
  assert.deepEqual(rules.map((r) => r.mutant).sort(), [...PRODUCER_MUTANTS].sort());
});

test('a producer the partition has no state for may start at any sequence, as in Kafka', () => {
  const l = new Leader();
  assert.equal(l.produce(b(9, 3, 42)).kind, 'append');
  assert.equal(l.produce(b(9, 3, 44)).kind, 'refuse');
});

test('batches without a producer id are never checked', () => {
  const l = new Leader();
  assert.equal(l.produce(b(NO_PRODUCER_ID, 0, 0)).kind, 'append');
  assert.equal(l.produce(b(NO_PRODUCER_ID, 0, 0)).kind, 'append');
  assert.equal(l.log.length, 2);
});

test('malformed batches are refused with a typed error', () => {
  const s = new PartitionProducerState();
  for (const bad of [
    b(1.5, 0, 0),
    b(1, -1, 0),
    b(1, 0, INT32_MAX + 1),
    b(1, 0, 0, 0),
    b(-2, 0, 0),
  ]) {
    assert.throws(
      () => s.check(bad),
      (e: unknown) => e instanceof ProducerBatchError && e.code === 'bad-producer-batch',
    );
  }
  assert.throws(
    () =>
      PartitionProducerState.rebuildFrom([
        { ...b(1, 0, 0, 2), baseOffset: 5 },
        { ...b(1, 0, 2), baseOffset: 6 },
      ]),
    ProducerBatchError,
  );
});

test('failover: state rebuilt from the log gives the same answers to any later batch', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = streamFor(seed, 'test:producer-failover');
    const leader = new Leader();
    const nextSeq = new Map<number, { epoch: number; seq: number }>();
    const sent: ProducerBatch[] = [];
    const draw = (): ProducerBatch => {
      const pid = 1 + r.int(3);
      const cur = nextSeq.get(pid) ?? { epoch: 0, seq: 0 };
      const roll = r.next();
      if (roll < 0.2 && sent.length > 0) return r.pick(sent); // a retry
      if (roll < 0.25) return b(pid, cur.epoch, cur.seq + 1 + r.int(3)); // a gap
      if (roll < 0.3) return b(pid, cur.epoch + 1, r.int(2)); // an epoch bump
      if (roll < 0.33 && cur.epoch > 0) return b(pid, cur.epoch - 1, 0); // a zombie
      return b(pid, cur.epoch, cur.seq, 1 + r.int(4));
    };
    for (let i = 0; i < 60; i++) {
      const batch = draw();
      sent.push(batch);
      if (leader.produce(batch).kind === 'append') {
        nextSeq.set(batch.producerId, {
          epoch: batch.producerEpoch,
          seq: batch.baseSequence + batch.recordCount,
        });
      }
    }
    const follower = PartitionProducerState.rebuildFrom(leader.log);
    assert.deepEqual(follower.entriesById(), leader.state.entriesById(), `seed ${seed}`);
    for (let i = 0; i < 40; i++) {
      const probe = draw();
      assert.deepEqual(follower.check(probe), leader.state.check(probe), `seed ${seed} probe ${i}`);
    }
  }
});

test('InitProducerId: a new id at epoch 0 each time, from the blocks given, then need-block', () => {
  const a = new ProducerIdAllocator();
  assert.deepEqual(a.initProducerId(), { kind: 'need-block' });
  a.addBlock({ firstProducerId: 1000, size: 2 });
  a.addBlock({ firstProducerId: 5000, size: 1 });
  const got = [a.initProducerId(), a.initProducerId(), a.initProducerId(), a.initProducerId()];
  assert.deepEqual(got, [
    { kind: 'ok', producerId: 1000, producerEpoch: 0 },
    { kind: 'ok', producerId: 1001, producerEpoch: 0 },
    { kind: 'ok', producerId: 5000, producerEpoch: 0 },
    { kind: 'need-block' },
  ]);
  assert.throws(() => a.addBlock({ firstProducerId: -1, size: 1 }), ProducerBatchError);
  assert.throws(() => a.addBlock({ firstProducerId: 0, size: 0 }), ProducerBatchError);
});
