import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemParams } from '../../src/cli/system-params.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { getSystem } from '../../src/systems/index.js';
import { cli } from './run-cli.js';

const cluster = ['n1', 'n2', 'n3'];

test('systemParams: none given is undefined; name=value pairs, implied pairs and values holding =', () => {
  const raft = getSystem('kv-raft');
  assert.ok(raft);
  assert.equal(systemParams(raft, [], cluster), undefined);
  assert.deepEqual(systemParams(raft, ['voters=n1,n2', 'reads=lease'], cluster), {
    voters: 'n1,n2',
    reads: 'lease',
  });
  const pbft = getSystem('pbft');
  assert.ok(pbft);
  assert.deepEqual(systemParams(pbft, [], ['n1', 'n2', 'n3', 'n4'], [['byzantine', '1']]), {
    byzantine: '1',
  });
  const refused = (given: string[], says: RegExp): void =>
    assert.throws(
      () => systemParams(raft, given, cluster),
      (e) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, says);
        return true;
      },
    );
  refused(['voters'], /^bad --param 'voters': use name=value$/);
  refused(['=n1'], /^bad --param '=n1': use name=value$/);
  refused(['vot ers=n1'], /^bad --param 'vot ers=n1': use name=value$/);
  refused(['colour=red'], /^kv-raft has no param 'colour' \(choose from voters, (.+, )?reads, /);
  // A value the system takes alone but not in this cluster.
  refused(['voters=n9'], /n9 is not in the cluster \(n1, n2, n3\)/);
});

/** Both commands, the same words: sim runs the system, node would start it. */
test('sim and node refuse an unknown and a malformed --param alike, and take a good one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-params-'));
  try {
    const node = (...param: string[]): Promise<{ code: number; err: string }> =>
      cli(
        'node',
        ...['--system', 'kv-raft', '--id', 'n1', '--listen', '127.0.0.1:0', '--data', dir],
        ...['--peers', 'n2=127.0.0.1:1,n3=127.0.0.1:2'],
        ...param.flatMap((p) => ['--param', p]),
      );
    const sim = (...param: string[]): Promise<{ code: number; err: string }> =>
      cli('sim', 'kv-raft', '--nodes', '3', '--ops', '20', ...param.flatMap((p) => ['--param', p]));
    for (const run of [node, sim]) {
      const unknown = await run('colour=red');
      assert.equal(unknown.code, 2);
      assert.match(
        unknown.err,
        /^truthkit: kv-raft has no param 'colour' \(choose from [^\n]+\)\n$/,
      );
      const malformed = await run('voters');
      assert.deepEqual(
        [malformed.code, malformed.err],
        [2, "truthkit: bad --param 'voters': use name=value\n"],
      );
    }
    // A good param passes the check: sim runs (and judges the run valid), and node gets as far
    // as the next thing it checks, the cluster secret it was not given.
    const good = await sim('voters=n1,n2,n3', 'reads=lease');
    assert.equal(good.code, 0, good.err);
    const started = await node('voters=n1,n2,n3');
    assert.deepEqual(
      [started.code, started.err],
      [2, 'truthkit: peers authenticate with a cluster secret: pass --secret-file\n'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
