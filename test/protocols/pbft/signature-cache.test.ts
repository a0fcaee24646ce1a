/**
 * PBFT's signing and verification caches (crypto.ts) and its parse cache (parsed-text.ts) only
 * save work: every answer is the one the scheme itself gives. The cases are those a wrongly keyed
 * cache would get wrong: a verdict cached per text alone would accept another signer's signature
 * of the same text, a signature cached per text alone would hand one replica another's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '../../../src/protocols/pbft/ed25519.js';
import {
  sha256Hex,
  signAs,
  useSignatureScheme,
  verifySigned,
} from '../../../src/protocols/pbft/crypto.js';
import { parseFrozen } from '../../../src/protocols/pbft/parsed-text.js';

test('a cached signature is the one the scheme computes, per signer', () => {
  const body = { t: 'prepare', i: 'n2', v: 0, n: 7, d: 'abc' };
  const first = signAs('n2', body);
  assert.equal(signAs('n2', body).s, first.s);
  assert.equal(first.s, ed25519.sign('n2', first.p));
  const other = signAs('n3', body);
  assert.notEqual(other.s, first.s, 'another signer of the same text gets its own signature');
  assert.equal(other.s, ed25519.sign('n3', other.p));
});

test('verification after signing answers what the scheme answers, for every altered part', () => {
  const body = { t: 'commit', i: 'n1', v: 2, n: 9, d: 'def' };
  const genuine = signAs('n1', body); // warms both caches for exactly these bytes
  const byN4 = signAs('n4', body); // the same text, n4's signature
  const otherText = signAs('n1', { ...body, n: 10 });
  const cases: [string, string, { type: 'pbft'; p: string; s: string }][] = [
    ['genuine', 'n1', genuine],
    ['claimed by another replica', 'n4', genuine],
    ['another signer, same text', 'n1', byN4],
    ['signature of another text', 'n1', { ...genuine, s: otherText.s }],
    ['text changed', 'n1', { ...genuine, p: genuine.p.replace('"n":9', '"n":8') }],
    ['signature not canonical', 'n1', { ...genuine, s: genuine.s.slice(0, -2) + '==' }],
  ];
  for (const [what, claimed, msg] of cases) {
    const expected = ed25519.verify(claimed, msg.p, msg.s);
    assert.equal(verifySigned(claimed, msg), expected, what);
    assert.equal(verifySigned(claimed, msg), expected, `${what}, cached`);
  }
  assert.equal(verifySigned('n1', genuine), true);
  assert.equal(verifySigned('n1', byN4), false);
});

test('a parsed text is shared, frozen, and a text that is not JSON parses to nothing', () => {
  const text = JSON.stringify({ t: 'status', i: 'n1', stuck: [1, 2] });
  const a = parseFrozen(text) as { stuck: number[] };
  assert.equal(parseFrozen(text), a);
  assert.deepEqual(a, JSON.parse(text));
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.stuck));
  assert.throws(() => a.stuck.push(3), TypeError);
  assert.equal(parseFrozen('{"t":'), undefined);
  assert.equal(parseFrozen('{"t":'), undefined);
  assert.equal(parseFrozen('null'), null);
});

test('a cached digest is the digest the scheme gives for exactly that text, and goes with it', () => {
  const texts = ['', 'a', JSON.stringify({ snap: [['k1', 'v'.repeat(300)]] }), 'a '];
  for (const text of [...texts, ...texts]) assert.equal(sha256Hex(text), ed25519.hash(text));
  assert.notEqual(sha256Hex('a'), sha256Hex('a '));
  // Another scheme installed answers with its own digests, not the cached ones.
  useSignatureScheme({ ...ed25519, hash: (text) => `other:${text}` });
  try {
    assert.equal(sha256Hex('a'), 'other:a');
  } finally {
    useSignatureScheme(ed25519);
  }
  assert.equal(sha256Hex('a'), ed25519.hash('a'));
});
