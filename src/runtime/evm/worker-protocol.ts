/** The messages between worker-executor.ts and evm-worker.ts. */
import type {
  ExecRequest,
  GenesisAccount,
  Hex,
  TxRequest,
} from '../../protocols/ethereum/execution-port.js';

export type WorkerRequest =
  | { readonly op: 'genesis'; readonly alloc: readonly GenesisAccount[] }
  | { readonly op: 'execute'; readonly request: ExecRequest }
  | { readonly op: 'decodeTx'; readonly raw: Hex }
  | { readonly op: 'signTx'; readonly request: TxRequest }
  | { readonly op: 'account'; readonly root: Hex; readonly address: Hex }
  | { readonly op: 'devAddress'; readonly key: number };

export type WorkerResponse =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };
