/**
 * One planted history per anomaly type: the checker finds it, names it, shows the smallest
 * cycle with each edge's reason, and rules out the models the anomaly rules out. These are
 * also the examples in docs/checker.md, "Transactions".
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AnomalyType, ConsistencyModel } from '../../../src/check/txn/anomalies.js';
import { checkTransactions } from '../../../src/check/txn/check-txn.js';
import type { TxnWorkload } from '../../../src/check/txn/txn-history.js';
import type { HistoryOp } from '../../../src/core/history.js';
import { txns } from './helpers.js';

function check(
  ops: HistoryOp[],
  workload: TxnWorkload = 'list-append',
  consistencyModel: ConsistencyModel = 'serializable',
) {
  return checkTransactions(ops, { workload, consistencyModel });
}

/** The cycle of `type` as `from -kind-> to` steps. */
function cycleOf(r: ReturnType<typeof check>, type: AnomalyType): string[] {
  const a = r.anomalies.find((x) => x.type === type);
  assert.ok(a && 'cycle' in a, `no ${type} cycle in ${JSON.stringify(r.anomalies)}`);
  for (const s of a.cycle) assert.ok(s.why.length > 0);
  return a.cycle.map((s) => `${s.from}-${s.kind}->${s.to}`);
}

describe('list-append: cycles', () => {
  test('G0: write cycle (two appenders interleaved on two keys)', () => {
    const r = check(
      txns(
        {
          mops: [
            ['append', 'x', 1],
            ['append', 'y', 1],
          ],
        },
        {
          mops: [
            ['append', 'x', 2],
            ['append', 'y', 2],
          ],
        },
        {
          mops: [
            ['r', 'x', [1, 2]],
            ['r', 'y', [2, 1]],
          ],
        },
      ),
    );
    assert.deepEqual(r.anomalyTypes, ['G0']);
    assert.deepEqual(cycleOf(r, 'G0'), ['0-ww->1', '1-ww->0']);
    assert.equal(r.verdict, 'invalid');
    assert.deepEqual(r.ruledOut, [
      'read-committed',
      'snapshot-isolation',
      'strong-session-snapshot-isolation',
      'serializable',
      'strong-session-serializable',
      'strict-serializable',
    ]);
  });

  test('G1c: circular information flow', () => {
    const r = check(
      txns(
        {
          mops: [
            ['append', 'x', 1],
            ['r', 'y', [1]],
          ],
        },
        {
          mops: [
            ['append', 'y', 1],
            ['r', 'x', [1]],
          ],
        },
      ),
    );
    assert.deepEqual(r.anomalyTypes, ['G1c']);
    assert.deepEqual(cycleOf(r, 'G1c'), ['1-wr->0', '0-wr->1']);
    assert.ok(r.ruledOut.includes('read-committed'));
  });

  test('G-single: read skew, one anti-dependency', () => {
    const r = check(
      txns(
        {
          mops: [
            ['r', 'x', []],
            ['r', 'y', [1]],
          ],
        },
        {
          mops: [
            ['append', 'x', 1],
            ['append', 'y', 1],
          ],
        },
        { mops: [['r', 'x', [1]]] },
      ),
    );
    assert.deepEqual(r.anomalyTypes, ['G-single']);
    assert.deepEqual(cycleOf(r, 'G-single'), ['0-rw->1', '1-wr->0']);
    assert.deepEqual(r.ruledOut, [
      'snapshot-isolation',
      'strong-session-snapshot-isolation',
      'serializable',
      'strong-session-serializable',
      'strict-serializable',
    ]);
  });

  test('G2-item: write skew, two anti-dependencies; snapshot isolation allows it', () => {
    const ops = txns(
      {
        mops: [
          ['r', 'x', []],
          ['append', 'y', 1],
        ],
      },
      {
        mops: [
          ['r', 'y', []],
          ['append', 'x', 1],
        ],
      },
      {
        mops: [
          ['r', 'x', [1]],
          ['r', 'y', [1]],
        ],
      },
    );
    const r = check(ops);
    assert.deepEqual(r.anomalyTypes, ['G2-item']);
    assert.deepEqual(cycleOf(r, 'G2-item'), ['0-rw->1', '1-rw->0']);
    assert.equal(r.verdict, 'invalid');
    assert.equal(check(ops, 'list-append', 'snapshot-isolation').verdict, 'valid');
  });

  test('an append no read shows came after every element read (as Elle infers)', () => {
    // Elle's "G-single" history: 1 never sees y, 0's append to y is never read.
    const r = check(
      txns(
        {
          mops: [
            ['append', 'x', 1],
            ['append', 'y', 1],
          ],
        },
        {
          mops: [
            ['append', 'x', 2],
            ['r', 'y', []],
          ],
        },
        { mops: [['r', 'x', [1, 2]]] },
      ),
    );
    assert.deepEqual(r.anomalyTypes, ['G-single']);
    assert.deepEqual(cycleOf(r, 'G-single'), ['1-rw->0', '0-ww->1']);
  });

  test('G-nonadjacent: two rw edges never adjacent; rules out snapshot isolation', () => {
    const ops = txns(
      {
        mops: [
          ['r', 'x', []],
          ['r', 'w', [1]],
        ],
      },
      {
        mops: [
          ['append', 'x', 1],
          ['append', 'y', 1],
        ],
      },
      {
        mops: [
          ['r', 'y', [1]],
          ['r', 'z', []],
        ],
      },
      {
        mops: [
          ['append', 'z', 1],
          ['append', 'w', 1],
        ],
      },
      {
        mops: [
          ['r', 'x', [1]],
          ['r', 'z', [1]],
        ],
      },
    );
    const r = check(ops);
    assert.deepEqual(r.anomalyTypes, ['G-nonadjacent']);
    assert.deepEqual(cycleOf(r, 'G-nonadjacent'), ['0-rw->1', '1-wr->2', '2-rw->3', '3-wr->0']);
    assert.equal(check(ops, 'list-append', 'snapshot-isolation').verdict, 'invalid');
    assert.equal(check(ops, 'list-append', 'read-committed').verdict, 'valid');
  });

  test('G-single-realtime: a stale read, invisible without real-time order', () => {
    const ops = txns(
      { mops: [['append', 'x', 1]], invoke: 0, complete: 1 },
      { mops: [['r', 'x', []]], invoke: 2, complete: 3 },
      { mops: [['r', 'x', [1]]], invoke: 4, complete: 5 },
    );
    assert.equal(check(ops).verdict, 'valid');
    const r = check(ops, 'list-append', 'strict-serializable');
    assert.deepEqual(r.anomalyTypes, ['G-single-realtime']);
    assert.deepEqual(cycleOf(r, 'G-single-realtime'), ['1-rw->0', '0-realtime->1']);
    assert.deepEqual(r.ruledOut, ['strict-serializable']);
  });

  test('G-single-process: a client does not see its own earlier append', () => {
    const ops = txns(
      { mops: [['append', 'x', 1]], process: 7, invoke: 0, complete: 10 },
      { mops: [['r', 'x', []]], process: 7, invoke: 10, complete: 20 },
      { mops: [['r', 'x', [1]]], invoke: 30, complete: 40 },
    );
    // Equal timestamps are concurrent in real time, but a client runs one thing at a time.
    assert.equal(check(ops).verdict, 'valid');
    assert.deepEqual(check(ops, 'list-append', 'strict-serializable').anomalyTypes, [
      'G-single-process',
    ]);
    const r = check(ops, 'list-append', 'strong-session-serializable');
    assert.deepEqual(r.anomalyTypes, ['G-single-process']);
    assert.deepEqual(cycleOf(r, 'G-single-process'), ['1-rw->0', '0-process->1']);
    assert.deepEqual(r.ruledOut, [
      'strong-session-snapshot-isolation',
      'strong-session-serializable',
      'strict-serializable',
    ]);
  });

  test('G1c-realtime: a transaction reads from one that started after it ended', () => {
    const r = check(
      txns(
        { mops: [['r', 'x', [1]]], invoke: 0, complete: 1 },
        { mops: [['append', 'x', 1]], invoke: 2, complete: 3 },
      ),
      'list-append',
      'strict-serializable',
    );
    assert.deepEqual(r.anomalyTypes, ['G1c-realtime']);
    assert.deepEqual(cycleOf(r, 'G1c-realtime'), ['1-wr->0', '0-realtime->1']);
  });

  test('the smallest cycle is reported: a 2-cycle rather than the 3-cycle around it', () => {
    const r = check(
      txns(
        {
          mops: [
            ['append', 'a', 1],
            ['append', 'b', 1],
          ],
        },
        {
          mops: [
            ['append', 'b', 2],
            ['append', 'c', 1],
          ],
        },
        {
          mops: [
            ['append', 'c', 2],
            ['append', 'a', 2],
            ['append', 'd', 1],
          ],
        },
        {
          mops: [
            ['append', 'd', 2],
            ['append', 'a', 3],
          ],
        },
        {
          mops: [
            ['r', 'a', [1, 2, 3]],
            ['r', 'b', [1, 2]],
            ['r', 'c', [1, 2]],
          ],
        },
        { mops: [['r', 'd', [2, 1]]] },
      ),
    );
    assert.deepEqual(r.anomalyTypes, ['G0']);
    assert.equal(cycleOf(r, 'G0').length, 2);
  });
});

describe('list-append: anomalies without cycles', () => {
  test('G1a: aborted read', () => {
    const r = check(
      txns({ mops: [['append', 'x', 1]], outcome: 'fail' }, { mops: [['r', 'x', [1]]] }),
    );
    assert.deepEqual(r.anomalyTypes, ['G1a']);
    assert.deepEqual(r.anomalies[0], {
      type: 'G1a',
      ops: [1, 0],
      key: 'x',
      why: 'op 1 read x = [1], including 1, appended by op 0, which failed',
    });
  });

  test('an unknown transaction may have committed: reading its append is fine', () => {
    const r = check(
      txns({ mops: [['append', 'x', 1]], outcome: 'unknown' }, { mops: [['r', 'x', [1]]] }),
    );
    assert.equal(r.verdict, 'valid');
    assert.deepEqual(r.anomalyTypes, []);
  });

  test('G1b: intermediate read', () => {
    const r = check(
      txns(
        {
          mops: [
            ['append', 'x', 1],
            ['append', 'x', 2],
          ],
        },
        { mops: [['r', 'x', [1]]] },
      ),
    );
    // The unread 2 still came after the 1 read, so the reader also anti-depends on the writer
    // it read from: Elle reports the same pair (G1b and G-single).
    assert.deepEqual(r.anomalyTypes, ['G-single', 'G1b']);
  });

  test('lost update: two transactions read the same version and both append', () => {
    const r = check(
      txns(
        {
          mops: [
            ['r', 'x', []],
            ['append', 'x', 1],
          ],
        },
        {
          mops: [
            ['r', 'x', []],
            ['append', 'x', 2],
          ],
        },
        { mops: [['r', 'x', [1, 2]]] },
      ),
    );
    assert.ok(r.anomalyTypes.includes('lost-update'), r.anomalyTypes.join());
    assert.deepEqual(
      r.anomalies.find((a) => a.type === 'lost-update'),
      {
        type: 'lost-update',
        ops: [0, 1],
        key: 'x',
        why: 'ops 0, 1 all read x empty and then appended to it',
      },
    );
  });

  test('duplicate elements', () => {
    const r = check(txns({ mops: [['append', 'x', 1]] }, { mops: [['r', 'x', [1, 1]]] }));
    assert.deepEqual(r.anomalyTypes, ['duplicate-elements']);
  });

  test('internal: a read that misses the transaction’s own append', () => {
    const r = check(
      txns({
        mops: [
          ['append', 'x', 1],
          ['r', 'x', []],
        ],
      }),
    );
    assert.deepEqual(r.anomalyTypes, ['internal']);
    assert.ok(!r.ruledOut.includes('read-committed'));
    assert.ok(r.ruledOut.includes('snapshot-isolation'));
  });

  test('incompatible order: neither read is a prefix of the other', () => {
    const r = check(
      txns(
        { mops: [['append', 'x', 1]] },
        { mops: [['append', 'x', 2]] },
        { mops: [['r', 'x', [1, 2]]] },
        { mops: [['r', 'x', [2, 1]]] },
      ),
    );
    assert.deepEqual(r.anomalyTypes, ['incompatible-order']);
    assert.equal(r.verdict, 'invalid');
  });

  test('garbage read: an element nobody appended', () => {
    const r = check(txns({ mops: [['r', 'x', [9]]] }));
    assert.deepEqual(r.anomalyTypes, ['garbage-read']);
    // As in Elle, it decides nothing: a history cut from a longer one reads such values.
    assert.equal(r.verdict, 'valid');
    assert.deepEqual(r.ruledOut, []);
  });
});

describe('rw-register', () => {
  const rw = (ops: HistoryOp[], model: ConsistencyModel = 'serializable') =>
    check(ops, 'rw-register', model);

  test('G-single: the initial state precedes every write', () => {
    const r = rw(
      txns(
        {
          mops: [
            ['r', 'x', null],
            ['r', 'y', 1],
          ],
        },
        {
          mops: [
            ['w', 'x', 1],
            ['w', 'y', 1],
          ],
        },
      ),
    );
    assert.deepEqual(r.anomalyTypes, ['G-single']);
    assert.deepEqual(cycleOf(r, 'G-single'), ['0-rw->1', '1-wr->0']);
  });

  test('G0 from read-then-write version orders', () => {
    // 1 reads x=1 (op 0's) then writes x=2: x1 < x2; 0 reads y=2 (op 1's) then writes y=3.
    const r = rw(
      txns(
        {
          mops: [
            ['w', 'x', 1],
            ['r', 'y', 2],
            ['w', 'y', 3],
          ],
        },
        {
          mops: [
            ['r', 'x', 1],
            ['w', 'x', 2],
            ['w', 'y', 2],
          ],
        },
      ),
    );
    assert.ok(r.anomalyTypes.includes('G1c'), r.anomalyTypes.join());
    assert.equal(r.verdict, 'invalid');
  });

  test('G1a, G1b, lost update, internal, garbage', () => {
    assert.deepEqual(
      rw(txns({ mops: [['w', 'x', 1]], outcome: 'fail' }, { mops: [['r', 'x', 1]] })).anomalyTypes,
      ['G1a'],
    );
    assert.deepEqual(
      rw(
        txns(
          {
            mops: [
              ['w', 'x', 1],
              ['w', 'x', 2],
            ],
          },
          { mops: [['r', 'x', 1]] },
        ),
      ).anomalyTypes,
      ['G1b'],
    );
    assert.ok(
      rw(
        txns(
          {
            mops: [
              ['r', 'x', null],
              ['w', 'x', 1],
            ],
          },
          {
            mops: [
              ['r', 'x', null],
              ['w', 'x', 2],
            ],
          },
        ),
      ).anomalyTypes.includes('lost-update'),
    );
    assert.deepEqual(
      rw(
        txns(
          {
            mops: [
              ['w', 'x', 1],
              ['r', 'x', 2],
            ],
          },
          { mops: [['w', 'x', 2]] },
        ),
      ).anomalyTypes,
      ['internal'],
    );
    assert.deepEqual(rw(txns({ mops: [['r', 'x', 5]] })).anomalyTypes, ['garbage-read']);
  });

  test('write skew is G2-item', () => {
    const ops = txns(
      {
        mops: [
          ['r', 'x', null],
          ['w', 'y', 1],
        ],
      },
      {
        mops: [
          ['r', 'y', null],
          ['w', 'x', 1],
        ],
      },
    );
    assert.deepEqual(rw(ops).anomalyTypes, ['G2-item']);
    assert.equal(rw(ops, 'snapshot-isolation').verdict, 'valid');
  });
});

describe('budget', () => {
  test('a cycle search cut short answers unknown, never valid', () => {
    const ops = txns(
      {
        mops: [
          ['r', 'x', []],
          ['append', 'y', 1],
        ],
      },
      {
        mops: [
          ['r', 'y', []],
          ['append', 'x', 1],
        ],
      },
      {
        mops: [
          ['r', 'x', [1]],
          ['r', 'y', [1]],
        ],
      },
    );
    const r = checkTransactions(ops, { workload: 'list-append', maxWork: 1 });
    assert.equal(r.verdict, 'unknown');
    assert.equal(r.truncated, true);
  });
});
