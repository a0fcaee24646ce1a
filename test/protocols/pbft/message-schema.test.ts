/**
 * PBFT's message schema refuses what no replica could send, naming the field, and lets a
 * well-formed lie through to the protocol (whose signature and quorum rules judge it); what it
 * accepts from the system's own replicas, Byzantine ones included, is
 * test/systems/message-schemas.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/protocols/pbft/ed25519.js';
import { sha256Hex, signAs } from '../../../src/protocols/pbft/crypto.js';
import { pbftMessageProblem } from '../../../src/protocols/pbft/message-schema.js';

const cluster = ['n1', 'n2', 'n3', 'n4'];
const d = sha256Hex('request');
const wire = (body: unknown): unknown => ({ type: 'pbft', p: JSON.stringify(body), s: 'AAAA' });
const prepare = { t: 'prepare', i: 'n2', v: 3, n: 17, d };

function assertRefused(cases: readonly (readonly [unknown, RegExp])[]): void {
  for (const [msg, why] of cases) {
    const problem = pbftMessageProblem(msg, cluster);
    assert.ok(problem !== undefined, `accepted: ${JSON.stringify(msg)}`);
    assert.match(problem, why, JSON.stringify(msg));
  }
}

test('a well-formed message passes, lies included', () => {
  assert.equal(pbftMessageProblem(signAs('n2', prepare), cluster), undefined);
  // Signed by n3 in n2's name, with a garbage signature, a digest of nothing requested, a
  // sequence number far past any watermark: the protocol's rules refuse these, not the schema.
  assert.equal(pbftMessageProblem(signAs('n3', prepare), cluster), undefined);
  assert.equal(pbftMessageProblem(wire(prepare), cluster), undefined);
  assert.equal(
    pbftMessageProblem(wire({ ...prepare, d: sha256Hex('lie'), n: 1e12 }), cluster),
    undefined,
  );
  const pp = signAs('n1', { t: 'pre-prepare', i: 'n1', v: 0, n: 1, d: 'null', req: null });
  const viewChange = {
    t: 'view-change',
    i: 'n3',
    v: 1,
    n: 0,
    C: [],
    P: [{ pp, prepares: [signAs('n2', prepare), signAs('n3', prepare)] }],
  };
  assert.equal(pbftMessageProblem(wire(viewChange), cluster), undefined);
});

test('a malformed message is refused and named by its field', () => {
  const signed = signAs('n2', prepare);
  const five = Array.from({ length: 5 }, () => signed);
  assertRefused([
    [{ ...(signed as object), type: 'raft' }, /^type: /],
    [{ type: 'pbft', p: 'not json', s: 'AAAA' }, /^p: is no JSON/],
    [{ type: 'pbft', p: '{}', s: 'A'.repeat(129) }, /^s: /],
    [{ type: 'pbft', p: '{}', s: 'AAAA', extra: 1 }, /extra/],
    [wire({ ...prepare, t: 'elect-me' }), /^p\.t: /],
    [wire({ ...prepare, i: 'n5' }), /^p\.i: /],
    [wire({ ...prepare, v: -1 }), /^p\.v: /],
    [wire({ ...prepare, v: 1e18 }), /^p\.v: /],
    [wire({ ...prepare, n: 2.5 }), /^p\.n: /],
    [wire({ ...prepare, d: 'deadbeef' }), /^p\.d: /],
    [wire({ ...prepare, d: undefined }), /^p\.d: /],
    [wire({ ...prepare, extra: true }), /extra/],
    [
      wire({ t: 'status', i: 'n1', exec: 1, low: 0, v: 0, active: true, stuck: Array(9).fill(1) }),
      /^p\.stuck: /,
    ],
    [wire({ t: 'state', i: 'n1', n: 16, snap: '{}', proof: five }), /^p\.proof: /],
    [wire({ t: 'view-change', i: 'n1', v: 1, n: 0, C: five, P: [] }), /^p\.C: /],
    [
      wire({
        t: 'view-change',
        i: 'n1',
        v: 1,
        n: 0,
        C: [],
        P: Array(33).fill({ pp: signed, prepares: [] }),
      }),
      /^p\.P: /,
    ],
    [
      wire({ t: 'new-view', i: 'n1', v: 1, V: [{ type: 'pbft', p: 1, s: '' }], O: [] }),
      /^p\.V\.0\.p: /,
    ],
    [
      wire({ t: 'request', i: 'n1', req: { client: 'c', seq: 1, op: null, proxy: 'eve' } }),
      /^p\.req\.proxy: /,
    ],
    [wire({ t: 'reply', i: 'n1', v: 0, client: 'c', seq: -1, result: null }), /^p\.seq: /],
  ]);
});
