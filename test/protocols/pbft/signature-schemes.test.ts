/**
 * The two Ed25519 schemes (node:crypto for Node, @noble/curves for the browser lab) are the
 * same scheme: same keys, byte-identical signatures, the same verdicts, so a PBFT run has the
 * same digest whichever is installed. The scheme is global: each test installs what it needs
 * and puts node:crypto's back.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type SignatureScheme,
  signAs,
  useSignatureScheme,
  verifySigned,
} from '../../../src/protocols/pbft/crypto.js';
import { ed25519 } from '../../../src/protocols/pbft/ed25519.js';
import { ed25519Noble } from '../../../src/protocols/pbft/ed25519-noble.js';
import { runSimulation } from '../../../src/sim/run.js';
import { pbftSystem } from '../../../src/systems/pbft/pbft.js';

afterEach(() => useSignatureScheme(ed25519));

const TEXTS = [
  '',
  'a',
  JSON.stringify({ t: 'prepare', i: 'n2', v: 0, n: 17, d: 'ab'.repeat(32) }),
  'unicode: é → ∀ 🙂',
  'x'.repeat(5000),
];

test('both schemes give byte-identical signatures and hashes', () => {
  for (const id of ['n1', 'n2', 'n13']) {
    for (const text of TEXTS) {
      const sig = ed25519.sign(id, text);
      assert.equal(ed25519Noble.sign(id, text), sig, `${id} signs ${text.slice(0, 20)}`);
      assert.equal(Buffer.from(sig, 'base64').length, 64);
    }
  }
  for (const text of TEXTS) assert.equal(ed25519Noble.hash(text), ed25519.hash(text));
  // SHA-256("abc"), the FIPS 180-2 test vector.
  assert.equal(
    ed25519Noble.hash('abc'),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
});

test('both schemes accept and reject the same signatures', () => {
  const text = JSON.stringify({ t: 'commit', i: 'n1', n: 3 });
  const good = ed25519.sign('n1', text);
  const flipped = Buffer.from(good, 'base64');
  flipped[10] = (flipped[10] as number) ^ 1;
  // The same 64 bytes, spelled in URL-safe base64 (Buffer would decode it): not canonical.
  const urlSafe = good.replace(/\+/g, '-').replace(/\//g, '_');
  const cases: [claimed: string, text: string, sig: string, expected: boolean][] = [
    ['n1', text, good, true],
    ['n2', text, good, false], // the wrong signer
    ['n1', text + ' ', good, false], // an altered text
    ['n1', text, flipped.toString('base64'), false], // an altered signature
    ['n1', text, good.slice(0, 40), false], // too short
    ['n1', text, 'not base64 at all!', false],
    ['n1', text, '', false],
    ['n1', text, `${good}AAAA`, false], // too long
  ];
  if (urlSafe !== good) cases.push(['n1', text, urlSafe, false]);
  for (const [claimed, t, sig, expected] of cases) {
    for (const scheme of [ed25519, ed25519Noble] as SignatureScheme[]) {
      assert.equal(scheme.verify(claimed, t, sig), expected, `${claimed} ${sig.slice(0, 12)}`);
    }
  }
});

test('installing a scheme drops the verdicts cached under the previous one', () => {
  const msg = signAs('n1', { t: 'status', i: 'n1', exec: 0, low: 0 });
  assert.equal(verifySigned('n1', msg), true);
  let calls = 0;
  useSignatureScheme({ ...ed25519Noble, verify: (...a) => (calls++, ed25519Noble.verify(...a)) });
  assert.equal(verifySigned('n1', msg), true);
  assert.equal(calls, 1, 'the new scheme verified it itself');
});

test('a pbft run has the same digest under node:crypto and under @noble/curves', () => {
  const options = {
    system: pbftSystem,
    seed: 5,
    nodes: 4,
    nemesis: 'lossy',
    workload: { ops: 80 },
  };
  useSignatureScheme(ed25519);
  const node = runSimulation(options);
  useSignatureScheme(ed25519Noble);
  const noble = runSimulation(options);
  assert.ok(node.ops.ok > 0, 'the run did work');
  assert.equal(noble.traceDigest, node.traceDigest);
  assert.deepEqual(noble.ops, node.ops);
  assert.deepEqual(noble.messages, node.messages);
});
