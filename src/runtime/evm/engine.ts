/**
 * The execution layer on ethereumjs (10.1.3), pinned to the Cancun hardfork, asynchronous as
 * ethereumjs is. One Merkle-Patricia trie database holds every state any block produced, so a
 * request names its parent state by root and any node's block can be executed from it: results
 * are a pure function of the request. `evm-worker.ts` serves it from a worker thread and
 * `worker-executor.ts` makes it the synchronous ExecutionPort a node calls.
 */
import { createBlock } from '@ethereumjs/block';
import { type Common, Hardfork, Mainnet, createCustomCommon } from '@ethereumjs/common';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import {
  createFeeMarket1559Tx,
  createLegacyTx,
  createTxFromRLP,
  paramsTx,
  type TypedTransaction,
} from '@ethereumjs/tx';
import {
  Account,
  Address,
  bytesToHex,
  createAddressFromString,
  hexToBytes as utilHexToBytes,
  privateToAddress,
  utf8ToBytes,
} from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { type VM, createVM, encodeReceipt, runTx } from '@ethereumjs/vm';
import {
  CHAIN_ID,
  type AccountInfo,
  type ExecRequest,
  type ExecResult,
  type ExecutorVariant,
  type GenesisAccount,
  type Hex,
  type Receipt,
  type TxInfo,
  type TxRequest,
} from '../../protocols/ethereum/execution-port.js';

export const HARDFORK = Hardfork.Cancun;

/** The patched client's one change: the base cost of every transaction. */
const PATCHED_TX_GAS = 20999;

const TX_CACHE_LIMIT = 20_000;

/** Development account `key`'s private key: keccak-256 of `truthkit-dev:<key>` (no secret; anyone can derive it). */
export function devKey(key: number): Uint8Array {
  if (!Number.isInteger(key) || key < 0) throw new RangeError(`dev key index ${key}`);
  return keccak_256(utf8ToBytes(`truthkit-dev:${key}`));
}

export function devAddressOf(key: number): Hex {
  return bytesToHex(privateToAddress(devKey(key)));
}

function commonFor(): Common {
  return createCustomCommon({ chainId: CHAIN_ID }, Mainnet, { hardfork: HARDFORK });
}

/**
 * Transaction parameters per variant. A transaction installs its parameters into its Common
 * when it is built, so the patch travels with each decoded transaction, not with the Common.
 */
const TX_PARAMS: Record<ExecutorVariant, typeof paramsTx> = {
  honest: paramsTx,
  nondeterministic: { ...paramsTx, 1: { ...paramsTx[1], txGas: PATCHED_TX_GAS } },
};

/** RLP of a receipt's index, the receipt trie's key (as in the transaction trie). */
function rlpIndex(i: number): Uint8Array {
  if (i === 0) return Uint8Array.of(0x80);
  if (i < 0x80) return Uint8Array.of(i);
  const bytes: number[] = [];
  for (let n = i; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.from([0x80 + bytes.length, ...bytes]);
}

function hexToBytes(h: Hex): Uint8Array {
  if (!h.startsWith('0x')) throw new TypeError(`not 0x-hex: ${h.slice(0, 20)}`);
  return utilHexToBytes(h as `0x${string}`);
}

export class EvmEngine {
  private readonly trie = new MerklePatriciaTrie({ useKeyHashing: true });
  private readonly commons: Record<ExecutorVariant, Common> = {
    honest: commonFor(),
    nondeterministic: commonFor(),
  };
  private readonly state = new MerkleStateManager({ trie: this.trie, common: this.commons.honest });
  private vms: Partial<Record<ExecutorVariant, VM>> = {};

  /**
   * Decoded transactions, kept: every node executes every block, so the same transaction is
   * decoded and its sender recovered (secp256k1, most of the cost) once, not once per node.
   * ethereumjs transactions are immutable and cache their sender.
   */
  private readonly txCache = new Map<string, TypedTransaction>();

  private decoded(raw: Hex, variant: ExecutorVariant): TypedTransaction {
    const key = `${variant}:${raw}`;
    let tx = this.txCache.get(key);
    if (tx === undefined) {
      tx = createTxFromRLP(hexToBytes(raw), {
        common: this.commons[variant],
        params: TX_PARAMS[variant],
      });
      if (this.txCache.size >= TX_CACHE_LIMIT) this.txCache.clear();
      this.txCache.set(key, tx);
    }
    return tx;
  }

  private async vm(variant: ExecutorVariant): Promise<VM> {
    let vm = this.vms[variant];
    if (vm === undefined) {
      vm = await createVM({ common: this.commons[variant], stateManager: this.state });
      this.vms[variant] = vm;
    }
    return vm;
  }

  async genesis(alloc: readonly GenesisAccount[]): Promise<Hex> {
    await this.state.setStateRoot(this.trie.EMPTY_TRIE_ROOT);
    for (const a of alloc) {
      await this.state.putAccount(
        createAddressFromString(a.address),
        new Account(0n, BigInt(a.balance)),
      );
    }
    await this.state.checkpoint();
    await this.state.commit();
    await this.state.flush();
    return bytesToHex(await this.state.getStateRoot());
  }

  private async atRoot(root: Hex): Promise<boolean> {
    const bytes = hexToBytes(root);
    if (!(await this.state.hasStateRoot(bytes))) return false;
    await this.state.setStateRoot(bytes, true);
    return true;
  }

  async execute(req: ExecRequest): Promise<ExecResult> {
    if (!(await this.atRoot(req.parentRoot))) {
      return { ok: false, code: 'unknown-root', message: `no state at ${req.parentRoot}` };
    }
    const common = this.commons[req.variant];
    const vm = await this.vm(req.variant);
    const block = createBlock(
      {
        header: {
          number: BigInt(req.env.number),
          timestamp: BigInt(req.env.timestamp),
          coinbase: hexToBytes(req.env.coinbase),
          baseFeePerGas: BigInt(req.env.baseFee),
          gasLimit: BigInt(req.env.gasLimit),
        },
      },
      { common },
    );
    const included: Hex[] = [];
    const receipts: Receipt[] = [];
    const receiptTrie = new MerklePatriciaTrie();
    let cumulative = 0n;
    for (const [i, raw] of req.txs.entries()) {
      let tx: TypedTransaction;
      try {
        tx = this.decoded(raw, req.variant);
      } catch (e) {
        if (req.mode === 'build') continue;
        return { ok: false, code: 'invalid-tx', message: `tx ${i} does not decode: ${String(e)}` };
      }
      // A transaction that fails validation (nonce, balance, gas) leaves the state untouched:
      // runTx reverts its own checkpoint before throwing.
      let result;
      try {
        if (cumulative + tx.gasLimit > block.header.gasLimit)
          throw new Error('over block gas limit');
        result = await runTx(vm, {
          tx,
          block,
          blockGasUsed: cumulative,
          skipHardForkValidation: true,
        });
      } catch (e) {
        if (req.mode === 'build') continue;
        return { ok: false, code: 'invalid-tx', message: `tx ${i} cannot apply: ${String(e)}` };
      }
      cumulative += result.totalGasSpent;
      await receiptTrie.put(rlpIndex(receipts.length), encodeReceipt(result.receipt, tx.type));
      const created = result.createdAddress;
      receipts.push({
        txHash: bytesToHex(tx.hash()),
        status: result.execResult.exceptionError === undefined ? 1 : 0,
        gasUsed: String(result.totalGasSpent),
        cumulativeGasUsed: String(cumulative),
        logs: result.execResult.logs?.length ?? 0,
        ...(created === undefined ? {} : { contractAddress: created.toString() }),
      });
      included.push(raw);
    }
    await this.state.checkpoint();
    await this.state.commit();
    await this.state.flush();
    return {
      ok: true,
      stateRoot: bytesToHex(await this.state.getStateRoot()),
      receiptsRoot: bytesToHex(receiptTrie.root()),
      gasUsed: String(cumulative),
      txs: included,
      receipts,
    };
  }

  decodeTx(raw: Hex): TxInfo | undefined {
    try {
      const tx = this.decoded(raw, 'honest');
      if (!tx.isSigned() || !tx.verifySignature()) return undefined;
      return {
        hash: bytesToHex(tx.hash()),
        from: tx.getSenderAddress().toString(),
        nonce: Number(tx.nonce),
      };
    } catch {
      return undefined;
    }
  }

  signTx(req: TxRequest): Hex {
    const common = this.commons.honest;
    const base = {
      nonce: BigInt(req.nonce),
      gasLimit: BigInt(req.gasLimit),
      value: BigInt(req.value),
      ...(req.to === undefined ? {} : { to: createAddressFromString(req.to) }),
      ...(req.data === undefined ? {} : { data: hexToBytes(req.data) }),
    };
    const tx =
      req.kind === '1559'
        ? createFeeMarket1559Tx(
            {
              ...base,
              chainId: BigInt(CHAIN_ID),
              maxFeePerGas: BigInt(req.maxFee),
              maxPriorityFeePerGas: BigInt(req.priorityFee),
            },
            { common },
          )
        : createLegacyTx({ ...base, gasPrice: BigInt(req.maxFee) }, { common });
    return bytesToHex(tx.sign(devKey(req.key)).serialize());
  }

  async account(root: Hex, address: Hex): Promise<AccountInfo | undefined> {
    if (!(await this.atRoot(root))) return undefined;
    const addr = new Address(hexToBytes(address));
    const acct = await this.state.getAccount(addr);
    const code = await this.state.getCode(addr);
    return {
      nonce: Number(acct?.nonce ?? 0n),
      balance: String(acct?.balance ?? 0n),
      codeSize: code.length,
    };
  }
}
