/** scripts/check-test-assertions.mjs: what it flags as a test asserting nothing, and what not. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(
  new URL('../../../scripts/check-test-assertions.mjs', import.meta.url),
);

const HEADER = "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n";

/** Every fixture in one folder, so that the script (which loads TypeScript) runs twice, not once a case. */
const FIXTURES: Record<string, string> = {
  'vacuous.test.ts': `${HEADER}test('adds', () => {\n  const x = 1 + 1;\n  void x;\n});\n`,
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
  'wrapped.test.ts': `${HEADER}function withServer(name: string, fn: () => void): void {
  test(name, { timeout: 1000 }, fn);
}
withServer('asserts', () => assert.ok(true));
withServer('does not', () => {});
`,
};

interface Run {
  readonly code: number | null;
  readonly stderr: string;
  /** Flagged tests' names, by file. */
  readonly flagged: Map<string, string[]>;
}

let dir = '';
let all: Run | undefined;

/** Runs the script on `paths` (inside the fixture folder). */
function run(...paths: string[]): Run {
  const r = spawnSync(process.execPath, [SCRIPT, ...paths.map((p) => join(dir, p))], {
    encoding: 'utf8',
  });
  const flagged = new Map<string, string[]>();
  for (const line of r.stderr.split('\n')) {
    const m = /([\w.-]+\.ts):\d+: test '([^']*)' asserts nothing/.exec(line);
    if (m === null) continue;
    const [, file, name] = m as unknown as [string, string, string];
    flagged.set(file, [...(flagged.get(file) ?? []), name]);
  }
  return { code: r.status, stderr: r.stderr, flagged };
}

const whole = (): Run => {
  all ??= run('.');
  return all;
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'truthkit-assertions-'));
  for (const [name, source] of Object.entries(FIXTURES)) writeFileSync(join(dir, name), source);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a test with no assertion is flagged, with its file and line, and the script fails', () => {
  const r = whole();
  assert.equal(r.code, 1);
  assert.match(r.stderr, /vacuous\.test\.ts:3: test 'adds' asserts nothing/);
  assert.deepEqual(r.flagged.get('vacuous.test.ts'), ['adds']);
});

test('a test that asserts, directly or through a helper here or imported, passes', () => {
  assert.equal(whole().flagged.get('good.test.ts'), undefined);
  const alone = run('good.test.ts');
  assert.equal(alone.code, 0, alone.stderr);
});

test('calls that look like assertions but are not are still flagged', () => {
  assert.deepEqual(whole().flagged.get('bad.test.ts'), [
    'local helper without assertion',
    'imported helper without assertion',
    'regex test is not a subtest',
    'a checker called, its result ignored',
    'empty body without skip',
    'empty reason',
    'an assertion only in a string',
  ]);
});

test('a wrapper that hands its body to test(...) makes its calls tests', () => {
  assert.deepEqual(whole().flagged.get('wrapped.test.ts'), ['does not']);
});
