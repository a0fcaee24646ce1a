/**
 * Execution on every node: the seed's transfer gives the same gas and state root everywhere, a
 * seed replays byte for byte (with a fresh EVM worker, too: results are a function of the
 * request), and a node whose executor is patched is caught by root mismatch — unless the
 * root check is removed (`accept-any-root`), which the judge then catches.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RunOptions } from '../../../src/sim/run.js';
import { Session } from '../../../src/sim/run.js';
import { judgeSession } from '../../../src/sim/checked-run.js';
import { getSystem } from '../../../src/systems/index.js';
import { setExecutionPortProvider } from '../../../src/systems/ethereum/execution-provider.js';
import { DEV_BALANCE, ETH, ValidatorNode } from '../../../src/systems/ethereum/validator-node.js';
import { WorkerExecutor } from '../../../src/runtime/evm/worker-executor.js';

const eth = getSystem('ethereum')!;
const executors: WorkerExecutor[] = [];
function freshExecutor(): WorkerExecutor {
  const x = new WorkerExecutor();
  executors.push(x);
  setExecutionPortProvider(() => x);
  return x;
}
after(async () => {
  for (const x of executors) await x.close();
});

function run(options: Partial<RunOptions> & { durationMs?: number }) {
  const session = new Session({
    system: eth,
    seed: 1,
    nodes: 4,
    workload: { durationMs: options.durationMs ?? 6000 },
    ...options,
  });
  session.runToEnd();
  const validators = [...session.sim.liveNodes().values()].filter(
    (n): n is ValidatorNode => n instanceof ValidatorNode,
  );
  return { session, result: session.result(), judged: judgeSession(session), validators };
}

test("the seed's transfer (100 ETH, 21000 gas) executes to one state root on every node", () => {
  const port = freshExecutor();
  const { validators, judged } = run({ params: { example: 'transfer' } });
  assert.equal(validators.length, 4);
  const [first] = validators;
  const carrying = first!
    .blockRoots()
    .filter((r) => (first!.blockOf(r)?.payload.txs.length ?? 0) > 0);
  assert.equal(carrying.length, 1, 'one block carries the transfer');
  const root = carrying[0]!;
  const block = first!.blockOf(root)!;
  assert.equal(block.payload.gasUsed, '21000');
  for (const v of validators) {
    assert.equal(v.gasUsedOf(root), 21000n, `${v.inspect()['head']}`);
    assert.equal(v.execRootOf(root), block.payload.stateRoot);
  }
  const receiver = port.account(block.payload.stateRoot, port.devAddress(1));
  assert.equal(receiver?.balance, String(DEV_BALANCE + 100n * ETH));
  const sender = port.account(block.payload.stateRoot, port.devAddress(0));
  // A legacy transaction pays its whole gas price: the base fee is burned, the rest goes to
  // the proposer's fee recipient (which may be the sender's own account).
  const gasPrice = 4_000_000_000n;
  const burned = 21000n * BigInt(block.payload.baseFee);
  const tip = 21000n * gasPrice - burned;
  const senderIsRecipient = block.payload.coinbase === port.devAddress(0);
  assert.equal(
    sender?.balance,
    String(DEV_BALANCE - 100n * ETH - burned - (senderIsRecipient ? 0n : tip)),
  );
  assert.equal(judged.verdict, 'valid', judged.judgement?.message);
});

test('one seed, two runs (the second on a fresh EVM worker): identical traces', () => {
  freshExecutor();
  const a = run({ seed: 7, durationMs: 5000 }).result;
  freshExecutor();
  const b = run({ seed: 7, durationMs: 5000 }).result;
  assert.equal(a.traceDigest, b.traceDigest);
  assert.equal(a.events, b.events);
  assert.ok((a.metrics['block-gas']?.sum ?? 0) > 0, 'the run executed transactions');
});

test('a nondeterministic executor is caught by root mismatch; its blocks are refused and finality goes on', () => {
  freshExecutor();
  const { validators, judged } = run({
    params: { byzantine: '1', strategy: 'nondeterministic' },
    durationMs: 8000,
  });
  const honest = validators.filter((v) => !v.byzantine);
  assert.equal(honest.length, 3);
  const mismatches = honest.flatMap((v) => v.rootMismatches());
  assert.ok(mismatches.length > 0, 'honest nodes saw state-root mismatches');
  assert.ok(mismatches.every((m) => m.proposer === 'n4'));
  for (const v of honest) {
    for (const m of v.rootMismatches()) assert.equal(v.execRootOf(m.root), undefined);
  }
  assert.equal(judged.verdict, 'valid', judged.judgement?.message);
  assert.ok(honest.every((v) => v.finalizedCheckpoint().epoch > 0));
});

test("mutant accept-any-root: the patched node's blocks are accepted and the judge finds the disagreement", () => {
  freshExecutor();
  const { judged } = run({
    params: { byzantine: '1', strategy: 'nondeterministic' },
    mutant: 'accept-any-root',
    durationMs: 8000,
  });
  assert.equal(judged.verdict, 'invalid');
  assert.match(judged.judgement?.message ?? '', /claimed state root .* is not the .* it computed/);
});
