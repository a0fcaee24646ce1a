/** `truthkit experiment`: what it prints, and the HTML report it writes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli as run } from './run-cli.js';
import { cpuOf } from '../support/wait.js';

const cli = (argv: string[]) => run(...argv);

test('experiment NAME --json prints {name, claim, sources, rows, measured, verdict, plots}', async () => {
  const { code, out } = await cli(['experiment', 'selfish-mining', '--quick', '--json']);
  assert.equal(code, 0);
  const j = JSON.parse(out);
  assert.deepEqual(Object.keys(j), [
    'name',
    'claim',
    'sources',
    'rows',
    'measured',
    'verdict',
    'plots',
  ]);
  assert.ok(Array.isArray(j.sources) && Array.isArray(j.plots));
});

test('bft-cost --report writes a self-contained page with its verdict, sources and plot; the text names the sources', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-report-'));
  try {
    const file = join(dir, 'bft-cost.html');
    const { code, out, err } = await cli([
      'experiment',
      'bft-cost',
      '--quick',
      '--seed',
      '3',
      '--report',
      file,
    ]);
    assert.equal(code, 0, err);
    const verdict = /verdict: {2}(\S.*)\n/.exec(out)?.[1]?.toLowerCase();
    // Seed 3 (quick) is pinned: its verdict is the claim's, not whichever one the run gives.
    assert.equal(verdict, 'supported', out);
    assert.match(out, /sources:\n {2}- the case studies, section "Truth Patterns Summary"/);
    assert.match(out, /Castro and Barbara Liskov/);
    assert.match(out, /reproduce: truthkit experiment bft-cost --seed 3 --quick\n/);
    const html = readFileSync(file, 'utf8');
    assert.match(html, new RegExp(`data-verdict="${verdict}"`));
    assert.match(html, /O\(n²\) messages per request, Raft&#39;s O\(n\)/);
    assert.match(html, /<blockquote>│ PBFT {12}• Byzantine possible/);
    assert.match(html, /section “Byzantine Consensus: When Nodes Lie”/);
    assert.match(html, /<cite>Miguel Castro and Barbara Liskov/);
    assert.equal((html.match(/<svg /g) ?? []).length, 1, 'one plot');
    assert.match(html, /messages per op \(log\)/);
    assert.match(html, /c·n² through pbft/);
    assert.match(html, /<th>pbftMsgsPerOp<\/th>/);
    assert.match(html, /truthkit experiment bft-cost --seed 3 --quick/);
    assert.doesNotMatch(html, /<script|<link|<img|src=|href=|url\(|@import|https?:/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--report into a missing folder, or onto a folder, is a one-line usage error before any run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-report-'));
  try {
    for (const [path, says] of [
      [join(dir, 'nope', 'out.html'), /the folder .*nope does not exist/],
      [dir, /that is a folder/],
    ] as const) {
      const { value, cpuMs } = await cpuOf(() => cli(['experiment', 'bft-cost', '--report', path]));
      const { code, out, err } = value;
      assert.equal(code, 2);
      assert.equal(out, '');
      assert.match(err, says);
      assert.equal(err.trim().split('\n').length, 1, `one line: ${err}`);
      assert.doesNotMatch(err, /at .*\.js:\d+/, 'no stack trace');
      // The path is refused before the run starts. Judged in CPU time, which load does not
      // stretch: a refusal took 54-127 ms of CPU here, bft-cost --quick alone 1.75 s.
      assert.ok(cpuMs < 1000, `${cpuMs} ms of CPU: the run started`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown experiment is a usage error naming the choices', async () => {
  const { code, err } = await cli(['experiment', 'nope']);
  assert.equal(code, 2);
  assert.match(err, /unknown experiment 'nope' \(choose from .*bft-cost/);
});
