/**
 * Difficulty as a property of the chain, and fork choice by work: the retarget rule over a
 * short period, a shorter branch of harder blocks beating a longer one of easier blocks, and
 * blocks with the wrong target rejected — each with the mutant that breaks it, caught.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEnv } from '../../../src/core/node.js';
import { streamFor } from '../../../src/core/random.js';
import { OpLogStore, type StoreOp } from '../../../src/core/storage.js';
import { GENESIS, makeBlock, type Block } from '../../../src/protocols/nakamoto/block.js';
import { Chain } from '../../../src/protocols/nakamoto/chain.js';
import { decodeCompact, encodeCompact } from '../../../src/protocols/nakamoto/compact-target.js';
import {
  REGTEST_POW_LIMIT,
  requiredBits,
  type DifficultyRule,
} from '../../../src/protocols/nakamoto/difficulty.js';
import {
  MinerNode,
  type MinerConfig,
  type MinerMsg,
} from '../../../src/protocols/nakamoto/miner-node.js';
import { nextBits } from '../../../src/protocols/nakamoto/retarget.js';
import { blockWork } from '../../../src/protocols/nakamoto/work.js';

const START = 0x1d00ffff;
/** Four blocks a period, 100 header seconds a block. */
const RULE: DifficultyRule = {
  startBits: START,
  retargetBlocks: 4,
  timespan: 400,
  powLimit: REGTEST_POW_LIMIT,
};

/** Grows a branch from `from`, each block `gap` header seconds after its parent, at the rule. */
function branch(from: Block, count: number, gap: number, tag: string, all: Map<string, Block>) {
  const out: Block[] = [];
  let parent = from;
  for (let i = 0; i < count; i++) {
    const bits = requiredBits(RULE, parent, (h) => all.get(h));
    const b = makeBlock(
      parent,
      { version: 1, time: parent.header.time + gap, bits, nonce: i },
      tag,
      [`coinbase:${tag}:${i}`],
    );
    all.set(b.hash, b);
    out.push(b);
    parent = b;
  }
  return out;
}

function twoBranches() {
  const all = new Map<string, Block>([[GENESIS.hash, GENESIS]]);
  // Fast blocks (25 s for 100 s intended): the retarget at height 4 makes blocks 4× harder.
  const heavy = branch(GENESIS, 5, 25, 'heavy', all);
  // Slow blocks (1000 s): the retarget makes them 4× easier; seven blocks, less work.
  const light = branch(GENESIS, 7, 1000, 'light', all);
  return { heavy, light };
}

test('the retarget rule: same bits within a period, Bitcoin’s nextBits at its boundary', () => {
  const { heavy, light } = twoBranches();
  for (const b of heavy.slice(0, 3)) assert.equal(b.header.bits, START);
  // Period 0 is heights 0…3: from genesis' time to block 3's, 75 s against 400 s → clamp ×4.
  const want = nextBits(START, GENESIS.header.time, (heavy[2] as Block).header.time, {
    powLimit: REGTEST_POW_LIMIT,
    timespanS: 400,
  });
  assert.equal((heavy[3] as Block).header.bits, want);
  assert.equal(decodeCompact(want).target, decodeCompact(START).target / 4n);
  assert.equal((heavy[4] as Block).header.bits, want, 'kept within the next period');
  assert.equal(
    decodeCompact((light[3] as Block).header.bits).target > decodeCompact(START).target,
    true,
  );
});

test('most cumulative work wins: a shorter chain of harder blocks beats a longer one', () => {
  const { heavy, light } = twoBranches();
  const work = (bs: Block[]) => bs.reduce((a, b) => a + blockWork(b.header.bits), 0n);
  assert.ok(heavy.length < light.length && work(heavy) > work(light));
  for (const order of [
    [...light, ...heavy],
    [...heavy, ...light],
  ]) {
    const chain = new Chain();
    for (const b of order) chain.add(b);
    assert.equal(chain.tip.hash, (heavy[4] as Block).hash);
    assert.equal(chain.height, 5);
    // The mutant that counts blocks follows the light branch: caught.
    const mutant = new Chain(undefined, 'most-blocks');
    for (const b of order) mutant.add(b);
    assert.equal(mutant.tip.hash, (light[6] as Block).hash);
  }
});

class MemStore extends OpLogStore {
  readonly unsyncedWrites = 0;
  protected keep(_op: StoreOp): void {}
  sync(onDurable: () => void): void {
    onDurable();
  }
}

/** A miner outside any simulator: it receives the blocks a test hands it, and never mines. */
function minerWith(overrides: Partial<MinerConfig>): MinerNode {
  const env: NodeEnv<MinerMsg> = {
    id: 'n1',
    cluster: ['n1', 'n2'],
    peers: ['n2'],
    now: () => 0,
    random: streamFor(1, 'difficulty-test'),
    send: () => {},
    setTimer: () => 1,
    cancelTimer: () => {},
    storage: new MemStore(),
    reply: () => {},
    log: () => {},
    metric: () => {},
  };
  const config: MinerConfig = {
    intervalMs: 100,
    share: 0.5,
    difficulty: RULE,
    msPerHeaderSecond: 1,
    checkDifficulty: true,
    realPow: false,
    txIntervalMs: 0,
    maxBlockTxs: 10,
    strategy: 'honest',
    merchantConfirmations: 1,
    giveUpDeficit: 1,
    finality: 6,
    forkChoice: 'most-work',
    ...overrides,
  };
  const node = new MinerNode(env, config);
  node.start({ recovered: false });
  return node;
}

const deliver = (node: MinerNode, blocks: readonly Block[]) => {
  for (const block of blocks) node.onMessage('n2', { type: 'block', block } as MinerMsg);
};

test('a miner follows the heavier, shorter branch; the most-blocks mutant does not', () => {
  const { heavy, light } = twoBranches();
  const node = minerWith({});
  deliver(node, [...light, ...heavy]);
  assert.equal(node.chain.tip.hash, (heavy[4] as Block).hash);
  assert.equal(node.stats.invalid, 0);
  const mutant = minerWith({ forkChoice: 'most-blocks' });
  deliver(mutant, [...light, ...heavy]);
  assert.equal(mutant.chain.tip.hash, (light[6] as Block).hash);
});

test('a block whose target is not what its chain requires is rejected, unless the mutant', () => {
  const { heavy } = twoBranches();
  const parent = heavy[2] as Block; // its child is the first of period 1, which must be harder
  const easy = makeBlock(
    parent,
    { version: 1, time: parent.header.time + 25, bits: START, nonce: 99 },
    'cheat',
    ['coinbase:cheat:0'],
  );
  assert.notEqual(easy.header.bits, (heavy[3] as Block).header.bits);
  const node = minerWith({});
  deliver(node, [...heavy.slice(0, 3), easy]);
  assert.equal(node.chain.has(easy.hash), false);
  assert.equal(node.stats.invalid, 1);
  assert.equal(node.chain.height, 3);
  // Within a period too: a child of genesis must carry the start bits.
  const odd = makeBlock(
    GENESIS,
    { version: 1, time: GENESIS.header.time + 1, bits: encodeCompact(REGTEST_POW_LIMIT), nonce: 1 },
    'cheat',
    ['coinbase:cheat:1'],
  );
  deliver(node, [odd]);
  assert.equal(node.chain.has(odd.hash), false);
  const mutant = minerWith({ checkDifficulty: false });
  deliver(mutant, [...heavy.slice(0, 3), easy]);
  assert.equal(mutant.chain.tip.hash, easy.hash);
});

test('equal work: the branch seen first keeps the tip, whichever order they come in', () => {
  const all = new Map<string, Block>([[GENESIS.hash, GENESIS]]);
  const a = branch(GENESIS, 2, 100, 'a', all);
  const b = branch(GENESIS, 2, 100, 'b', all);
  for (const [first, second] of [
    [a, b],
    [b, a],
  ] as const) {
    const chain = new Chain();
    for (const blk of [...first, ...second]) chain.add(blk);
    assert.equal(chain.tip.hash, (first[1] as Block).hash);
  }
});
