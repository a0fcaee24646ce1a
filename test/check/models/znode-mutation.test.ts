/**
 * The znode model beyond its three write rules (model-ops-rules.test.ts): which operations it
 * partitions and treats as reads, how it compiles unknown outcomes and expired sessions, its
 * validation, and what it prints. Written for the mutation run's survivors (docs/testing.md).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHistory, ValueTable } from '../../../src/check/index.js';
import { znodeModel } from '../../../src/check/models/znode.js';
import type { HistoryOp } from '../../../src/core/history.js';
import { history } from '../helpers.js';

const ZOK = 0;
const NONODE = -101;
const SESSIONEXPIRED = -112;

type Spec = Parameters<typeof history>[0];

function one(spec: Omit<Spec, 'process' | 'invoke' | 'complete'>): HistoryOp {
  return history({ process: 0, invoke: 0, complete: 1, ...spec })[0]!;
}

function step(state: number, spec: Omit<Spec, 'process' | 'invoke' | 'complete'>): unknown {
  const values = new ValueTable();
  return znodeModel.step(state, znodeModel.prepare(one(spec), values), values);
}

test('writes are partitioned by path; anything else is a read, in no partition', () => {
  const create = one({ f: 'create', key: '/a', result: { code: ZOK } });
  const get = one({ f: 'getData', key: '/a', result: 'x' });
  assert.equal(znodeModel.partitionKey?.(create), '/a');
  assert.equal(znodeModel.partitionKey?.(get), undefined);
  assert.equal(znodeModel.isReadOnly?.(create), false);
  assert.equal(znodeModel.isReadOnly?.(get), true);
  assert.equal(step(3, { f: 'getData', key: '/a', result: 'x' }), 3, 'a read changes nothing');
});

test('a write of unknown outcome takes effect as it would have; an expired session did nothing', () => {
  // Unknown: a create on an absent node made it, whatever code the result would have had.
  assert.equal(step(-1, { f: 'create', key: '/a', outcome: 'unknown' }), 0);
  assert.equal(step(0, { f: 'create', key: '/a', outcome: 'unknown' }), 0);
  assert.equal(step(2, { f: 'setData', key: '/a', value: ['x', -1], outcome: 'unknown' }), 3);
  assert.equal(step(2, { f: 'setData', key: '/a', value: ['x', 1], outcome: 'unknown' }), 2);
  assert.equal(step(2, { f: 'delete', key: '/a', value: 2, outcome: 'unknown' }), -1);
  // A version the op does not carry means any version (-1).
  assert.equal(step(4, { f: 'setData', key: '/a', value: 'no version', outcome: 'unknown' }), 5);
  // SESSIONEXPIRED: nothing happened, whatever the state.
  const expired = { code: SESSIONEXPIRED };
  assert.equal(step(-1, { f: 'create', key: '/a', result: expired }), -1);
  assert.equal(step(2, { f: 'delete', key: '/a', value: 2, result: expired }), 2);
  // A known result missing its code counts as OK.
  assert.equal(step(-1, { f: 'create', key: '/a', result: {} }), 0);
  assert.equal(step(-1, { f: 'create', key: '/a', result: [NONODE] }), 0);
  // setData's new version, when reported, must be the old one plus one.
  assert.equal(
    step(2, { f: 'setData', key: '/a', value: ['x', 2], result: { code: ZOK } }),
    undefined,
  );
  assert.equal(
    step(2, { f: 'setData', key: '/a', value: ['x', 2], result: { code: ZOK, version: 3 } }),
    3,
  );
  assert.equal(
    step(2, { f: 'setData', key: '/a', value: ['x', 2], result: { code: ZOK, version: 3.5 } }),
    undefined,
    'a version that is no integer is no version',
  );
});

test('a lost create is found only because unknown writes take effect', () => {
  // c0's create timed out; c1 then sees NODEEXISTS, and c2 deletes version 0: valid only if
  // the unknown create happened.
  const h = history(
    { process: 0, f: 'create', key: '/a', invoke: 0, complete: 10, outcome: 'unknown' },
    { process: 1, f: 'create', key: '/a', invoke: 11, complete: 12, result: { code: -110 } },
    {
      process: 2,
      f: 'delete',
      key: '/a',
      value: 0,
      invoke: 13,
      complete: 14,
      result: { code: ZOK },
    },
  );
  assert.equal(checkHistory(h, znodeModel).verdict, 'valid');
  const never = history({
    process: 1,
    f: 'create',
    key: '/a',
    invoke: 11,
    complete: 12,
    result: { code: -110 },
  });
  assert.equal(checkHistory(never, znodeModel).verdict, 'invalid');
});

test('validation names what a write lacks', () => {
  assert.equal(znodeModel.validate?.(one({ f: 'getData', result: 'x' })), undefined);
  assert.match(
    znodeModel.validate?.(one({ f: 'create', result: { code: 0 } })) ?? '',
    /needs a key/,
  );
  assert.match(
    znodeModel.validate?.(one({ f: 'delete', key: '/a', value: 'v', result: { code: 0 } })) ?? '',
    /needs a version/,
  );
  assert.match(
    znodeModel.validate?.(
      one({ f: 'setData', key: '/a', value: ['x', 1.5], result: { code: 0 } }),
    ) ?? '',
    /needs a version/,
  );
  assert.match(
    znodeModel.validate?.(one({ f: 'create', key: '/a', result: 'made' })) ?? '',
    /needs a result \{code\}/,
  );
  assert.equal(
    znodeModel.validate?.(one({ f: 'create', key: '/a', outcome: 'unknown' })),
    undefined,
  );
  assert.equal(
    znodeModel.validate?.(one({ f: 'setData', key: '/a', value: ['x', 1], result: { code: 0 } })),
    undefined,
  );
});

test('states hash apart and print as absent or their version; ops print their path', () => {
  const values = new ValueTable();
  assert.notEqual(znodeModel.hash(-1), znodeModel.hash(0));
  assert.notEqual(znodeModel.hash(0), znodeModel.hash(1));
  assert.ok(znodeModel.equal(2, 2));
  assert.ok(!znodeModel.equal(2, 3));
  assert.equal(znodeModel.describeState(-1, values), 'absent');
  assert.equal(znodeModel.describeState(4, values), 'version 4');
  const text = znodeModel.describeOp?.(
    one({ f: 'create', key: '/a/b', value: 'd', result: { code: 0 } }),
  );
  assert.match(text ?? '', /^create \[\/a\/b\] /);
  const bare = znodeModel.describeOp?.(one({ f: 'sync', result: null }));
  assert.match(bare ?? '', /^sync /);
  assert.doesNotMatch(bare ?? '', /\[/);
});
