/** scripts/check-test-assertions.mjs: what it flags as a test asserting nothing, and what not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(
  new URL('../../../scripts/check-test-assertions.mjs', import.meta.url),
);

/** Runs the script over `files` (name → source) in a fresh folder: exit code and lines. */
function check(files: Record<string, string>): { code: number | null; flagged: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-assertions-'));
  try {
    for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
    const r = spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' });
    const flagged = r.stderr
      .split('\n')
      .map((l) => /test '([^']*)' asserts nothing/.exec(l)?.[1])
      .filter((name): name is string => name !== undefined);
    return { code: r.status, flagged };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HEADER = "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n";

test('a test with no assertion is flagged, with its file and line, and the script fails', () => {
  const src = `${HEADER}test('adds', () => {\n  const x = 1 + 1;\n  void x;\n});\n`;
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-assertions-'));
  try {
    writeFileSync(join(dir, 'vacuous.test.ts'), src);
    const r = spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /vacuous\.test\.ts:3: test 'adds' asserts nothing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a test that asserts, directly or through a helper here or imported, passes', () => {
  const r = check({
    'helpers.ts': `import assert from 'node:assert/strict';
export function sameLength(a: string, b: string): void { assert.equal(a.length, b.length); }
export const SCENARIOS = { one: () => sameLength('a', 'b'), two() { sameLength('', '') } };
`,
    'good.test.ts': `${HEADER}import { sameLength, SCENARIOS } from './helpers.js';
function local(v: number): void { if (v < 0) throw new Error('negative'); }
test('direct', () => { assert.equal(1, 1); });
test('t.assert', (t) => { t.assert.ok(true); });
test('assert-named method', () => { const c = { assertFine() {} }; c.assertFine(); });
test('local helper that throws', () => local(1));
test('imported helper', () => sameLength('x', 'y'));
for (const [name, scenario] of Object.entries(SCENARIOS)) test(name, () => scenario());
test('by name', (t) => SCENARIOS[t.name === 'x' ? 'one' : 'two']());
test('only subtests', async (t) => { await t.test('inner', () => assert.ok(true)); });
test('skip placeholder', { skip: 'reported elsewhere' }, () => {});
test.todo('later');
// no-assert: the point is that construction completes
test('allowed', () => { new Date(0); });
`,
  });
  assert.deepEqual(r.flagged, []);
  assert.equal(r.code, 0);
});

test('calls that look like assertions but are not are still flagged', () => {
  const r = check({
    'quiet.ts': `export function run(x: number): number { return x * 2; }\n`,
    'bad.test.ts': `${HEADER}import { run } from './quiet.js';
import { check as verify } from '../../src/check/index.js';
function helper(): number { return 3; }
test('local helper without assertion', () => { helper(); });
test('imported helper without assertion', () => { run(2); });
test('regex test is not a subtest', () => { /a/.test('a'); });
test('a checker called, its result ignored', () => { verify([]); });
test('empty body without skip', () => {});
test('empty reason', () => { helper(); }); // no-assert:
test('an assertion only in a string', () => { const s = 'assert.ok(true)'; void s; });
`,
  });
  assert.deepEqual(r.flagged, [
    'local helper without assertion',
    'imported helper without assertion',
    'regex test is not a subtest',
    'a checker called, its result ignored',
    'empty body without skip',
    'empty reason',
    'an assertion only in a string',
  ]);
  assert.equal(r.code, 1);
});

test('a wrapper that hands its body to test(...) makes its calls tests', () => {
  const r = check({
    'wrapped.test.ts': `${HEADER}function withServer(name: string, fn: () => void): void {
  test(name, { timeout: 1000 }, fn);
}
withServer('asserts', () => assert.ok(true));
withServer('does not', () => {});
`,
  });
  assert.deepEqual(r.flagged, ['does not']);
});
