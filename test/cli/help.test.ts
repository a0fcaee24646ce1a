/** Top-level help, --version and a bare `truthkit`, which load no command. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { COMMANDS } from '../../src/cli/main.js';
import { cli } from './run-cli.js';

/** The "Commands:" part of a help text. */
const commandsPart = (help: string): string => help.slice(help.indexOf('\nCommands:\n'));

test('the help lists each command as the command itself registers it', async () => {
  const real = new Command('truthkit');
  for (const load of Object.values(COMMANDS))
    (await load())(real, { out: () => {}, err: () => {}, interactive: false }, () => {});
  const expected = commandsPart(real.helpInformation());
  assert.match(expected, /check \[options\] <file>/);
  const { code, out } = await cli('--help');
  assert.equal(code, 0);
  assert.equal(commandsPart(out), expected);
});

test('--version and -V print the package version', async () => {
  const { version } = JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  for (const flag of ['--version', '-V'])
    assert.deepEqual(await cli(flag), { code: 0, out: `${version}\n`, err: '' });
});

test('a bare `truthkit` prints the help on stderr and exits 2; a mistyped command is one line', async () => {
  const bare = await cli();
  assert.equal(bare.code, 2);
  assert.match(bare.err, /^Usage: truthkit \[options\] \[command\]/);
  const typo = await cli('chek');
  assert.deepEqual(typo, {
    code: 2,
    out: '',
    err: "truthkit: unknown command 'chek' (Did you mean check?)\n",
  });
});

test('a command group with no subcommand prints its help on stderr and exits 2', async () => {
  for (const [group, sub] of [
    ['cluster', 'up'],
    ['sweep', 'merge'],
    ['wal', 'repair'],
    ['kv', 'put'],
    ['chain', 'header'],
    ['merkle', 'root'],
  ] as const) {
    const { code, out, err } = await cli(group);
    assert.equal(code, 2, group);
    assert.equal(out, '', group);
    assert.match(err, new RegExp(`^Usage: truthkit ${group} \\[options\\] \\[command\\]`), group);
    assert.match(err, new RegExp(`\\n  ${sub}\\b`), group);
  }
  // Asking for the help is not an error.
  const asked = await cli('cluster', '--help');
  assert.equal(asked.code, 0);
  assert.match(asked.out, /^Usage: truthkit cluster/);
});

test('a mistyped subcommand is one line that keeps the suggestion', async () => {
  assert.deepEqual(await cli('cluster', 'stauts'), {
    code: 2,
    out: '',
    err: "truthkit: unknown command 'stauts' (Did you mean status?)\n",
  });
  assert.deepEqual(await cli('cluster', 'zzzzzzzz'), {
    code: 2,
    out: '',
    err: "truthkit: unknown command 'zzzzzzzz'\n",
  });
});

test('`help NAME` loads that command and shows its options', async () => {
  const { code, out } = await cli('help', 'check');
  assert.equal(code, 0);
  assert.match(out, /--model <name>/);
});
