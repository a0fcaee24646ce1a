/** `truthkit experiment`: what it prints. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';

test('experiment NAME --json prints {name, claim, rows, measured, verdict}', async () => {
  let out = '';
  const code = await main(['experiment', 'selfish-mining', '--quick', '--json'], {
    out: (t) => (out += t),
    err: () => {},
    interactive: false,
  });
  assert.equal(code, 0);
  const j = JSON.parse(out);
  assert.deepEqual(Object.keys(j), ['name', 'claim', 'rows', 'measured', 'verdict']);
});
