/** The lab's Experiments page, its pure parts: the URL fragment, the seed field, the worker's answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Experiment } from '../../src/experiments/experiment.js';
import {
  DEFAULT_ROUTE,
  ExperimentsLinkError,
  formatExperimentsFragment,
  isExperimentsFragment,
  parseExperimentsFragment,
  parseSeedInput,
  type ExperimentsRoute,
} from '../../lab/src/experiments/route.js';
import { answer } from '../../lab/src/experiments/worker-protocol.js';

const NAMES = ['bft-cost', 'stale-rate', 'odd name/x'];

test('only the Experiments page fragments are its; the run page keeps its share links', () => {
  for (const f of ['#experiments', 'experiments', '#experiments/bft-cost', '#experiments?seed=2'])
    assert.equal(isExperimentsFragment(f), true, f);
  for (const f of ['', '#', '#system=kv-raft&seed=1', '#experimentsx', '#experiment/bft-cost'])
    assert.equal(isExperimentsFragment(f), false, f);
  assert.equal(parseExperimentsFragment('#system=kv-raft&nodes=3', NAMES), undefined);
});

test('a fragment names the experiment, the seed and the mode; quick and seed 1 by default', () => {
  assert.deepEqual(parseExperimentsFragment('#experiments', NAMES), DEFAULT_ROUTE);
  assert.deepEqual(parseExperimentsFragment('#experiments/bft-cost', NAMES), {
    name: 'bft-cost',
    seed: 1,
    mode: 'quick',
  });
  assert.deepEqual(parseExperimentsFragment('#experiments/stale-rate?seed=1001&mode=full', NAMES), {
    name: 'stale-rate',
    seed: 1001,
    mode: 'full',
  });
});

test('format and parse are inverse, defaults left out', () => {
  const routes: ExperimentsRoute[] = [
    { seed: 1, mode: 'quick' },
    { name: 'bft-cost', seed: 1, mode: 'quick' },
    { name: 'bft-cost', seed: 0, mode: 'full' },
    { name: 'odd name/x', seed: 9007199254740991, mode: 'quick' },
  ];
  for (const r of routes) {
    const f = formatExperimentsFragment(r);
    assert.deepEqual(parseExperimentsFragment(`#${f}`, NAMES), r, f);
  }
  assert.equal(
    formatExperimentsFragment({ name: 'bft-cost', seed: 1, mode: 'quick' }),
    'experiments/bft-cost',
  );
  assert.equal(
    formatExperimentsFragment({ name: 'bft-cost', seed: 5, mode: 'full' }),
    'experiments/bft-cost?seed=5&mode=full',
  );
});

test('a malformed link is refused with what is wrong', () => {
  const bad: [string, RegExp][] = [
    ['#experiments/nope', /no registered experiment: 'nope' \(choose from bft-cost/],
    ['#experiments/bft-cost?seed=-1', /seed '-1' is not a whole number/],
    ['#experiments/bft-cost?seed=1.5', /seed '1.5'/],
    ['#experiments/bft-cost?seed=99999999999999999999', /seed/],
    ['#experiments/bft-cost?mode=fast', /mode 'fast' is neither quick nor full/],
    ['#experiments/%E0%A4%A', /malformed escape/],
  ];
  for (const [f, says] of bad) {
    assert.throws(
      () => parseExperimentsFragment(f, NAMES),
      (e: unknown) =>
        e instanceof ExperimentsLinkError && e.code === 'EXPERIMENTS_LINK' && says.test(e.message),
      f,
    );
  }
});

test('the seed field takes whole numbers from 0 only', () => {
  assert.equal(parseSeedInput(' 42 '), 42);
  assert.equal(parseSeedInput('0'), 0);
  for (const t of ['', '-1', '1.5', '1e3', 'abc', '99999999999999999999']) {
    assert.equal(parseSeedInput(t), undefined, t);
  }
});

test("the worker's answer: the result, or the failure as a message; never a throw", () => {
  const ok: Experiment = {
    name: 'ok',
    claim: 'c',
    sources: [],
    run: ({ seed, quick }) => ({
      rows: [{ seed, quick }],
      measured: {},
      verdict: 'supported',
      plots: [],
    }),
  };
  const broken: Experiment = {
    name: 'broken',
    claim: 'c',
    sources: [],
    run: () => {
      throw new Error('no operation succeeded');
    },
  };
  const lookup = (n: string) => [ok, broken].find((e) => e.name === n);
  let t = 100;
  const clock = () => (t += 5);
  assert.deepEqual(answer({ id: 3, name: 'ok', seed: 7, quick: true }, lookup, clock), {
    id: 3,
    kind: 'done',
    result: { rows: [{ seed: 7, quick: true }], measured: {}, verdict: 'supported', plots: [] },
    ms: 5,
  });
  assert.deepEqual(answer({ id: 4, name: 'broken', seed: 1, quick: true }, lookup, clock), {
    id: 4,
    kind: 'error',
    message: 'broken failed: no operation succeeded',
  });
  assert.deepEqual(answer({ id: 5, name: 'nope', seed: 1, quick: true }, lookup, clock), {
    id: 5,
    kind: 'error',
    message: "no experiment named 'nope'",
  });
});
