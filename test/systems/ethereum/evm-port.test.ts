/**
 * The execution port itself (ethereumjs in a worker, Cancun): a contract deployed and called
 * twice by signed EIP-1559 and legacy transactions, with receipts, gas and roots; a block in
 * verify mode refuses a transaction that cannot apply; the patched executor disagrees.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerExecutor } from '../../../src/runtime/evm/worker-executor.js';
import type { BlockEnv, ExecResult } from '../../../src/protocols/ethereum/execution-port.js';

const port = new WorkerExecutor();
after(() => port.close());

// Runtime code: storage slot 0 += 1 on every call (PUSH1 0 SLOAD PUSH1 1 ADD PUSH1 0 SSTORE STOP).
const RUNTIME = '600054600101600055' + '00';
// Init code: copy the 10-byte runtime from offset 12 and return it.
const INIT = '600a600c600039600a6000f3';
const GWEI = 1_000_000_000n;

function env(number: number): BlockEnv {
  return {
    number,
    timestamp: number * 12,
    coinbase: port.devAddress(9),
    baseFee: String(GWEI),
    gasLimit: '30000000',
  };
}

function ok(r: ExecResult): Extract<ExecResult, { ok: true }> {
  assert.ok(r.ok, r.ok ? '' : `${r.code}: ${r.message}`);
  return r;
}

test('deploy a contract, call it twice: receipts, gas and roots', () => {
  const genesis = port.genesis([
    { address: port.devAddress(0), balance: String(1000n * GWEI * GWEI) },
  ]);
  const sign = (nonce: number, kind: '1559' | 'legacy', to?: string, data?: string) =>
    port.signTx({
      key: 0,
      nonce,
      ...(to === undefined ? {} : { to }),
      value: '0',
      ...(data === undefined ? {} : { data }),
      gasLimit: '200000',
      kind,
      maxFee: String(2n * GWEI),
      priorityFee: String(GWEI / 10n),
    });
  const deploy = ok(
    port.execute({
      parentRoot: genesis,
      env: env(1),
      txs: [sign(0, '1559', undefined, `0x${INIT}${RUNTIME}`)],
      mode: 'verify',
      variant: 'honest',
    }),
  );
  const created = deploy.receipts[0]?.contractAddress;
  assert.ok(created !== undefined && /^0x[0-9a-f]{40}$/.test(created));
  assert.equal(deploy.receipts[0]?.status, 1);
  assert.equal(port.account(deploy.stateRoot, created)?.codeSize, RUNTIME.length / 2);

  const first = ok(
    port.execute({
      parentRoot: deploy.stateRoot,
      env: env(2),
      txs: [sign(1, 'legacy', created)],
      mode: 'verify',
      variant: 'honest',
    }),
  );
  const second = ok(
    port.execute({
      parentRoot: first.stateRoot,
      env: env(3),
      txs: [sign(2, '1559', created)],
      mode: 'verify',
      variant: 'honest',
    }),
  );
  // 0 → 1 pays for a new storage slot (20000 + 2100 cold), 1 → 2 for a changed one (2900 + 2100).
  assert.equal(BigInt(first.gasUsed) - BigInt(second.gasUsed), 17_100n);
  assert.notEqual(first.stateRoot, second.stateRoot);
  assert.notEqual(first.receiptsRoot, second.receiptsRoot);
  // Executing again from the same parent gives the same answer.
  assert.deepEqual(
    port.execute({
      parentRoot: deploy.stateRoot,
      env: env(2),
      txs: [sign(1, 'legacy', created)],
      mode: 'verify',
      variant: 'honest',
    }),
    first,
  );
  // The patched client charges 20999 base gas: another gas figure and another root.
  const patched = ok(
    port.execute({
      parentRoot: deploy.stateRoot,
      env: env(2),
      txs: [sign(1, 'legacy', created)],
      mode: 'verify',
      variant: 'nondeterministic',
    }),
  );
  assert.equal(BigInt(first.gasUsed) - BigInt(patched.gasUsed), 1n);
  assert.notEqual(patched.stateRoot, first.stateRoot);
});

test('verify mode refuses a block with a transaction that cannot apply; build mode leaves it out', () => {
  const genesis = port.genesis([{ address: port.devAddress(0), balance: String(GWEI * GWEI) }]);
  const gap = port.signTx({
    key: 0,
    nonce: 5,
    to: port.devAddress(1),
    value: '1',
    gasLimit: '21000',
    kind: 'legacy',
    maxFee: String(2n * GWEI),
    priorityFee: '0',
  });
  const r = port.execute({
    parentRoot: genesis,
    env: env(1),
    txs: [gap],
    mode: 'verify',
    variant: 'honest',
  });
  assert.equal(r.ok ? 'ok' : r.code, 'invalid-tx');
  const built = ok(
    port.execute({
      parentRoot: genesis,
      env: env(1),
      txs: [gap],
      mode: 'build',
      variant: 'honest',
    }),
  );
  assert.deepEqual(built.txs, []);
  assert.equal(built.stateRoot, genesis);
  const unknown = port.execute({
    parentRoot: `0x${'ab'.repeat(32)}`,
    env: env(1),
    txs: [],
    mode: 'verify',
    variant: 'honest',
  });
  assert.equal(unknown.ok ? 'ok' : unknown.code, 'unknown-root');
});
