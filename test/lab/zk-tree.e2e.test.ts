/**
 * The zookeeper system's znode tree in the lab's node cards, in Debian's headless Chromium: a
 * short run (seed 2, 40 operations) shows each server's tree as an indented outline — the same
 * lines, at the same depths, that the system's lab views give for the same run computed in Node
 * (a seed replays the same run). A screenshot goes to test-artifacts/lab-zk-tree.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import '../../src/protocols/pbft/ed25519.js';
import { getSystem } from '../../src/systems/index.js';
import { RunController } from '../../lab/src/run-controller.js';
import type { RunConfig } from '../../lab/src/run-config.js';
import { ARTIFACTS, chromiumMissing, labSession } from './browser.js';

const skip = chromiumMissing();
const lab = labSession(skip);
const CONFIG: RunConfig = {
  system: 'zookeeper',
  nodes: 3,
  seed: 2,
  nemesis: 'none',
  ops: 40,
  mutant: null,
  params: {},
};

/** Each node's outline lines at the run's end, as `depth|text|note`, computed in Node. */
function expected(): Map<string, string[]> {
  const system = getSystem('zookeeper');
  assert.ok(system !== undefined, 'zookeeper is registered');
  const outline = system.labViews?.nodeOutline;
  assert.ok(outline !== undefined, 'zookeeper declares a node outline');
  const run = new RunController(CONFIG, system);
  run.runToEnd();
  const out = new Map<string, string[]>();
  for (const node of run.snapshots.nodeIds) {
    const view = run.snapshots.at(node, run.now)?.view ?? null;
    assert.ok(view !== null, `${node} has a view at the end`);
    out.set(
      node,
      outline.lines(view).map((l) => `${l.depth}|${l.text}|${l.note ?? ''}`),
    );
  }
  return out;
}

test(
  'zookeeper: each node card draws its server’s znode tree, as the lab views say',
  { skip, timeout: 90_000 },
  async () => {
    const want = expected();
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
    for (const [node, lines] of want) {
      const shown = await page.$$eval(
        `.node-card[data-node=${node}] [data-testid=node-outline] li`,
        (lis) =>
          lis.map(
            (li) =>
              `${li.getAttribute('data-depth') ?? ''}|${li.querySelector('.outline-text')?.textContent ?? ''}|${li.querySelector('.outline-note')?.textContent ?? ''}`,
          ),
      );
      assert.deepEqual(shown, lines, `${node}: the outline the lab views give`);
      // The tree has ZooKeeper's own node and something the clients made under the root.
      assert.ok(lines.includes('1|zookeeper|v0'), `${node}: /zookeeper is drawn`);
      assert.ok(lines.length > 2, `${node}: the clients' znodes are drawn`);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'lab-zk-tree.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no page errors');
    await page.close();
  },
);
