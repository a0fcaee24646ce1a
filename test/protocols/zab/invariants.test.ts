/**
 * The recorder's checks, each fed a history that breaks exactly one property (and the same
 * history with the break removed, which must pass): a check that cannot fail proves nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZabRecorder } from '../../../src/protocols/zab/invariants.js';
import type { Txn } from '../../../src/protocols/zab/messages.js';
import { ZXID_ZERO, type Zxid } from '../../../src/protocols/zab/zxid.js';

const t = (seq: number): Txn => ({ client: 'c', seq, op: { f: 'put', key: 'k', value: `${seq}` } });
const z = (e: number, c: number): Zxid => [e, c];

type Step = (r: ZabRecorder) => void;

const CASES: readonly { name: string; steps: Step[]; broken: Step; caught: RegExp }[] = [
  {
    name: 'one established leader per epoch',
    steps: [(r) => r.established(1, 'n1', 0)],
    broken: (r) => r.established(1, 'n2', 0),
    caught: /one leader per epoch/,
  },
  {
    name: 'integrity: delivered only what was broadcast',
    steps: [(r) => r.proposed(z(1, 1), t(1))],
    broken: (r) => r.delivered('n1', 1, z(1, 1), ZXID_ZERO, t(2)),
    caught: /integrity/,
  },
  {
    name: 'integrity: one proposal per zxid',
    steps: [(r) => r.proposed(z(1, 1), t(1))],
    broken: (r) => r.proposed(z(1, 1), t(2)),
    caught: /two proposals/,
  },
  {
    name: 'primary order: deliveries in zxid order',
    steps: [(r) => r.proposed(z(1, 1), t(1)), (r) => r.proposed(z(1, 2), t(2))],
    broken: (r) => r.delivered('n1', 1, z(1, 1), z(1, 2), t(1)),
    caught: /primary order/,
  },
  {
    name: 'agreement: the k-th delivery is the same everywhere',
    steps: [
      (r) => r.proposed(z(1, 1), t(1)),
      (r) => r.proposed(z(1, 2), t(2)),
      (r) => r.delivered('n1', 1, z(1, 1), ZXID_ZERO, t(1)),
    ],
    broken: (r) => r.delivered('n2', 1, z(1, 2), ZXID_ZERO, t(2)),
    caught: /agreement/,
  },
  {
    name: 'total order: no gaps',
    steps: [(r) => r.proposed(z(1, 2), t(2))],
    broken: (r) => r.delivered('n1', 2, z(1, 2), z(1, 1), t(2)),
    caught: /gap/,
  },
  {
    name: 'primary integrity: a leader starts after delivering what came before',
    steps: [
      (r) => r.proposed(z(1, 1), t(1)),
      (r) => r.delivered('n1', 1, z(1, 1), ZXID_ZERO, t(1)),
    ],
    broken: (r) => r.established(2, 'n2', 0),
    caught: /primary integrity/,
  },
  {
    name: 'primary integrity: no earlier epoch delivered past a later leader’s start',
    steps: [(r) => r.proposed(z(1, 1), t(1)), (r) => r.established(2, 'n2', 0)],
    broken: (r) => r.delivered('n1', 1, z(1, 1), ZXID_ZERO, t(1)),
    caught: /primary integrity/,
  },
];

for (const c of CASES) {
  test(`${c.name}: holds without the break`, () => {
    const r = new ZabRecorder();
    for (const s of c.steps) s(r);
    assert.equal(r.violation, undefined);
  });
  test(`${c.name}: caught`, () => {
    const r = new ZabRecorder();
    for (const s of c.steps) s(r);
    c.broken(r);
    assert.match(r.violation ?? 'none', c.caught);
  });
}
