/**
 * The judge's safety rule on hand-built end states: two conflicting finalized checkpoints are a
 * violation unless a third of the stake is provably slashable, or the inactivity leak had
 * reweighted the chain so that under two thirds of the genesis stake could finalize.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeId, ProtocolNode } from '../../../src/core/node.js';
import { defaultPosConfig } from '../../../src/protocols/pos/config.js';
import { judgeEthereum } from '../../../src/systems/ethereum/judge.js';
import { ValidatorNode, type EthConfig } from '../../../src/systems/ethereum/validator-node.js';

const CLUSTER = ['n1', 'n2', 'n3', 'n4'];
const config: EthConfig = {
  pos: defaultPosConfig(CLUSTER),
  slotMs: 250,
  txIntervalMs: 0,
  byzantine: [],
  strategy: 'honest',
  checkRoots: true,
};
// g ← a (finalized at n1, n2), g ← b (finalized at n3, n4): a conflict.
const PARENT = new Map([
  ['a', 'g'],
  ['b', 'g'],
]);

function fake(
  finalRoot: string,
  evidence: string[],
  stakes: Record<string, number>,
): ValidatorNode {
  const node: unknown = Object.assign(Object.create(ValidatorNode.prototype) as object, {
    byzantine: false,
    config,
    finalizedHistory: [{ epoch: 3, root: finalRoot, at: 1000 }],
    parentOf: (r: string) => PARENT.get(r),
    evidenceAgainst: () => evidence,
    stakesAt: () => stakes,
    slashedAt: () => [],
    blockRoots: () => [],
    blockOf: () => undefined,
    execRootOf: () => undefined,
    finalizedCheckpoint: () => ({ epoch: 3, root: finalRoot }),
    rootMismatches: () => [],
  });
  assert.ok(node instanceof ValidatorNode);
  return node;
}

function judge(evidence: string[], stakes: Record<string, number>) {
  const nodes = new Map<NodeId, ProtocolNode>(
    CLUSTER.map((id, i) => [id, fake(i < 2 ? 'a' : 'b', evidence, stakes)]),
  );
  return judgeEthereum(nodes, { config, runEndMs: 0, boundEpochs: 8 });
}

const FULL = { n1: 32_000, n2: 32_000, n3: 32_000, n4: 32_000 };

test('conflicting finality with nobody provably slashable is a violation', () => {
  const j = judge([], FULL);
  assert.equal(j.verdict, 'invalid');
  assert.match(j.message, /conflict, and only 0 of 128000 stake is provably slashable/);
});

test('conflicting finality with evidence against a third of the stake is reported, not a violation', () => {
  const j = judge(['n2', 'n3'], FULL);
  assert.equal(j.verdict, 'valid');
  assert.match(j.message, /with evidence against n2, n3/);
  // One validator (a quarter) is not enough.
  assert.equal(judge(['n2'], FULL).verdict, 'invalid');
});

test('a conflict where the leak ejected all but one validator is reported and not judged', () => {
  const drained = { n1: 15_900, n2: 15_900, n3: 20_000, n4: 15_900 };
  const j = judge([], drained);
  assert.equal(j.verdict, 'valid');
  assert.match(j.message, /after the inactivity leak drained n1, n2, n3, n4 .*not judged/);
  // A mild leak that leaves every validator active does not excuse the conflict.
  assert.equal(judge([], { n1: 30_000, n2: 30_000, n3: 30_000, n4: 31_000 }).verdict, 'invalid');
});
