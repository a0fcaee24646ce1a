/** `truthkit check`: output and exit codes, through the command module with main()'s error handling. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { checkCommand } from '../../src/cli/commands/check.js';
import { EXIT, UsageError } from '../../src/cli/usage-error.js';

const FIXTURES = new URL('../../../test/fixtures/porcupine/', import.meta.url);
const fixture = (name: string) => new URL(name, FIXTURES).pathname;

/** Runs `truthkit check …` the way src/cli/main.ts does: one line on stderr for usage errors. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code: number = EXIT.ok;
  const program = new Command('truthkit')
    .exitOverride()
    .configureOutput({ writeOut: (t) => (out += t), writeErr: () => {} });
  checkCommand(program, { out: (t) => (out += t), err: (t) => (err += t) }, (c) => {
    code = Math.max(code, c);
  });
  try {
    await program.parseAsync(['check', ...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError || e instanceof UsageError)) throw e;
    err += `truthkit: ${e.message.replace(/^error: /, '')}\n`;
    code = EXIT.usage;
  }
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'truthkit-check-'));

describe('truthkit check', () => {
  test('a linearizable history exits 0 with a one-line summary', async () => {
    const { code, out, err } = await run(fixture('jepsen/etcd_002.log'));
    assert.equal(code, EXIT.ok);
    assert.equal(err, '');
    assert.match(out, /etcd_002\.log: linearizable — register model, \d+ operations, 1 partition/);
  });

  test('an empty history is a usage error that says so, whatever the model', async () => {
    for (const [name, text] of [
      ['empty.jsonl', ''],
      ['blank.jsonl', '\n\n'],
    ]) {
      const file = join(tmp, name as string);
      writeFileSync(file, text as string);
      for (const model of [[], ['--model', 'kv']]) {
        const { code, out, err } = await run(file, ...model);
        assert.equal(code, EXIT.usage);
        assert.equal(out, '');
        assert.equal(err, `truthkit: ${file}: the history is empty (no operations to check)\n`);
      }
    }
  });

  test('a violation exits 1 and prints the evidence', async () => {
    const { code, out } = await run(fixture('kv/c10-bad.txt'));
    assert.equal(code, EXIT.invalid);
    assert.match(out, /NOT linearizable — kv model, 405 operations, 10 partitions/);
    assert.match(out, /Violation in key "0"/);
    assert.match(out, /Longest linearizable prefix: \d+ operations/);
    assert.match(out, /✗ #\d+ client \d+: get "0"/);
  });

  test('--json prints the result as JSON', async () => {
    const { code, out } = await run(fixture('kv/c01-bad.txt'), '--json', '--no-partition');
    assert.equal(code, EXIT.invalid);
    const json = JSON.parse(out) as Record<string, unknown>;
    assert.equal(json.verdict, 'invalid');
    assert.equal(json.ops, 38);
    assert.equal(json.partitions, 1);
    assert.equal(json.format, 'edn');
    assert.equal(json.model, 'kv');
    assert.equal(typeof json.wallMs, 'number');
    const evidence = json.evidence as { prefix: unknown[]; blocked: unknown[]; partition: unknown };
    assert.equal(evidence.partition, null);
    assert.ok(evidence.blocked.length > 0);
  });

  test('an exhausted budget exits 3', async () => {
    const { code, out } = await run(
      fixture('kv/c10-ok.txt'),
      '--no-partition',
      '--timeout',
      '0ms',
      '--json',
    );
    assert.equal(code, EXIT.unknown);
    assert.equal((JSON.parse(out) as { verdict: string }).verdict, 'unknown');
  });

  test('--report writes a self-contained HTML timeline', async () => {
    const report = join(tmp, 'report.html');
    const { code, out } = await run(fixture('jepsen/etcd_000.log'), '--report', report);
    assert.equal(code, EXIT.invalid);
    assert.match(out, /Report written to/);
    const html = readFileSync(report, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<svg /);
    assert.doesNotMatch(html, /<script|<link|https?:\/\//);
  });

  test('JSON-lines histories need --model', async () => {
    const file = join(tmp, 'h.jsonl');
    writeFileSync(
      file,
      [
        {
          id: 0,
          process: 0,
          f: 'put',
          key: 'k',
          value: 'a',
          invoke: 0,
          complete: 1,
          outcome: 'ok',
        },
        {
          id: 1,
          process: 1,
          f: 'get',
          key: 'k',
          result: 'a',
          invoke: 2,
          complete: 3,
          outcome: 'ok',
        },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const without = await run(file);
    assert.equal(without.code, EXIT.usage);
    assert.equal(
      without.err,
      'truthkit: --model is required for jsonl histories (kv, multi-register, mutex, register, znode)\n',
    );
    const withModel = await run(file, '--model', 'kv');
    assert.equal(withModel.code, EXIT.ok);
  });

  const usageCases: [string, string[], RegExp][] = [
    [
      'a missing file',
      ['/nonexistent/history.jsonl'],
      /^truthkit: cannot read \/nonexistent\/history\.jsonl: ENOENT\n$/,
    ],
    [
      'an unknown model',
      [fixture('kv/c01-ok.txt'), '--model', 'queue'],
      /^truthkit: unknown model "queue" \(kv, multi-register, mutex, register, znode\)\n$/,
    ],
    [
      'an unknown format',
      [fixture('kv/c01-ok.txt'), '--format', 'xml'],
      /^truthkit: option '--format <format>' argument 'xml' is invalid/,
    ],
    [
      'a bad timeout',
      [fixture('kv/c01-ok.txt'), '--timeout', 'soon'],
      /^truthkit: option '--timeout <duration>' argument 'soon' is invalid\. expected a duration/,
    ],
    [
      'a file in the wrong format',
      [fixture('kv/c01-ok.txt'), '--format', 'jsonl'],
      /^truthkit: .*c01-ok\.txt:1: not JSON/,
    ],
    [
      'a history the model rejects',
      [fixture('kv/c01-ok.txt'), '--model', 'register'],
      /^truthkit: operation 0: register has no operation "append"/,
    ],
    ['a missing argument', [], /^truthkit: missing required argument 'file'/],
  ];
  for (const [what, args, message] of usageCases) {
    test(`${what} exits 2 with one line on stderr`, async () => {
      const { code, err, out } = await run(...args);
      assert.equal(code, EXIT.usage);
      assert.match(err, message);
      assert.equal(err.split('\n').length, 2, 'exactly one line');
      assert.equal(out, '');
    });
  }
});
