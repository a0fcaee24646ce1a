/**
 * The agreement invariant of the pbft system (checkHonestAgree), on stand-in replicas: it runs
 * after every simulated step and compares only what each replica executed since its last call,
 * so these cases check that nothing is skipped on the way — a disagreement found when either
 * replica of the pair executes last, replicas that executed nothing new, Byzantine replicas left
 * out, and a replica restarted (a new node object) compared again from the start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId, ProtocolNode } from '../../src/core/node.js';
import { checkHonestAgree } from '../../src/systems/pbft/pbft.js';

class Replica {
  readonly done: string[] = [];
  constructor(readonly byzantine?: 'lie') {}
  executedThrough(): number {
    return this.done.length;
  }
  executedAt(seq: number): string | undefined {
    return this.done[seq - 1];
  }
}

const cluster = (replicas: Record<NodeId, Replica>): ReadonlyMap<NodeId, ProtocolNode> =>
  new Map(Object.entries(replicas)) as unknown as ReadonlyMap<NodeId, ProtocolNode>;

test('agreement: found whichever replica of a pair executes the differing request last', () => {
  const [a, b, c] = [new Replica(), new Replica(), new Replica()];
  const nodes = cluster({ n1: a, n2: b, n3: c });
  assert.equal(checkHonestAgree(nodes), undefined);
  a.done.push('d1', 'd2');
  assert.equal(checkHonestAgree(nodes), undefined);
  b.done.push('d1');
  assert.equal(checkHonestAgree(nodes), undefined);
  assert.equal(checkHonestAgree(nodes), undefined, 'nothing new: still nothing');
  b.done.push('x2'); // n2 executes last: compared against n1's earlier seq 2
  assert.match(checkHonestAgree(nodes) ?? '', /^seq 2: n2 executed x2, n1 executed d2$/);
  const [p, q] = [new Replica(), new Replica()];
  const later = cluster({ n1: p, n2: q });
  q.done.push('d1', 'x2');
  assert.equal(checkHonestAgree(later), undefined);
  p.done.push('d1', 'd2'); // n1 executes last
  assert.match(checkHonestAgree(later) ?? '', /^seq 2: n1 executed d2, n2 executed x2$/);
});

test('agreement: Byzantine replicas are not compared; a restarted replica is, from the start', () => {
  const [a, b, liar] = [new Replica(), new Replica(), new Replica('lie')];
  a.done.push('d1');
  liar.done.push('x1');
  const nodes = cluster({ n1: a, n2: b, n3: liar });
  assert.equal(checkHonestAgree(nodes), undefined);
  b.done.push('d1');
  assert.equal(checkHonestAgree(nodes), undefined);
  const restarted = new Replica();
  restarted.done.push('y1');
  assert.match(
    checkHonestAgree(cluster({ n1: a, n2: restarted, n3: liar })) ?? '',
    /^seq 1: n2 executed y1, n1 executed d1$/,
  );
});
