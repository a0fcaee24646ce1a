/**
 * The synchronous ExecutionPort for Node: ethereumjs runs in a worker thread (evm-worker.ts) and
 * the caller blocks in Atomics.wait until the answer is posted, then takes it off the port with
 * receiveMessageOnPort. A node's handler so gets its state root back before it returns, as a
 * deterministic state machine must; the simulator's loop stays synchronous. Measured (2 shared
 * cores): 18 µs per empty round trip, about 0.3 s to start the worker (docs/ethereum.md).
 */
import {
  MessageChannel,
  Worker,
  receiveMessageOnPort,
  type MessagePort,
} from 'node:worker_threads';
import type {
  AccountInfo,
  ExecRequest,
  ExecResult,
  ExecutionPort,
  GenesisAccount,
  Hex,
  TxInfo,
  TxRequest,
} from '../../protocols/ethereum/execution-port.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

export type EvmWorkerErrorCode = 'timeout' | 'failed' | 'closed';

export class EvmWorkerError extends Error {
  constructor(
    readonly code: EvmWorkerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** How long one request may take before the caller gives up (a hung worker is a bug). */
const TIMEOUT_MS = 120_000;

export class WorkerExecutor implements ExecutionPort {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;
  private readonly addresses = new Map<number, Hex>();
  private readonly decoded = new Map<Hex, TxInfo | undefined>();

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./evm-worker.js', import.meta.url), {
      workerData: { port: port2, flag: this.done.buffer },
      transferList: [port2],
    });
    // The worker never keeps a process alive: it only answers calls made while blocked.
    this.worker.unref();
    this.port.unref();
  }

  private call(req: WorkerRequest): unknown {
    if (this.closed) throw new EvmWorkerError('closed', 'the EVM worker was closed');
    Atomics.store(this.done, 0, 0);
    this.port.postMessage(req);
    if (Atomics.wait(this.done, 0, 0, TIMEOUT_MS) === 'timed-out') {
      throw new EvmWorkerError(
        'timeout',
        `the EVM worker did not answer ${req.op} in ${TIMEOUT_MS} ms`,
      );
    }
    // The worker posts its answer before it raises the flag; should the message not be on the
    // port yet when the flag is seen, poll for it (bounded), never treat it as lost.
    let got = receiveMessageOnPort(this.port);
    const idle = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0; got === undefined && waited < TIMEOUT_MS; waited++) {
      Atomics.wait(idle, 0, 0, 1);
      got = receiveMessageOnPort(this.port);
    }
    if (got === undefined) throw new EvmWorkerError('failed', `no answer to ${req.op}`);
    const res = got.message as WorkerResponse;
    if (!res.ok) throw new EvmWorkerError('failed', `${req.op}: ${res.error}`);
    return res.value;
  }

  genesis(alloc: readonly GenesisAccount[]): Hex {
    return hex(this.call({ op: 'genesis', alloc }));
  }

  execute(request: ExecRequest): ExecResult {
    const r = this.call({ op: 'execute', request });
    if (typeof r !== 'object' || r === null || typeof (r as { ok?: unknown }).ok !== 'boolean') {
      throw new EvmWorkerError('failed', 'execute: malformed answer');
    }
    return r as ExecResult;
  }

  decodeTx(raw: Hex): TxInfo | undefined {
    if (this.decoded.has(raw)) return this.decoded.get(raw);
    const r = this.call({ op: 'decodeTx', raw });
    const info = r === null ? undefined : (r as TxInfo);
    this.decoded.set(raw, info);
    return info;
  }

  signTx(request: TxRequest): Hex {
    return hex(this.call({ op: 'signTx', request }));
  }

  account(root: Hex, address: Hex): AccountInfo | undefined {
    const r = this.call({ op: 'account', root, address });
    return r === null ? undefined : (r as AccountInfo);
  }

  devAddress(key: number): Hex {
    let a = this.addresses.get(key);
    if (a === undefined) {
      a = hex(this.call({ op: 'devAddress', key }));
      this.addresses.set(key, a);
    }
    return a;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
  }
}

function hex(v: unknown): Hex {
  if (typeof v !== 'string' || !/^0x[0-9a-f]*$/.test(v)) {
    throw new EvmWorkerError('failed', `expected hex, got ${JSON.stringify(v)}`);
  }
  return v;
}

let shared: WorkerExecutor | undefined;

/** One executor per process, started on first use: its trie database serves every node. */
export function sharedWorkerExecutor(): WorkerExecutor {
  shared ??= new WorkerExecutor();
  return shared;
}
