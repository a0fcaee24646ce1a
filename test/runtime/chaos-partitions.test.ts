/**
 * `truthkit chaos --partitions` end to end on real processes: a short kv-raft run mixing a kill
 * and partitions is valid, loses nothing, every cut of the leader shows a new leader on the
 * majority side and no cut-off member acknowledges a write during a cut; the same run through
 * the `forward-all` proxy mutant (cuts recorded, never enforced) sees no new leader and the
 * cut-off leader acknowledging writes, and is not judged valid. A run interrupted during a cut
 * leaves no member running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/run-cli.js';
import { ChaosAbortedError, runChaos } from '../../src/runtime/chaos/run-chaos.js';
import { clusterDown, readClusterFile, runningPid } from '../../src/runtime/cluster.js';

test(
  'kv-raft: a kill and partitions under load, valid, nothing lost, the leader’s cut took',
  { timeout: 30_000 },
  async (t) => {
    const r = await cli(
      'chaos',
      '--system',
      'kv-raft',
      '--kills',
      '1',
      '--partitions',
      '2',
      '--duration',
      '6s',
      '--seed',
      '2', // two cuts of the leader: one severed, one stalled
      '--json',
    );
    assert.equal(r.code, 0, r.out + r.err);
    t.diagnostic(r.out.trim());
    const report = JSON.parse(r.out) as {
      kills: number;
      partitions: number;
      stalledPartitions: number;
      leaderPartitions: number;
      newLeaders: number;
      cutOffAcks: number;
      acknowledgedWrites: number;
      lost: unknown[];
      verdict: string;
    };
    assert.equal(report.kills, 1);
    assert.equal(report.partitions, 2);
    assert.equal(report.stalledPartitions, 1);
    // The first partition of a run always cuts the leader off.
    assert.ok(report.leaderPartitions >= 1);
    assert.equal(report.newLeaders, report.leaderPartitions);
    assert.equal(report.cutOffAcks, 0);
    assert.ok(report.acknowledgedWrites >= 50, `only ${report.acknowledgedWrites} acknowledged`);
    assert.deepEqual([report.lost.length, report.verdict], [0, 'valid']);
  },
);

test(
  'the forward-all proxy mutant: the leader is cut off and nothing changes, so the run says so',
  { timeout: 30_000 },
  async () => {
    const r = await runChaos({
      system: 'kv-raft',
      nodes: 3,
      kills: 0,
      partitions: 1,
      durationMs: 2000,
      seed: 1,
      proxyMutant: 'forward-all',
    });
    assert.deepEqual([r.partitions, r.leaderPartitions, r.newLeaders], [1, 1, 0]);
    assert.equal(r.verdict, 'unknown');
    assert.ok(r.cutOffAcks > 0, 'the cut-off leader acknowledged no write');
    assert.equal(r.problems.length, 2, r.problems.join('; '));
    assert.match(r.problems[1] ?? '', /acknowledged by a cut-off member before the heal/);
    assert.match(
      r.problems[0] ?? '',
      /^partition 1: n\d \(leader in term \d+\) was cut off .* did the cut take\?$/,
    );
  },
);

test('a run interrupted during a cut tears its cluster down', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-chaos-cut-'));
  t.after(async () => {
    await clusterDown(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  const abort = new AbortController();
  const run = runChaos({
    system: 'kv-raft',
    nodes: 3,
    kills: 1,
    partitions: 1,
    durationMs: 10_000,
    seed: 2,
    dir,
    signal: abort.signal,
    log: () => abort.abort(), // stop at the first fault
  });
  await assert.rejects(run, ChaosAbortedError);
  const nodes = readClusterFile(dir).nodes;
  // The members dialed each other through the proxies.
  assert.ok(nodes.every((n) => n.dial !== undefined && n.dial !== n.peer));
  for (const n of nodes) assert.equal(runningPid(dir, n.id), undefined, `${n.id} still runs`);
});
