/**
 * Every system in Debian's headless Chromium: a short run shows exactly the panels its lab
 * views declare that have data (computed in Node from the same seed, which replays the same
 * run), no empty chart, and a verdict named for what was checked: "linearizable" only where the
 * linearizability checker ran, otherwise the system's own judge by name. A screenshot per
 * system goes to test-artifacts/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import '../../src/protocols/pbft/ed25519.js';
import { panelHasData } from '../../src/core/lab-views.js';
import type { SystemDefinition } from '../../src/core/system.js';
import { systems } from '../../src/systems/index.js';
import { RunController } from '../../lab/src/run-controller.js';
import type { RunConfig } from '../../lab/src/run-config.js';
import { labRun } from '../../lab/src/system-views.js';
import { ARTIFACTS, chromiumMissing, labSession } from './browser.js';

const skip = chromiumMissing();
const lab = labSession(skip);
/** Short runs: enough operations for every chart to have points, few enough to stay quick. */
const OPS = 40;
/** nakamoto is run split in halves, so its block tree has forks to draw. */
const NEMESIS: Readonly<Record<string, string>> = { nakamoto: 'partition-halves' };
/** Fewer payments (one a second per node, not ten): a sixth of the events, the same forks. */
const PARAMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  nakamoto: { 'tx-interval': '1000' },
};

function configOf(system: SystemDefinition): RunConfig {
  return {
    system: system.name,
    nodes: system.defaultNodes,
    seed: 2,
    nemesis: NEMESIS[system.name] ?? 'none',
    ops: OPS,
    mutant: null,
    params: PARAMS[system.name] ?? {},
  };
}

/** The same run in Node: which declared panels have data, and what the judges said. */
function expected(system: SystemDefinition) {
  const lab = new RunController(configOf(system), system);
  lab.runToEnd();
  const run = labRun(lab.session.sim.nodeIds, lab.now, lab.trace, lab.snapshots);
  const panels = (system.labViews?.panels ?? [])
    .filter((p) => panelHasData(p, run) !== undefined)
    .map((p) => p.id);
  const judgement = lab.judgement;
  assert.ok(judgement !== null, `${system.name}: the run in Node was judged`);
  return { panels, judgement };
}

async function runInPage(page: Page, c: RunConfig): Promise<void> {
  await page.selectOption('select[name=system]', c.system);
  await page.fill('input[name=nodes]', String(c.nodes));
  await page.fill('input[name=seed]', String(c.seed));
  await page.fill('input[name=ops]', String(c.ops));
  await page.selectOption('select[name=nemesis]', c.nemesis);
  for (const [name, value] of Object.entries(c.params))
    await page.fill(`input[name=param-${name}]`, value);
  await page.click('[data-testid=run]');
  // Page-side code is given as strings: this file is compiled without the DOM library.
  await page.waitForFunction(
    `['valid', 'invalid', 'unknown', 'unchecked'].includes(
       document.querySelector('[data-testid=verdict]')?.getAttribute('data-verdict'))`,
    undefined,
    { timeout: 30_000 },
  );
}

test(
  'every system: its declared panels with data, no empty chart, its verdict by name, no label overlapping another',
  { skip, timeout: 150_000 },
  async () => {
    const page = await lab.context().newPage();
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(lab.url());
    await page.waitForSelector('h1');
    await page.selectOption('select[name=speed]', 'Infinity');
    // A system a page cannot run is left out of the menu, and the page says why.
    for (const system of systems().filter((s) => s.nodeOnly !== undefined)) {
      const note = (await page.textContent(`[data-testid=node-only-${system.name}]`)) ?? '';
      assert.ok(note.includes(system.name), `${system.name}: the page says it runs in Node only`);
      const offered = await page.$$eval('select[name=system] option', (os) =>
        os.map((o) => (o as HTMLOptionElement).value),
      );
      assert.ok(!offered.includes(system.name), `${system.name} is not offered`);
    }
    for (const system of systems().filter((s) => s.nodeOnly === undefined)) {
      const want = expected(system);
      await runInPage(page, configOf(system));
      const name = system.name;

      const shown = await page.$$eval('[data-testid^=panel-]', (els) =>
        els.map((e) => (e.getAttribute('data-testid') ?? '').slice('panel-'.length)),
      );
      assert.deepEqual(shown, want.panels, `${name}: the declared panels that have data`);
      if (system.labViews?.panels !== undefined)
        assert.ok(want.panels.length > 0, `${name}: a system with views shows some`);

      // No chart without points: every uPlot drawn has at least one x value.
      const charts = await page.$$eval('figure.chart', (figs) =>
        figs.map((f) => ({
          id: f.getAttribute('data-testid'),
          drawn: f.querySelector('canvas') !== null,
        })),
      );
      for (const c of charts) assert.ok(c.drawn, `${name}: chart ${c.id} is drawn`);
      if (system.workload === 'none')
        assert.ok(
          !charts.some((c) => c.id === 'chart-latency' || c.id === 'chart-throughput'),
          `${name}: no client-operation charts for a run without clients`,
        );

      if (want.panels.includes('block-tree')) {
        const stale = await page.$$('[data-testid=panel-block-tree] g[data-kind=stale]');
        const main = await page.$$('[data-testid=panel-block-tree] g[data-kind=main]');
        assert.ok(main.length > 0 && stale.length > 0, `${name}: the tree shows the forks`);
      }

      const verdict = (await page.textContent('[data-testid=verdict] .verdict-text')) ?? '';
      if (want.judgement.check !== null)
        assert.match(verdict, /linearizable/, `${name}: the checker ran, so it is named`);
      else assert.doesNotMatch(verdict, /linearizable/, `${name}: no checker, no "linearizable"`);
      const judgeName = system.labViews?.verdictName;
      if (want.judgement.system !== null && judgeName !== undefined) {
        assert.ok(verdict.includes(judgeName), `${name}: verdict "${verdict}" names ${judgeName}`);
        const said = (await page.textContent('[data-testid=system-judgement]')) ?? '';
        assert.ok(said.startsWith(judgeName), `${name}: the judge's evidence is named`);
      }
      // At the default zoom no two labels the diagram drew overlap (the canvas publishes their
      // boxes in data-labels; lamport/label-layout.ts places them).
      const labels = JSON.parse(
        (await page.getAttribute('[data-testid=lamport-canvas]', 'data-labels')) ?? '[]',
      ) as { text: string; x: number; y: number; w: number; h: number }[];
      assert.ok(labels.length > 0, `${name}: the diagram drew labels`);
      for (const [i, a] of labels.entries())
        for (const b of labels.slice(i + 1))
          assert.ok(
            a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y,
            `${name}: "${a.text}" overlaps "${b.text}"`,
          );
      await page.screenshot({ path: join(ARTIFACTS, `lab-views-${name}.png`), fullPage: true });
    }
    assert.deepEqual(errors, [], 'no page errors');
    await page.close();
  },
);
