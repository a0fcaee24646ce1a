import { test } from 'node:test';
import { cli } from './run-cli.js';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BLOCK100000_TXIDS,
  GENESIS_HEADER,
  BLOCK125552_HEADER,
} from '../protocols/nakamoto/bitcoin-data.js';

test('chain header --json decodes the genesis header', async () => {
  const { code, out } = await cli('chain', 'header', GENESIS_HEADER, '--json');
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out), {
    hash: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
    version: 1,
    prevHash: '0'.repeat(64),
    merkleRoot: '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b',
    time: 1231006505,
    bits: '0x1d00ffff',
    nonce: 2083236893,
    target: '00000000ffff0000000000000000000000000000000000000000000000000000',
    meetsTarget: true,
  });
  const b = JSON.parse((await cli('chain', 'header', BLOCK125552_HEADER, '--json')).out);
  assert.equal(b.hash, '00000000000000001e8d6829a8a21adc5d38d0a473b144b6765798e61f98bd1d');
  assert.equal(b.bits, '0x1a44b9f2');
});

test('chain header exits 1 on a header whose hash misses its target, 0 on a real one', async () => {
  // The genesis header with its nonce's last byte changed: same target, a hash far above it.
  const last = GENESIS_HEADER.slice(-2);
  const forged = GENESIS_HEADER.slice(0, -2) + (last === '00' ? '01' : '00');
  const bad = await cli('chain', 'header', forged);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /^meetsTarget false$/m);
  assert.match(bad.out, /invalid: the hash is above the target/);
  const badJson = await cli('chain', 'header', forged, '--json');
  assert.equal(badJson.code, 1);
  assert.equal(JSON.parse(badJson.out).meetsTarget, false);
  const good = await cli('chain', 'header', GENESIS_HEADER);
  assert.equal(good.code, 0);
  assert.match(good.out, /^meetsTarget true$/m);
  assert.doesNotMatch(good.out, /invalid/);
});

test('merkle root --bitcoin gives block 100000 its root', async () => {
  const { code, out } = await cli('merkle', 'root', '--bitcoin', ...BLOCK100000_TXIDS, '--json');
  assert.equal(code, 0);
  assert.equal(
    JSON.parse(out).root,
    'f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766',
  );
});

test('chain retarget --json: a Bitcoin Core case', async () => {
  const { code, out } = await cli(
    'chain',
    'retarget',
    '--bits',
    '0x1c05a3f4',
    '--first-time',
    '1279008237',
    '--last-time',
    '1279297671',
    '--json',
  );
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out), { bits: '0x1c0168fd' });
});

test('chain attack --json: rows per z at full precision, and the least safe z', async () => {
  const rows = JSON.parse(
    (await cli('chain', 'attack', '--q', '0.1', '--z', '0..10', '--json')).out,
  );
  assert.equal(rows.q, 0.1);
  assert.equal(rows.rows.length, 11);
  assert.equal(rows.rows[0].p, 1);
  assert.equal(rows.rows[5].p.toFixed(7), '0.0009137');
  assert.ok(String(rows.rows[5].p).length > 12, 'full precision, not the table rounding');
  const exact = JSON.parse(
    (await cli('chain', 'attack', '--q', '0.1', '--z', '1', '--exact', '--json')).out,
  );
  assert.deepEqual(exact.models, { p: 'nakamoto-poisson', exact: 'rosenfeld-catch-up' });
  assert.ok(Math.abs(exact.rows[0].exact - 0.2) < 1e-12, "Rosenfeld's 2q at one confirmation");
  const t = JSON.parse(
    (await cli('chain', 'attack', '--q', '0.3', '--target', '0.001', '--json')).out,
  );
  assert.deepEqual(t, { q: 0.3, target: 0.001, z: 24 });
});

test('bad input is one readable line and exit 2', async () => {
  const cases: string[][] = [
    ['chain', 'header', 'abcd'],
    ['chain', 'header', 'zz'.repeat(80)],
    ['chain', 'attack', '--q', '0.5'],
    ['chain', 'attack', '--q', '0.1', '--z', '3..1'],
    ['chain', 'attack', '--q', '0.1', '--z', 'x'],
    ['chain', 'retarget', '--bits', 'nothex', '--first-time', '1', '--last-time', '2'],
    ['merkle', 'root', '--bitcoin', 'abc'],
    ['sim', 'nakamoto', '--param', 'q=7'],
    ['sim', 'nakamoto', '--param', 'nope=1'],
    ['experiment', 'nope'],
  ];
  for (const argv of cases) {
    const { code, err } = await cli(...argv);
    assert.equal(code, 2, argv.join(' '));
    assert.equal(err.trim().split('\n').length, 1, argv.join(' '));
    assert.match(err, /^truthkit: /);
  }
});

test('merkle prove and verify over a file of lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-merkle-'));
  const file = join(dir, 'lines.txt');
  writeFileSync(
    file,
    ['alice pays bob 1', 'bob pays carol 2', 'carol pays dan 3'].join('\n') + '\n',
  );
  const proofOut = await cli('merkle', 'prove', '--file', file, '--index', '2');
  assert.equal(proofOut.code, 0);
  const proof = JSON.parse(proofOut.out);
  assert.equal(proof.leafCount, 3);
  assert.equal(proof.siblings.length, 2);
  const root = JSON.parse((await cli('merkle', 'root', '--file', file, '--json')).out).root;
  assert.equal(proof.root, root);
  const proofFile = join(dir, 'proof.json');
  writeFileSync(proofFile, proofOut.out);
  const ok = await cli(
    'merkle',
    'verify',
    '--proof',
    proofFile,
    '--leaf',
    'carol pays dan 3',
    '--json',
  );
  assert.equal(ok.code, 0);
  assert.deepEqual(JSON.parse(ok.out), { ok: true });
  const bad = await cli('merkle', 'verify', '--proof', proofFile, '--leaf', 'carol pays dan 300');
  assert.equal(bad.code, 1);
  assert.match(bad.out, /^not included: /);
});

test('sim nakamoto: seeds, a nemesis, --json and a verdict with per-k reversal rates', async () => {
  const { out } = await cli(
    'sim',
    'nakamoto',
    '--seed',
    '1',
    '--seeds',
    '2',
    '--duration',
    '20s',
    '--nemesis',
    'partition-halves',
    '--json',
  );
  const lines = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  for (const r of lines) {
    assert.equal(r.system, 'nakamoto');
    // Seeds 1 and 2 are pinned: partition-halves forks the chain (shallow reversals) and six
    // confirmations still hold, so the judge must call both runs valid.
    assert.equal(r.verdict, 'valid', `seed ${r.seed}`);
    assert.equal(r.judgement.verdict, 'valid');
    const rows = r.judgement.details.rows as { k: number; reversed: number; rate: number }[];
    assert.deepEqual(
      rows.map((x) => x.k),
      [1, 2, 3, 6],
    );
    const [k1, , , k6] = rows;
    assert.ok(k1 !== undefined && k6 !== undefined);
    assert.ok(k1.reversed > 0, `seed ${r.seed}: the partition reversed no 1-deep block`);
    assert.ok(k6.rate <= k1.rate, `seed ${r.seed}: deeper blocks reverse less`);
  }
});

test('experiment list names the three proof-of-work experiments', async () => {
  const { code, out } = await cli('experiment', 'list', '--json');
  assert.equal(code, 0);
  const names = JSON.parse(out).map((e: { name: string }) => e.name);
  for (const n of ['confirmations', 'stale-rate', 'selfish-mining']) assert.ok(names.includes(n));
});
