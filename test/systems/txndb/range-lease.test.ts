/**
 * Leaseholder reads (range-lease.ts, range-machine.ts): the lease rules one at a time, and the
 * scenario each exists for. Mutant `lease-no-low-water` (a new lease's timestamp cache starts
 * empty) lets the new holder write below a read the old holder answered from memory; mutant
 * `lease-no-stasis` lets the old holder answer a read in real time after the new holder began,
 * missing its writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import type { Timestamp, TxnMeta } from '../../../src/protocols/mvcc/mvcc-types.js';
import { compareHlc } from '../../../src/protocols/clocks/hybrid-logical-clock.js';
import { initialDescriptors } from '../../../src/systems/txndb/range-directory.js';
import { mayServe, nextLease, type LeaseMutant } from '../../../src/systems/txndb/range-lease.js';
import { emptyRangeState, RangeMachine } from '../../../src/systems/txndb/range-machine.js';
import type { RangeOp } from '../../../src/systems/txndb/range-ops.js';

const OFFSET = 10;
const ts = (wall: number): Timestamp => ({ wall, logical: 0 });
const meta = (id: string, wall: number): TxnMeta => ({
  id,
  anchor: 'k01',
  epoch: 0,
  writeTs: ts(wall),
  priority: 1,
});

test('lease rules: a lease follows the one its proposer saw; another holder only after expiration; the same holder extends', () => {
  const a = nextLease(null, { holder: 'n1', start: 0, expiration: 1000, prev: 0 });
  assert.deepEqual(a, { holder: 'n1', start: 0, expiration: 1000, seq: 1 });
  // Two proposals from one state: the second no longer follows the current lease.
  assert.equal(nextLease(a, { holder: 'n2', start: 0, expiration: 900, prev: 0 }), null);
  // Another holder before the expiration: refused; at it: a new lease, a new seq.
  assert.equal(nextLease(a, { holder: 'n2', start: 999, expiration: 2000, prev: 1 }), null);
  assert.deepEqual(nextLease(a, { holder: 'n2', start: 1000, expiration: 2000, prev: 1 }), {
    holder: 'n2',
    start: 1000,
    expiration: 2000,
    seq: 2,
  });
  // The holder extends while valid (start and seq kept); after expiration it takes a new one.
  assert.deepEqual(nextLease(a, { holder: 'n1', start: 500, expiration: 1500, prev: 1 }), {
    holder: 'n1',
    start: 0,
    expiration: 1500,
    seq: 1,
  });
  assert.deepEqual(nextLease(a, { holder: 'n1', start: 1200, expiration: 2200, prev: 1 }), {
    holder: 'n1',
    start: 1200,
    expiration: 2200,
    seq: 2,
  });
});

function replica(self: string, mutant: LeaseMutant | null = null): RangeMachine {
  const d = initialDescriptors([], ['n1', 'n2', 'n3'])[0]!;
  return new RangeMachine(
    {
      txnExpiryMs: 1_000,
      self,
      leaseOffsetMs: OFFSET,
      leaseNotBefore: Number.NEGATIVE_INFINITY,
      leaseMutant: mutant,
      hooks: { spawned: () => {} },
    },
    emptyRangeState(d),
  );
}

let seq = 0;
function both(rs: readonly RangeMachine[], op: RangeOp | Json): Json[] {
  seq++;
  return rs.map((r) => r.apply({ client: 'c', seq, op: op as Json }));
}

for (const mutant of [null, 'lease-no-low-water'] as const) {
  test(`lease${mutant === null ? '' : ` (mutant ${mutant})`}: the new holder ${mutant === null ? 'writes above' : 'may write below'} a read the old holder answered from memory`, () => {
    const n1 = replica('n1', mutant);
    const n2 = replica('n2', mutant);
    const rs = [n1, n2];
    both(rs, { k: 'lease', holder: 'n1', start: 0, expiration: 1000, prev: 0 });
    // n1 answers a read of k01 at 900 from memory: nothing logged, n2 never hears of it.
    const get = { k: 'get', at: 'k01', key: 'k01', ts: ts(900), limit: null, txn: null } as const;
    assert.deepEqual(n1.serveRead(get, 500), { kind: 'value', value: null, ts: null });
    assert.equal(n2.serveRead(get, 500), null, 'only the holder answers from memory');
    // The lease expires; n2 takes the next one and evaluates a write of k01 at 100.
    both(rs, { k: 'lease', holder: 'n2', start: 1000, expiration: 2000, prev: 1 });
    assert.equal(n1.serveRead(get, 1001), null, 'the old holder stops');
    const put = { k: 'put', at: 'k01', key: 'k01', value: 'w', txn: meta('t', 100) } as const;
    const evaluated = n2.evaluatePut(put, 1100);
    assert.ok(evaluated !== null && evaluated.k === 'put');
    const above = compareHlc(evaluated.txn.writeTs, ts(900)) > 0;
    assert.equal(above, mutant === null, `evaluated at ${JSON.stringify(evaluated.txn.writeTs)}`);
    // A write evaluated under a lease no longer in force is refused when applied.
    const stale = n1.evaluatePut(put, 500);
    assert.equal(stale, null, 'n1 no longer holds a valid lease');
    const [applied] = both([n2], { ...put, lease: 1 });
    assert.deepEqual(applied, { kind: 'lease-changed' });
  });
}

for (const mutant of [null, 'lease-no-stasis'] as const) {
  test(`lease${mutant === null ? '' : ` (mutant ${mutant})`}: with clocks ${OFFSET} ms apart the old holder ${mutant === null ? 'stops before' : 'still serves after'} the new holder can begin`, () => {
    // Real time T. n1's clock runs OFFSET/2 behind, n2's OFFSET/2 ahead. n2 may take the next
    // lease once its clock reads the expiration 1000: at real time 995, when n1's reads 990.
    const lease = { holder: 'n1', start: 0, expiration: 1000, seq: 1 };
    const n2Takes = 1000 - OFFSET / 2;
    const n1ClockThen = n2Takes - OFFSET / 2;
    const serves = mayServe(
      lease,
      'n1',
      n1ClockThen,
      500,
      OFFSET,
      Number.NEGATIVE_INFINITY,
      mutant,
    );
    // A read n1 answers then began after n2's lease did, and would miss n2's writes.
    assert.equal(serves, mutant !== null);
    assert.equal(
      mayServe(lease, 'n1', n1ClockThen - 1, 500, OFFSET, Number.NEGATIVE_INFINITY, mutant),
      true,
    );
  });
}

test('lease: a read at or past the expiration is not answered from memory; a lease begun before a restart is not acted on', () => {
  const lease = { holder: 'n1', start: 0, expiration: 1000, seq: 1 };
  const inf = Number.NEGATIVE_INFINITY;
  assert.equal(mayServe(lease, 'n1', 100, 999, OFFSET, inf, null), true);
  assert.equal(mayServe(lease, 'n1', 100, 1000, OFFSET, inf, null), false);
  assert.equal(mayServe(lease, 'n1', 100, 500, OFFSET, 50, null), false);
  assert.equal(mayServe({ ...lease, start: 60 }, 'n1', 100, 500, OFFSET, 50, null), true);
});
