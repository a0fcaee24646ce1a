import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function ruleHits(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId?.startsWith('no-restricted'))
    .map((m) => m.message);
}

const forbidden: [string, string][] = [
  ['Date.now()', 'const t = Date.now();'],
  ['new Date()', 'const d = new Date();'],
  ['Math.random()', 'const r = Math.random();'],
  ['setTimeout', 'setTimeout(() => {}, 1);'],
  ['setInterval', 'setInterval(() => {}, 1);'],
  ['setImmediate', 'setImmediate(() => {});'],
  ['performance.now()', 'const p = performance.now();'],
  ['process.env', 'const e = process.env.HOME;'],
  ['node:fs', "import { readFileSync } from 'node:fs';\nreadFileSync('x');"],
  ['fs', "import { readFileSync } from 'fs';\nreadFileSync('x');"],
  ['node:net', "import net from 'node:net';\nnet.connect(1);"],
  ['node:dgram', "import dgram from 'node:dgram';\ndgram.createSocket('udp4');"],
  ['node:child_process', "import cp from 'node:child_process';\ncp.spawn('x');"],
  ['node:worker_threads', "import wt from 'node:worker_threads';\nexport const w = wt;"],
];

for (const dir of ['src/core', 'src/protocols/raft', 'src/systems/kv']) {
  for (const [what, code] of forbidden) {
    test(`the determinism rule forbids ${what} in ${dir}`, async () => {
      const hits = await ruleHits(code, `${dir}/example.ts`);
      assert.ok(hits.length > 0, `${what} slipped through in ${dir}`);
      assert.match(hits.join(' '), /node environment|NodeEnv/);
    });
  }
}

test('the rule leaves the simulator and the CLI alone (they are the environment)', async () => {
  assert.deepEqual(await ruleHits('export const t = Date.now();', 'src/sim/example.ts'), []);
  assert.deepEqual(
    await ruleHits(
      "import { readFileSync } from 'node:fs';\nreadFileSync('x');",
      'src/cli/example.ts',
    ),
    [],
  );
});
