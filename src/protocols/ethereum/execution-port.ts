/**
 * The execution layer as a node sees it: a synchronous port that runs a block's transactions
 * from a parent state root and answers with the new root, the gas and the receipts. A node is a
 * synchronous state machine, and the EVM that truthkit runs (ethereumjs) is promise-based, so
 * the port is implemented outside the deterministic layers and composed in (docs/ethereum.md,
 * "Execution and determinism"): src/runtime/evm/ runs ethereumjs in a worker thread and blocks on
 * it. Every answer is a pure function of the request (state is addressed by its root), so a seed
 * replays the same run whatever executed it and whenever.
 */

/** A 0x-prefixed lower-case hex string. */
export type Hex = string;

/**
 * Which executor runs the block: `honest` is the EVM at the pinned hardfork; `nondeterministic`
 * is a patched client (one gas constant changed: a plain transfer costs 20999 gas), so its roots
 * differ from everyone else's on any block that holds a transaction.
 */
export type ExecutorVariant = 'honest' | 'nondeterministic';

export interface GenesisAccount {
  readonly address: Hex;
  /** Wei, decimal. */
  readonly balance: string;
}

export interface BlockEnv {
  readonly number: number;
  /** Seconds. */
  readonly timestamp: number;
  /** Who receives the priority fees (the proposer's fee recipient). */
  readonly coinbase: Hex;
  /** Wei, decimal. */
  readonly baseFee: string;
  readonly gasLimit: string;
}

export interface ExecRequest {
  readonly parentRoot: Hex;
  readonly env: BlockEnv;
  /** Raw signed transactions (typed-envelope or legacy RLP), in block order. */
  readonly txs: readonly Hex[];
  /**
   * `build`: a proposer's candidate list; a transaction that cannot apply (bad nonce, too
   * little balance, over the block's gas) is left out. `verify`: a received block's list; one
   * that cannot apply makes the whole block invalid.
   */
  readonly mode: 'build' | 'verify';
  readonly variant: ExecutorVariant;
}

export interface Receipt {
  readonly txHash: Hex;
  /** 1 success, 0 reverted (a reverted transaction still pays its gas). */
  readonly status: 0 | 1;
  readonly gasUsed: string;
  readonly cumulativeGasUsed: string;
  readonly logs: number;
  /** For a contract creation, the new contract's address. */
  readonly contractAddress?: Hex;
}

export type ExecResult =
  | {
      readonly ok: true;
      readonly stateRoot: Hex;
      readonly receiptsRoot: Hex;
      readonly gasUsed: string;
      /** The transactions executed, in order (in `build` mode, those that applied). */
      readonly txs: readonly Hex[];
      readonly receipts: readonly Receipt[];
    }
  | {
      readonly ok: false;
      /** `invalid-tx`: a transaction of a verified block cannot apply. `unknown-root`: the parent state is not held. */
      readonly code: 'invalid-tx' | 'unknown-root';
      readonly message: string;
    };

export interface TxInfo {
  readonly hash: Hex;
  readonly from: Hex;
  readonly nonce: number;
}

export interface AccountInfo {
  readonly nonce: number;
  /** Wei, decimal. */
  readonly balance: string;
  readonly codeSize: number;
}

/** What a wallet asks the port to sign: a value transfer or a contract creation (`to` absent). */
export interface TxRequest {
  /** Index of a development account (its key is derived from the index; see dev-accounts). */
  readonly key: number;
  readonly nonce: number;
  readonly to?: Hex;
  /** Wei, decimal. */
  readonly value: string;
  readonly data?: Hex;
  readonly gasLimit: string;
  /** `1559`: maxFeePerGas/maxPriorityFeePerGas; `legacy`: gasPrice = maxFee. */
  readonly kind: '1559' | 'legacy';
  readonly maxFee: string;
  readonly priorityFee: string;
}

export interface ExecutionPort {
  /** The state root of a genesis that funds `alloc`. */
  genesis(alloc: readonly GenesisAccount[]): Hex;
  execute(request: ExecRequest): ExecResult;
  /** A raw transaction's hash, sender and nonce, or undefined when it does not decode or its signature does not recover. */
  decodeTx(raw: Hex): TxInfo | undefined;
  /** A development account's signed transaction. */
  signTx(request: TxRequest): Hex;
  /** An account at a state root (zeros for one never touched); undefined when the root is not held. */
  account(root: Hex, address: Hex): AccountInfo | undefined;
  /** The address of development account `key`. */
  devAddress(key: number): Hex;
}

/** The chain id transactions are signed for (a development chain's, as Hardhat's and Anvil's). */
export const CHAIN_ID = 31337;
