/**
 * kcat (librdkafka) against `cluster up --system kafka` through the bootstrap list: a topic
 * auto-created on first use, records produced with acks=all and idempotence on, read back from
 * the beginning and by a consumer group. Skipped when kcat is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { upKafka } from './cluster-fixture.js';
import { needTool, probe } from '../../support/tools.js';

const hasKcat = probe.kcat();

function kcat(args: readonly string[], input?: string): string[] {
  const r = spawnSync('kcat', [...args], { input: input ?? '', encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `kcat ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test(
  'kcat: produce with acks=all and consume against the bootstrap servers',
  { skip: needTool('kcat', hasKcat), timeout: 60_000 },
  async (t) => {
    const c = await upKafka(t);
    const b = c.bootstrap.join(',');
    const lines = Array.from({ length: 25 }, (_, i) => `line-${i}`);
    kcat(
      ['-b', b, '-P', '-t', 'kt', '-X', 'acks=all', '-X', 'enable.idempotence=true'],
      lines.join('\n') + '\n',
    );
    assert.deepEqual(kcat(['-b', b, '-C', '-t', 'kt', '-o', 'beginning', '-e', '-q']), lines);
    const group = kcat(['-b', b, '-G', 'kg', '-X', 'auto.offset.reset=earliest', '-e', '-q', 'kt']);
    assert.deepEqual([...group].sort(), [...lines].sort());
  },
);
