import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { cli } from './run-cli.js';
import { FINDINGS_ARE_RESULTS } from '../../src/cli/sweep/k8s.js';

// js-yaml is in node_modules through ESLint; the manifest is written without it (see k8s.ts),
// and read back with it here, so a quoting mistake shows up as a different value.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface Container {
  name: string;
  image: string;
  command: string[];
  args: string[];
  env: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }[];
  resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface Job {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode: string;
    completions: number;
    parallelism: number;
    backoffLimit: number;
    template: {
      spec: {
        restartPolicy: string;
        initContainers: Container[];
        containers: Container[];
        volumes: { name: string; persistentVolumeClaim: { claimName: string } }[];
      };
    };
  };
}

test('sweep k8s writes an Indexed Job: one completion per shard, the index passed as the shard', async () => {
  const r = await cli(
    'sweep',
    'k8s',
    '--shards',
    '8',
    '--parallelism',
    '3',
    '--image',
    'ghcr.io/example/truthkit:1.2',
    '--name',
    'raft-10k',
    '--',
    'kv-raft',
    '--nemesis',
    'all',
    '--seeds',
    '10000',
    '--param',
    'voters=n1,n2,n3',
    '--latency',
    'exp:5,floor=1',
  );
  assert.equal(r.code, 0, r.err);
  const job = yaml.load(r.out) as Job;
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.kind, 'Job');
  assert.equal(job.metadata.name, 'raft-10k');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.completions, 8);
  assert.equal(job.spec.parallelism, 3);
  assert.equal(job.spec.backoffLimit, 16);
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, 'Never');
  const [c] = pod.containers;
  assert.ok(c !== undefined && pod.containers.length === 1);
  assert.equal(c.image, 'ghcr.io/example/truthkit:1.2');
  assert.deepEqual(c.command, ['sh', '-c', FINDINGS_ARE_RESULTS, 'truthkit-sweep']);
  assert.deepEqual(c.args, [
    'sim',
    'kv-raft',
    '--nemesis',
    'all',
    '--seeds',
    '10000',
    '--param',
    'voters=n1,n2,n3',
    '--latency',
    'exp:5,floor=1',
    '--no-progress',
    '--shard',
    '$(JOB_COMPLETION_INDEX)/8',
    '--jsonl',
    '/out/raft-10k/shard-$(JOB_COMPLETION_INDEX).jsonl',
  ]);
  assert.deepEqual(c.env, [
    {
      name: 'JOB_COMPLETION_INDEX',
      valueFrom: {
        fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
      },
    },
  ]);
  assert.deepEqual(c.resources, {
    requests: { cpu: '1', memory: '1Gi' },
    limits: { memory: '1Gi' },
  });
  assert.deepEqual(c.volumeMounts, [{ name: 'out', mountPath: '/out' }]);
  assert.deepEqual(pod.volumes, [
    { name: 'out', persistentVolumeClaim: { claimName: 'truthkit-sweeps' } },
  ]);
  assert.deepEqual(pod.initContainers[0]?.command, ['mkdir', '-p', '/out/raft-10k']);
});

test('the wrapper keeps findings as results and fails the pod on usage or internal errors', async () => {
  const { spawnSync } = await import('node:child_process');
  for (const [code, podExit] of [
    [0, 0],
    [1, 0],
    [3, 0],
    [2, 2],
    [70, 70],
  ] as const) {
    // A stand-in `truthkit`: a shell function that returns `code`.
    const script = `truthkit() { return ${code}; }; ${FINDINGS_ARE_RESULTS}`;
    const r = spawnSync('sh', ['-c', script, 'truthkit-sweep', 'sim', 'x']);
    assert.equal(r.status, podExit, `truthkit exit ${code}`);
  }
});

test('sweep k8s refuses what would fail in every pod', async () => {
  const bad: [string[], RegExp][] = [
    [['--shards', '4', '--', 'kv-rafx', '--seeds', '100'], /unknown system 'kv-rafx'/],
    [
      ['--shards', '4', '--', 'kv-raft', '--seeds', '100', '--bogus'],
      /sim arguments: unknown option '--bogus'/,
    ],
    [['--shards', '4', '--', 'kv-raft', '--seeds', 'x'], /sim arguments: /],
    [
      ['--shards', '4', '--', 'kv-raft', '--mutant', 'nope', '--seeds', '9'],
      /has no mutant 'nope'/,
    ],
    [
      ['--shards', '2', '--', 'kv-raft', '--seeds', '9', '--param', 'nope=1'],
      /sim arguments: .*nope/,
    ],
    [['--shards', '2', '--', 'pbft', '--seeds', '9', '--nodes', '2'], /needs at least/],
    [['--shards', '4', '--', 'kv-raft', '--seeds', '100', '--shard', '0/2'], /--shard is not for/],
    [['--shards', '4', '--', 'kv-raft', '--seeds', '100', '--jsonl=x'], /--jsonl is not for/],
    [
      ['--shards', '40', '--', 'kv-raft', '--seeds', '10'],
      /--shards 40 exceeds the sweep's 10 seed/,
    ],
    [
      ['--shards', '4', '--parallelism', '5', '--', 'kv-raft', '--seeds', '10'],
      /--parallelism 5 exceeds/,
    ],
    [['--shards', '0', '--', 'kv-raft', '--seeds', '10'], /--shards/],
    [['--shards', '2', '--name', 'Bad_Name', '--', 'kv-raft', '--seeds', '10'], /--name Bad_Name/],
    [['--shards', '2', '--cpu', 'lots', '--', 'kv-raft', '--seeds', '10'], /--cpu lots/],
    [['--shards', '2', '--image', 'a b', '--', 'kv-raft', '--seeds', '10'], /--image/],
    [['--', 'kv-raft', '--seeds', '10'], /--shards/],
  ];
  for (const [args, message] of bad) {
    const r = await cli('sweep', 'k8s', ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.out, '');
    assert.match(r.err, message, args.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});
