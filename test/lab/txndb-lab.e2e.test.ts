/**
 * The transactional database in the lab, in Debian's headless Chromium: a short `spanner` run
 * (3 nodes, seed 2, 60 operations) shows the ranges table — the meta range, the ranges split
 * off as they grew, spans, replicas, leaseholders, their leases' start and expiration — as the
 * lab views give it for the same run computed in Node (a seed replays the same run), the
 * leaseholder timeline with the same leases, and the transactions' timeline with intents and
 * commit waits no longer than 2ε; the lanes name the ranges their nodes hold or lead; the
 * transactions' focus box narrows the timeline to the transactions on one key. A screenshot
 * goes to test-artifacts/lab-txndb.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import '../../src/protocols/pbft/ed25519.js';
import { panelHasData } from '../../src/core/lab-views.js';
import { getSystem } from '../../src/systems/index.js';
import { RunController } from '../../lab/src/run-controller.js';
import type { RunConfig } from '../../lab/src/run-config.js';
import { labRun } from '../../lab/src/system-views.js';
import { ARTIFACTS, chromiumMissing, labSession } from './browser.js';

const skip = chromiumMissing();
const lab = labSession(skip);
const EPSILON = 7;
const CONFIG: RunConfig = {
  system: 'spanner',
  nodes: 3,
  seed: 2,
  nemesis: 'none',
  ops: 60,
  mutant: null,
  params: {},
};

/** The same run in Node: the panels with data, the ranges table and the leases' spans. */
function expected() {
  const system = getSystem(CONFIG.system);
  assert.ok(system !== undefined, 'spanner is registered');
  const controller = new RunController(CONFIG, system);
  controller.runToEnd();
  const run = labRun(
    controller.session.sim.nodeIds,
    controller.now,
    controller.trace,
    controller.snapshots,
  );
  const panels = (system.labViews?.panels ?? []).filter((p) => panelHasData(p, run) !== undefined);
  const ranges = panels.find((p) => p.id === 'ranges');
  assert.ok(ranges?.kind === 'table', 'the ranges table has rows');
  const leases = panels.find((p) => p.id === 'leases');
  assert.ok(leases?.kind === 'timeline', 'the leases timeline has spans');
  const txns = panels.find((p) => p.id === 'txns');
  assert.ok(txns?.kind === 'timeline', 'the transactions timeline has spans');
  // A key some shown transaction laid an intent on, and the transactions that touched it.
  const intent = txns.spans(run).find((s) => s.kind === 'intent');
  const key = /^intent (k\d\d) /.exec(intent?.label ?? '')?.[1];
  assert.ok(key !== undefined, 'an intent on a key');
  return {
    panels: panels.map((p) => p.id),
    ranges: ranges.rows(run).map((r) => r.map(String)),
    leases: leases
      .spans(run)
      .map((s) => `${s.kind} ${s.start} ${s.end}`)
      .sort(),
    key,
    onKey: [...new Set(txns.spans(run, key).map((s) => s.row))].sort(),
  };
}

test(
  'spanner: ranges and leaseholders, and transactions with intents and commit wait, on the page',
  { skip, timeout: 90_000 },
  async () => {
    const want = expected();
    assert.deepEqual(want.panels, ['ranges', 'leases', 'txns']);
    const page = await lab.context().newPage();
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(lab.url());
    await page.waitForSelector('h1');
    await page.selectOption('select[name=speed]', 'Infinity');
    await page.selectOption('select[name=system]', CONFIG.system);
    await page.fill('input[name=nodes]', String(CONFIG.nodes));
    await page.fill('input[name=seed]', String(CONFIG.seed));
    await page.fill('input[name=ops]', String(CONFIG.ops));
    await page.selectOption('select[name=nemesis]', CONFIG.nemesis);
    await page.click('[data-testid=run]');
    // Page-side code is given as strings: this file is compiled without the DOM library.
    await page.waitForFunction(
      `['valid', 'invalid', 'unknown', 'unchecked'].includes(
       document.querySelector('[data-testid=verdict]')?.getAttribute('data-verdict'))`,
      undefined,
      { timeout: 30_000 },
    );
    const shown = await page.$$eval('[data-testid^=panel-]', (els) =>
      els.map((e) => (e.getAttribute('data-testid') ?? '').slice('panel-'.length)),
    );
    assert.deepEqual(shown, want.panels, 'the three panels');

    const rows = await page.$$eval('[data-testid=panel-ranges] tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')),
    );
    assert.deepEqual(rows, want.ranges, 'ranges, spans, replicas and leases as in Node');
    // The meta range first, then ranges split as they grew (default split size: 3 keys).
    assert.equal(rows[0]?.[0], 'meta');
    assert.ok(
      rows.some((r) => r[0]?.includes('.')),
      `split ranges shown: ${rows.map((r) => r[0]).join(' ')}`,
    );

    const leases = await page.$$eval('[data-testid=panel-leases] g[data-kind]', (gs) =>
      gs
        .map(
          (g) =>
            `${g.getAttribute('data-kind')} ${g.getAttribute('data-start')} ${g.getAttribute('data-end')}`,
        )
        .sort(),
    );
    assert.deepEqual(leases, want.leases, 'the same leases as in Node');
    assert.ok(leases.length >= want.ranges.length, 'a lease (or leader) per range at least');

    const spans = await page.$$eval('[data-testid=panel-txns] g[data-kind]', (gs) =>
      gs.map((g) => ({
        kind: g.getAttribute('data-kind') ?? '',
        length: Number(g.getAttribute('data-end')) - Number(g.getAttribute('data-start')),
        drawn: g.querySelector('rect') !== null,
      })),
    );
    const waits = spans.filter((s) => s.kind === 'commit-wait');
    assert.ok(waits.length > 0, 'commit waits drawn');
    for (const w of waits) assert.ok(w.length <= 2 * EPSILON + 1, `a wait of ${w.length} ms`);
    assert.ok(
      spans.some((s) => s.kind === 'intent'),
      'intents drawn',
    );
    assert.ok(
      spans.every((s) => s.drawn),
      'every span has its bar',
    );
    const legend = (await page.textContent('[data-testid=panel-txns] figcaption')) ?? '';
    assert.match(legend, /commit wait/);

    // The lanes name what their nodes lead (the canvas publishes its labels).
    const labels = JSON.parse(
      (await page.getAttribute('[data-testid=lamport-canvas]', 'data-labels')) ?? '[]',
    ) as { text: string }[];
    // A lane names up to three ranges, and counts more (its label has no room for them).
    for (const holder of new Set(want.ranges.map((r) => r[3]!))) {
      const held = want.ranges.filter((r) => r[3] === holder).map((r) => r[0]!);
      const text = `leads ${held.length <= 3 ? held.join(' ') : `${held.length} ranges`}`;
      assert.ok(
        labels.some((l) => l.text === text),
        `a lane reads '${text}' (${holder}): ${labels.map((l) => l.text).join(' | ')}`,
      );
    }
    await page.screenshot({ path: join(ARTIFACTS, 'lab-txndb.png'), fullPage: true });

    // Narrowed to one key: the transactions that touched it, as in Node; to nothing: the panel
    // stays, empty, so the box can be cleared; cleared: all the latest again.
    const rowsShown = () =>
      page.$$eval('[data-testid=panel-txns] svg text[data-row]', (ts) =>
        ts.map((t) => t.getAttribute('data-row') ?? '').sort(),
      );
    const before = await rowsShown();
    await page.fill('[data-testid=focus-txns]', want.key);
    await page.waitForFunction(
      `document.querySelectorAll('[data-testid=panel-txns] svg text[data-row]').length === ${want.onKey.length}`,
    );
    assert.deepEqual(await rowsShown(), want.onKey, `the transactions on ${want.key}`);
    await page.fill('[data-testid=focus-txns]', 'k99-none');
    await page.waitForSelector('[data-testid=panel-txns] .timeline-none');
    assert.equal((await page.$$('[data-testid=panel-txns] g[data-kind]')).length, 0);
    await page.fill('[data-testid=focus-txns]', '');
    await page.waitForFunction(
      `document.querySelectorAll('[data-testid=panel-txns] svg text[data-row]').length === ${before.length}`,
    );
    assert.deepEqual(await rowsShown(), before, 'cleared: the latest transactions again');
    assert.deepEqual(errors, [], 'no page errors');
    await page.close();
  },
);
