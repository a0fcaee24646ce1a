import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_RULES,
  defaultPosConfig,
  epochOf,
  type PosConfig,
  type PosRules,
} from '../../../src/protocols/pos/config.js';
import { sign } from '../../../src/protocols/pos/crypto.js';
import { ghostHead } from '../../../src/protocols/pos/fork-choice.js';
import { attestationText, blockRoot, randaoText } from '../../../src/protocols/pos/roots.js';
import { checkEvidence, isSlashable } from '../../../src/protocols/pos/slashing.js';
import {
  activeStake,
  advance,
  applyBlock,
  committeeOf,
  genesisState,
  proposerOf,
  type BeaconState,
} from '../../../src/protocols/pos/state.js';
import type {
  Attestation,
  AttestationData,
  BeaconBlock,
  Checkpoint,
} from '../../../src/protocols/pos/types.js';

const V5 = ['n1', 'n2', 'n3', 'n4', 'n5'];
const GENESIS = 'g'.repeat(64);

function config(rules: Partial<PosRules> = {}, validators = V5): PosConfig {
  return { ...defaultPosConfig(validators), rules: { ...ALL_RULES, ...rules } };
}

const PAYLOAD = {
  number: 0,
  timestamp: 0,
  coinbase: '0x00',
  baseFee: '0',
  gasLimit: '0',
  gasUsed: '0',
  txs: [],
  stateRoot: '0x00',
  receiptsRoot: '0x00',
};

/** A valid empty block at `slot` on `parent`, by whoever the chain says proposes it. */
function blockAt(
  parent: BeaconState,
  slot: number,
  c: PosConfig,
  attestations: Attestation[] = [],
) {
  const s = advance(parent, slot, c);
  const proposer = proposerOf(s, slot, c);
  assert.ok(proposer !== undefined, 'someone proposes');
  const unsigned = {
    slot,
    parent: parent.latest,
    proposer,
    randaoReveal: sign(proposer, randaoText(epochOf(slot, c))),
    attestations,
    slashings: [],
    payload: PAYLOAD,
  };
  const block: BeaconBlock = { ...unsigned, sig: sign(proposer, blockRoot(unsigned)) };
  return { block, root: blockRoot(unsigned) };
}

function extend(
  state: BeaconState,
  slot: number,
  c: PosConfig,
  atts: Attestation[] = [],
): BeaconState {
  const { block, root } = blockAt(state, slot, c, atts);
  const r = applyBlock(state, block, root, c);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.state;
}

function vote(validator: string, data: AttestationData): Attestation {
  return { validator, data, sig: sign(validator, attestationText(data)) };
}

/** The votes `voters` in slot `slot`'s committee cast on `state` (a chain at slot ≥ `slot`). */
function slotVotes(
  state: BeaconState,
  slot: number,
  c: PosConfig,
  voters: readonly string[],
): Attestation[] {
  const s = advance(state, Math.max(state.slot, slot), c);
  const epoch = epochOf(slot, c);
  const target = { epoch, root: s.epochRoots[String(epoch)] ?? state.latest };
  return committeeOf(s, slot, c)
    .filter((v) => voters.includes(v))
    .map((v) => vote(v, { slot, head: state.latest, source: s.justified, target }));
}

/**
 * A chain with a block at every slot up to the end of `epochs` epochs, in which `voters` vote
 * in every slot from slot `from` and each block carries the previous slot's votes.
 */
function chainWithVotes(
  c: PosConfig,
  voters: readonly string[],
  epochs: number,
  from = 1,
  to = Infinity,
): BeaconState {
  let s = genesisState(c, GENESIS);
  for (let slot = 1; slot <= epochs * c.slotsPerEpoch; slot++) {
    const atts = slot - 1 >= from && slot - 1 <= to ? slotVotes(s, slot - 1, c, voters) : [];
    s = extend(s, slot, c, atts);
  }
  return s;
}

/** Three validators in four-slot epochs: one per slot in the first three, so every vote is included within its epoch. */
const V3 = ['n1', 'n2', 'n3'];
function config3(stakes: number[], rules: Partial<PosRules> = {}): PosConfig {
  return {
    ...config(rules, V3),
    stakes: Object.fromEntries(V3.map((v, i) => [v, 1000 * (stakes[i] ?? 32)])),
  };
}

test('RANDAO: every proposer reveal moves the mix, so later epochs draw from a new seed; the mutant keeps the genesis seed', () => {
  for (const [rules, moves] of [
    [{}, true],
    [{ randaoMix: false }, false],
  ] as const) {
    const c = config(rules);
    let s = genesisState(c, GENESIS);
    for (let slot = 1; slot <= 9; slot++) s = extend(s, slot, c);
    assert.equal(s.seeds['3'] !== s.seeds['1'], moves, `rules ${JSON.stringify(rules)}`);
  }
});

test("a block from anyone but the slot's proposer, or with a reveal for another epoch, is refused", () => {
  const c = config();
  const g = genesisState(c, GENESIS);
  const { block } = blockAt(g, 1, c);
  const other = V5.find((v) => v !== block.proposer)!;
  const forged = { ...block, proposer: other, randaoReveal: sign(other, randaoText(0)) };
  const r1 = applyBlock(g, forged, blockRoot(forged), c);
  assert.equal(r1.ok ? 'ok' : r1.code, 'proposer');
  const stale = { ...block, randaoReveal: sign(block.proposer, randaoText(7)) };
  const r2 = applyBlock(g, stale, blockRoot(stale), c);
  assert.equal(r2.ok ? 'ok' : r2.code, 'randao');
});

test('committees: each active validator attests exactly once per epoch', () => {
  const c = config();
  const s = genesisState(c, GENESIS);
  const seen = [0, 1, 2, 3].flatMap((slot) => committeeOf(s, slot, c));
  assert.deepEqual([...seen].sort(), [...V5].sort());
});

test('Casper FFG: two thirds of the stake justify each epoch and finalize its parent; 60 % justify nothing', () => {
  const c = config3([34, 33, 33]);
  const good = advance(chainWithVotes(c, ['n1', 'n2'], 5), 24, c);
  // Chains end at slot 20, the first of epoch 5: epoch 4 is the last whose votes are in.
  assert.equal(good.justified.epoch, 4);
  assert.equal(good.finalized.epoch, 3);
  const c60 = config3([60, 20, 20]);
  const short = advance(chainWithVotes(c60, ['n1'], 5), 24, c60);
  assert.equal(short.justified.epoch, 0);
  assert.equal(short.finalized.epoch, 0);
});

test('mutant simple-majority: 60 % of the stake justifies a checkpoint', () => {
  const c = config3([60, 20, 20], { supermajority: false });
  const s = advance(chainWithVotes(c, ['n1'], 5), 24, c);
  assert.equal(s.justified.epoch, 4);
});

test('finality needs a justified child: with votes only in epoch 1, epoch 1 is justified, not final; the mutant finalizes it', () => {
  for (const [rules, finalEpoch] of [
    [{}, 0],
    [{ finalityLink: false }, 1],
  ] as const) {
    const c = config3([34, 33, 33], rules);
    const s = advance(chainWithVotes(c, V3, 3, 4, 7), 12, c);
    assert.equal(s.justified.epoch, 1);
    assert.equal(s.finalized.epoch, finalEpoch, `rules ${JSON.stringify(rules)}`);
  }
});

const cp = (epoch: number): Checkpoint => ({ epoch, root: `r${epoch}` });
const data = (source: number, target: number, head = 'h'): AttestationData => ({
  slot: target * 4,
  head,
  source: cp(source),
  target: cp(target),
});

test('slashing: a double vote and a surround vote are slashable, honest successive votes are not', () => {
  assert.equal(isSlashable(data(1, 2, 'a'), data(1, 2, 'b'), ALL_RULES), true);
  assert.equal(isSlashable(data(0, 5), data(2, 3), ALL_RULES), true);
  assert.equal(isSlashable(data(2, 3), data(0, 5), ALL_RULES), true);
  assert.equal(isSlashable(data(1, 2), data(2, 3), ALL_RULES), false);
  assert.equal(isSlashable(data(1, 2), data(1, 3), ALL_RULES), false);
  assert.equal(
    isSlashable(data(1, 2, 'a'), data(1, 2, 'b'), { ...ALL_RULES, doubleVote: false }),
    false,
  );
  assert.equal(isSlashable(data(0, 5), data(2, 3), { ...ALL_RULES, surroundVote: false }), false);
});

test('evidence must carry both signatures of the accused validator', () => {
  const a = vote('n1', data(1, 2, 'a'));
  const b = vote('n1', data(1, 2, 'b'));
  assert.equal(checkEvidence({ a, b }, ALL_RULES), true);
  assert.equal(checkEvidence({ a, b: { ...b, validator: 'n2' } }, ALL_RULES), false);
  assert.equal(checkEvidence({ a, b: { ...b, sig: a.sig } }, ALL_RULES), false);
});

test('a block carrying evidence slashes the validator: its stake drops and it stops counting', () => {
  const c = config();
  const g = genesisState(c, GENESIS);
  const e = { a: vote('n2', data(1, 2, 'a')), b: vote('n2', data(1, 2, 'b')) };
  const { block } = blockAt(g, 1, c);
  const unsigned = { ...block, slashings: [e] };
  const withEvidence = { ...unsigned, sig: sign(block.proposer, blockRoot(unsigned)) };
  const r = applyBlock(g, withEvidence, blockRoot(unsigned), c);
  assert.ok(r.ok);
  assert.deepEqual(r.state.slashed, ['n2']);
  assert.equal(r.state.stakes['n2'], 32_000 - 1000);
  assert.equal(activeStake(r.state, c), 4 * 32_000);
});

test('inactivity leak: with 38 % of the stake silent, the others regain two thirds and finalize; without it, never', () => {
  for (const [rules, finalizes] of [
    [{}, true],
    [{ inactivityLeak: false }, false],
  ] as const) {
    const c = config3([32, 32, 40], rules);
    const s = advance(chainWithVotes(c, ['n1', 'n2'], 60), 60 * 4 + 4, c);
    assert.equal(
      s.finalized.epoch > 0,
      finalizes,
      `rules ${JSON.stringify(rules)}: finalized ${s.finalized.epoch}`,
    );
    if (finalizes)
      assert.ok(
        (s.stakes['n3'] ?? 0) < 40_000 && s.stakes['n1'] === 32_000,
        JSON.stringify(s.stakes),
      );
  }
});

test('LMD-GHOST follows the subtree with more latest-vote stake; the mutant takes the higher root', () => {
  const parent = new Map([
    ['a', 'j'],
    ['b', 'j'],
    ['a2', 'a'],
  ]);
  const tree = {
    parentOf: (r: string) => parent.get(r),
    childrenOf: (r: string) => [...parent].filter(([, p]) => p === r).map(([c]) => c),
    justifiedEpochOf: () => 0,
  };
  const votes = new Map([
    ['n1', 'a2'],
    ['n2', 'a'],
    ['n3', 'b'],
  ]);
  const stakes = { n1: 32, n2: 32, n3: 32 };
  assert.equal(ghostHead(tree, 'j', 0, votes, stakes, new Set(), ALL_RULES), 'a2');
  assert.equal(
    ghostHead(tree, 'j', 0, votes, stakes, new Set(), { ...ALL_RULES, ghostWeight: false }),
    'b',
  );
  // A slashable validator's votes do not count.
  assert.equal(ghostHead(tree, 'j', 0, votes, stakes, new Set(['n1', 'n2']), ALL_RULES), 'b');
});

test('LMD-GHOST heads only branches whose state holds the justification the node knows of', () => {
  // j ← a (heavier), j ← b whose state justified epoch 2: with epoch 2 known, b is the head.
  const parent = new Map([
    ['a', 'j'],
    ['b', 'j'],
  ]);
  const tree = {
    parentOf: (r: string) => parent.get(r),
    childrenOf: (r: string) => [...parent].filter(([, p]) => p === r).map(([c]) => c),
    justifiedEpochOf: (r: string) => (r === 'b' ? 2 : 1),
  };
  const votes = new Map([
    ['n1', 'a'],
    ['n2', 'a'],
    ['n3', 'b'],
  ]);
  const stakes = { n1: 32, n2: 32, n3: 32 };
  assert.equal(ghostHead(tree, 'j', 1, votes, stakes, new Set(), ALL_RULES), 'a');
  assert.equal(ghostHead(tree, 'j', 2, votes, stakes, new Set(), ALL_RULES), 'b');
});
