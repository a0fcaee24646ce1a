import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeShare, encodeShare, ShareError } from '../../lab/src/share-url.js';
import {
  configProblem,
  cliCommand,
  defaultConfig,
  type RunConfig,
} from '../../lab/src/run-config.js';
import { getSystem, systems } from '../../src/systems/index.js';
import type { ScriptAction } from '../../src/sim/script.js';

const config: RunConfig = {
  system: 'kv-single',
  nodes: 3,
  seed: 42,
  nemesis: 'crash,clock-skew',
  ops: 500,
  mutant: 'ack-before-sync',
  params: {},
};
const script: ScriptAction[] = [
  { kind: 'partition', blocked: [['n1', 'n2']], at: 12.5 },
  { kind: 'crash', node: 'n3', at: 40 },
  { kind: 'clock', node: 'n2', offset: -300, drift: 0.01, at: 41.25 },
  { kind: 'heal', at: 90 },
];

test('a run and its script survive the round trip through a URL fragment', () => {
  const fragment = encodeShare({ config, script });
  assert.deepEqual(decodeShare(`#${fragment}`, systems()), { config, script });
  const plain = encodeShare({ config: { ...config, mutant: null }, script: [] });
  assert.ok(!plain.includes('script'));
  assert.deepEqual(decodeShare(plain, systems()), {
    config: { ...config, mutant: null },
    script: [],
  });
});

test('an empty fragment shares nothing', () => {
  assert.equal(decodeShare('', systems()), undefined);
  assert.equal(decodeShare('#', systems()), undefined);
});

test('malformed links are refused with the reason', () => {
  const bad: [string, RegExp][] = [
    ['nodes=3', /names no system/],
    ['system=nope', /unknown system 'nope'/],
    ['system=kv-single&nodes=x', /'nodes' in the link is not a whole number/],
    ['system=kv-single&nodes=99', /runs on 1–15 nodes/],
    ['system=kv-single&nemesis=meteor', /unknown nemesis 'meteor'/],
    ['system=kv-single&mutant=nope', /has no mutant 'nope'/],
    ['system=kv-single&script=%5B', /script is not valid JSON/],
    [
      `system=kv-single&nodes=3&script=${encodeURIComponent('[{"kind":"crash","node":"n7","at":1}]')}`,
      /unknown node "n7"/,
    ],
    [`system=kv-single&script=${encodeURIComponent('{"kind":"heal"}')}`, /a script is a list/],
  ];
  for (const [fragment, why] of bad) {
    assert.throws(
      () => decodeShare(fragment, systems()),
      (e: Error) => {
        assert.ok(e instanceof ShareError, fragment);
        assert.match(e.message, why);
        return true;
      },
    );
  }
});

test('configs are checked, defaulted from the system, and told as a CLI command', () => {
  const single = getSystem('kv-single')!;
  assert.equal(configProblem(defaultConfig(single), systems()), undefined);
  assert.match(configProblem({ ...config, ops: 0 }, systems()) ?? '', /1–20000 operations/);
  assert.match(configProblem({ ...config, seed: -1 }, systems()) ?? '', /seed/);
  assert.equal(
    cliCommand(config),
    'npx truthkit sim kv-single --nodes 3 --seed 42 --nemesis crash,clock-skew --ops 500 --mutant ack-before-sync',
  );
});

test("a system's params travel in the link, are checked, and reach the CLI command", () => {
  const raft: RunConfig = {
    system: 'kv-raft',
    nodes: 5,
    seed: 3,
    nemesis: 'clock-skew',
    ops: 200,
    mutant: null,
    params: { reads: 'lease', 'snapshot-every': '16' },
  };
  const back = decodeShare(encodeShare({ config: raft, script: [] }), systems());
  assert.deepEqual(back?.config, raft);
  assert.match(cliCommand(raft), /--param reads=lease --param snapshot-every=16$/);
  assert.match(
    configProblem({ ...raft, params: { colour: 'blue' } }, systems()) ?? '',
    /has no param 'colour'/,
  );
  assert.ok(configProblem({ ...raft, params: { reads: 'psychic' } }, systems()) !== undefined);
});
