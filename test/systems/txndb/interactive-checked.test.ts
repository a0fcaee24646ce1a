/**
 * Interactive transactions judged by the transactional checker: four clients on three gateways
 * run list-append transactions one micro-op per step — read a key, then append to it, so each
 * write rests on a read the client has seen — under clock offsets inside the bound and a crash
 * and restart of a node. Each transaction goes into the history as one op: invoked at its
 * begin, its results the steps' results, ok when the commit was acknowledged, failed on `retry`
 * or any definite failure, unknown when the commit's answer never came. Serializable, with
 * retries seen; mutant `hide-restarts` (a restart after results were shown is silent) commits
 * writes on reads it did not report, and the checker finds the cycle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryOp, HistoryOpDraft } from '../../../src/core/history.js';
import type { Json } from '../../../src/core/json.js';
import type { ClientReply } from '../../../src/core/node.js';
import { Sfc32 } from '../../../src/core/random.js';
import { checkTransactions, type TxnCheckResult } from '../../../src/check/txn/check-txn.js';
import { TxnHarness, NODES, type HarnessOptions } from './txn-harness.js';

const KEYS = ['k00', 'k01', 'k04', 'k05', 'k08', 'k09'];
const REQUEST_TIMEOUT_MS = 3_000;

interface Run {
  readonly check: TxnCheckResult;
  readonly retries: number;
  readonly ok: number;
}

function run(seed: number, o: HarnessOptions = {}, clients = 4, txns = 30): Run {
  const h = new TxnHarness({ ...o, seed });
  const random = new Sfc32(seed, 'interactive-checked');
  const history: HistoryOpDraft[] = [];
  let active = clients;
  let retries = 0;
  // Clocks apart by up to 400 ms, inside the 500 ms max offset.
  h.sim.setClock('n1', 200, 0);
  h.sim.setClock('n3', -200, 0);
  const crashAt = h.now + 150;
  const restartAt = h.now + 650;
  h.sim.schedule(150, () => h.sim.crash('n2'));
  h.sim.schedule(650, () => h.sim.restart('n2'));

  let seq = 0;
  /** One request; `done` gets its reply, or null when none came in time. */
  const ask = (
    node: string,
    op: Json,
    done: (r: (ClientReply & { code?: string }) | null) => void,
  ): void => {
    let answered = false;
    h.sim.request(node, 'client', ++seq, op, (r) => {
      if (answered) return;
      answered = true;
      done(r);
    });
    h.sim.schedule(REQUEST_TIMEOUT_MS, () => {
      if (answered) return;
      answered = true;
      done(null);
    });
  };

  const client = (c: number, n: number): void => {
    if (n === txns) {
      active--;
      return;
    }
    const node = NODES[(c + n) % NODES.length]!;
    const mops: Json[] = [];
    for (const key of [random.pick(KEYS), random.pick(KEYS)]) {
      mops.push(['r', key, null]);
      if (random.chance(0.7)) mops.push(['append', key, (c * 1000 + n) * 10 + mops.length]);
    }
    const op: HistoryOpDraft = {
      id: history.length,
      process: c,
      f: 'txn',
      value: mops,
      invoke: h.now,
      complete: h.now,
      outcome: 'unknown',
    };
    history.push(op);
    const results: Json[] = [];
    const end = (outcome: HistoryOp['outcome']): void => {
      op.outcome = outcome;
      op.complete = h.now;
      if (outcome === 'ok') op.result = results;
      client(c, n + 1);
    };
    ask(node, { f: 'txn-begin' }, (r) => {
      if (r === null || !r.ok) return end('fail');
      const txn = r.value as string;
      const step = (i: number): void => {
        if (i === mops.length) {
          return ask(node, { f: 'txn-commit', txn }, (c2) => {
            if (c2 !== null && c2.ok) return end('ok');
            if (c2?.code === 'retry') retries++;
            end(c2 !== null && c2.definite ? 'fail' : 'unknown');
          });
        }
        ask(node, { f: 'txn-step', txn, value: [mops[i]!] }, (s) => {
          if (s === null || !s.ok) {
            if (s?.code === 'retry') retries++;
            // The commit was never asked for: the transaction cannot commit.
            return end('fail');
          }
          const [f, key, v] = (s.value as Json[][])[0]!;
          results.push([f!, key!, f === 'r' && v === null ? [] : v!]);
          step(i + 1);
        });
      };
      step(0);
    });
  };
  for (let c = 0; c < clients; c++) client(c, 0);
  h.until(() => (active === 0 ? true : undefined), 300_000);
  assert.ok(
    h.now > restartAt + 200,
    `the run outlasted the crash (at ${crashAt} ms) and the restart`,
  );
  const check = checkTransactions(history, { workload: 'list-append' });
  return { check, retries, ok: history.filter((x) => x.outcome === 'ok').length };
}

test('interactive list-append transactions under clock offsets and a crash are serializable', (t) => {
  let retries = 0;
  for (const seed of [1, 2, 3]) {
    const r = run(seed);
    assert.equal(r.check.verdict, 'valid', `seed ${seed}: ${JSON.stringify(r.check.anomalyTypes)}`);
    assert.ok(r.ok >= 20, `seed ${seed}: only ${r.ok} committed`);
    retries += r.retries;
    t.diagnostic(`seed ${seed}: ${r.ok} committed, ${r.retries} retried`);
  }
  assert.ok(retries > 0, 'no transaction was asked to retry: the runs test nothing');
});

test('mutant hide-restarts: the checker finds writes committed on reads the client never saw', (t) => {
  const found = [1, 2, 3].map((seed) => run(seed, { coordinator: { mutant: 'hide-restarts' } }));
  t.diagnostic(JSON.stringify(found.map((r) => [r.check.verdict, r.check.anomalyTypes, r.ok])));
  assert.ok(
    found.some((r) => r.check.verdict === 'invalid'),
    JSON.stringify(found.map((r) => [r.check.verdict, r.check.anomalyTypes])),
  );
});
