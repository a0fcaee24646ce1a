/** needTool: a missing tool skips with a reason locally and fails the run under CI. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inCi, needTool, probe, ToolMissingError, TOOLS, type Tool } from './tools.js';

const missingUnderCi = (tool: Tool) => (e: unknown) =>
  e instanceof ToolMissingError &&
  e.code === 'TOOL_MISSING' &&
  e.tool === tool &&
  e.message.includes('.ci/run');

test('a present tool never skips, CI or not', () => {
  assert.equal(needTool('etcd', true, {}), false);
  assert.equal(needTool('etcd', true, { CI: 'true' }), false);
});

test('locally a missing tool gives the skip reason, naming its Debian package', () => {
  for (const tool of Object.keys(TOOLS) as Tool[]) {
    const reason = needTool(tool, false, {});
    assert.equal(reason, `${tool} is not installed (apt-get install ${TOOLS[tool]})`);
  }
  assert.equal(typeof needTool('kcat', false, { CI: '' }), 'string', 'an empty CI is unset');
});

test('under CI a missing tool is an error naming the tool', () => {
  for (const tool of Object.keys(TOOLS) as Tool[]) {
    assert.throws(() => needTool(tool, false, { CI: 'true' }), missingUnderCi(tool));
  }
  assert.equal(inCi({ CI: '1' }), true);
  assert.equal(inCi({}), false);
});

test('every tool has a probe, and a probe answers without throwing a skip', () => {
  assert.deepEqual(Object.keys(probe).sort(), Object.keys(TOOLS).sort());
  assert.equal(typeof probe.chromium(), 'boolean');
});

test('end to end: a test file needing a missing tool skips locally and fails under CI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-need-tool-'));
  try {
    const tools = new URL('./tools.js', import.meta.url).href;
    const file = join(dir, 'needs-kcat.test.mjs');
    writeFileSync(
      file,
      `import { test } from 'node:test';
import { needTool } from ${JSON.stringify(tools)};
test('drives kcat', { skip: needTool('kcat', false) }, () => {});
`,
    );
    const run = (ci: string | undefined) => {
      const env = { ...process.env };
      delete env['CI'];
      delete env['NODE_TEST_CONTEXT']; // else the child reports to this runner, not to stdout
      if (ci !== undefined) env['CI'] = ci;
      return spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], {
        encoding: 'utf8',
        env,
        timeout: 30_000,
      });
    };
    const local = run(undefined);
    assert.equal(local.status, 0, local.stdout + local.stderr);
    assert.match(local.stdout, /# SKIP kcat is not installed \(apt-get install kcat\)/);
    const ci = run('true');
    assert.notEqual(ci.status, 0, 'the CI run must fail');
    assert.match(ci.stdout + ci.stderr, /CI is set and kcat is not installed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
