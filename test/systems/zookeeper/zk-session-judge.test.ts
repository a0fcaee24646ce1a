/**
 * Session liveness (zk-session-judge.ts): an expiry the leader proposed while the session's
 * client was being answered, with no fault that could have hidden it, is found; the same expiry
 * after a silence as long as the timeout, under a fault window or with clocks offset is not.
 * On the simulator, `follower-expires` (a follower expiring sessions it never hears) is caught
 * on a seed where the correct system is valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryOp } from '../../../src/core/history.js';
import type { Json } from '../../../src/core/json.js';
import { runChecked } from '../../../src/sim/checked-run.js';
import { earlyExpiryProblem } from '../../../src/systems/zookeeper/zk-session-judge.js';
import { zookeeperSystem } from '../../../src/systems/zookeeper/zookeeper.js';

let nextId = 0;
function op(f: string, invoke: number, result: Record<string, Json>, outcome = 'ok'): HistoryOp {
  return {
    id: nextId++,
    process: 1,
    f,
    invoke,
    complete: invoke + 2,
    outcome: outcome as HistoryOp['outcome'],
    result,
    node: 'n2',
  };
}

/** Client 1 connects as session 7 at 0 ms and pings every 50 ms until `until`. */
function pinging(until: number): HistoryOp[] {
  const ops = [op('connect', 0, { code: 0, zxid: 1, session: 7 })];
  for (let t = 50; t <= until; t += 50) ops.push(op('ping', t, { code: 0, zxid: 1 }));
  return ops;
}

const TICK = 50;
const expiry = { session: 7, at: 1000, timeoutMs: 500 };
const calm = { faultWindows: [], clockFaults: false };

test('an expiry while the client was being answered is early', () => {
  const problem = earlyExpiryProblem(pinging(1000), [expiry], TICK, calm);
  assert.match(problem ?? '', /^session expired early: session 7 \(timeout 500 ms\)/);
});

test('after a silence as long as the timeout, the expiry is due', () => {
  assert.equal(earlyExpiryProblem(pinging(450), [expiry], TICK, calm), undefined);
});

test('an answer too recent for its report to reach the leader does not count', () => {
  // Pings up to 800 ms: the last (800–802 ms) plus a report tick and delay reaches past 1000.
  const late = [
    op('connect', 0, { code: 0, zxid: 1, session: 7 }),
    op('ping', 800, { code: 0, zxid: 1 }),
  ];
  assert.equal(earlyExpiryProblem(late, [expiry], TICK, calm), undefined);
  const inTime = [
    op('connect', 0, { code: 0, zxid: 1, session: 7 }),
    op('ping', 700, { code: 0, zxid: 1 }),
  ];
  assert.notEqual(earlyExpiryProblem(inTime, [expiry], TICK, calm), undefined);
});

test('a fault window, an offset clock or another session keeps the rule quiet', () => {
  const ops = pinging(1000);
  assert.equal(
    earlyExpiryProblem(ops, [expiry], TICK, { faultWindows: [[600, 650]], clockFaults: false }),
    undefined,
  );
  assert.equal(
    earlyExpiryProblem(ops, [expiry], TICK, { faultWindows: [], clockFaults: true }),
    undefined,
  );
  assert.equal(earlyExpiryProblem(ops, [{ ...expiry, session: 8 }], TICK, calm), undefined);
  assert.equal(earlyExpiryProblem(ops, [expiry], TICK, undefined), undefined);
  // A pause is silence, and a connect without an answer leaves the session unknown.
  const paused = [
    op('connect', 0, { code: 0, zxid: 1, session: 7 }),
    op('pause', 600, { code: 0, zxid: 1 }),
  ];
  assert.equal(earlyExpiryProblem(paused, [expiry], TICK, calm), undefined);
  const lost = [op('connect', 0, {}, 'unknown'), op('ping', 700, { code: 0, zxid: 1 })];
  assert.equal(earlyExpiryProblem(lost, [expiry], TICK, calm), undefined);
});

test('follower-expires is caught by the judge on swarm seed 5; the correct system is valid', () => {
  const run = (mutant?: string) =>
    runChecked({
      system: zookeeperSystem,
      seed: 5,
      swarm: true,
      workload: { ops: 300 },
      ...(mutant !== undefined ? { mutant } : {}),
    });
  const bad = run('follower-expires');
  assert.equal(bad.verdict, 'invalid');
  assert.match(bad.judgement?.message ?? '', /session expired early/);
  assert.equal(run().verdict, 'valid');
});
