import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkOutputPath,
  OutputPathError,
  type OutputPathProblem,
} from '../../src/cli/output-path.js';
import { cli } from './run-cli.js';
import { cpuOf } from '../support/wait.js';

/**
 * A folder nobody may create files in. Root passes permission bits, so for root it is sysfs,
 * which refuses new files to everyone; otherwise a folder of our own with its write bit off.
 */
function unwritableFolder(dir: string): string {
  if (process.getuid?.() === 0) return '/sys';
  const locked = join(dir, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  return locked;
}

function problemOf(f: () => void): OutputPathProblem {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof OutputPathError, String(e));
    return e.problem;
  }
  assert.fail('no error');
}

test('checkOutputPath: a missing folder, a file as folder, a folder as file, an unwritable folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-out-'));
  try {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'kept');
    assert.equal(
      problemOf(() => checkOutputPath('--x', join(dir, 'nope', 'o'))),
      'no-folder',
    );
    assert.equal(
      problemOf(() => checkOutputPath('--x', join(file, 'sub', 'o'))),
      'no-folder',
    );
    assert.equal(
      problemOf(() => checkOutputPath('--x', join(file, 'o'))),
      'not-a-folder',
    );
    assert.equal(
      problemOf(() => checkOutputPath('--x', dir)),
      'is-a-folder',
    );
    const locked = unwritableFolder(dir);
    assert.equal(
      problemOf(() => checkOutputPath('--x', join(locked, 'o.html'))),
      'unwritable',
    );
    assert.equal(existsSync(join(locked, 'o.html')), false);

    // A good path passes and leaves nothing behind; an existing file is left as it was.
    checkOutputPath('--x', join(dir, 'new.html'));
    assert.equal(existsSync(join(dir, 'new.html')), false);
    checkOutputPath('--x', file);
    assert.equal(readFileSync(file, 'utf8'), 'kept');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('experiment --report, sim --trace/--history, chaos --history and check --report refuse a bad path alike: one line, exit 2, before any run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-out-'));
  try {
    const history = join(dir, 'h.jsonl');
    writeFileSync(history, '');
    const locked = unwritableFolder(dir);
    const commands: [string, (path: string) => string[]][] = [
      ['--report', (p) => ['experiment', 'bft-cost', '--report', p]],
      ['--trace', (p) => ['sim', 'kv-raft', '--ops', '100000', '--trace', p]],
      ['--history', (p) => ['sim', 'kv-raft', '--ops', '100000', '--history', p]],
      ['--history', (p) => ['chaos', '--history', p]],
      ['--report', (p) => ['check', history, '--report', p]],
    ];
    const paths: [string, RegExp][] = [
      [join(dir, 'nope', 'o'), /: the folder .*nope does not exist$/],
      [join(history, 'o'), /: .*h\.jsonl is not a folder$/],
      [dir, /: that is a folder$/],
      [join(locked, 'o'), /: cannot write it \(E[A-Z]+\)$/],
    ];
    for (const [option, args] of commands) {
      for (const [path, says] of paths) {
        const { value: r, cpuMs } = await cpuOf(() => cli(...args(path)));
        const what = `${args(path).join(' ')}: ${r.err}`;
        assert.equal(r.code, 2, what);
        assert.equal(r.out, '', what);
        assert.ok(r.err.startsWith(`truthkit: ${option} ${path}: `), what);
        assert.match(r.err.trimEnd(), says, what);
        assert.equal(r.err.split('\n').length, 2, `one line: ${what}`);
        // Runs cost seconds of CPU once they start (sim kv-raft took 468 ms of CPU for 3,000 ops
        // here, so about 15 s for 100,000; bft-cost --quick alone 1.75 s; chaos's 30 s run was
        // not measured); a refusal took 2-127 ms. CPU time, which load does not stretch, stands
        // for "before any run".
        assert.ok(cpuMs < 1000, `${what} (${cpuMs} ms of CPU: the run started)`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
