/**
 * The worker thread that owns an EvmEngine. Requests arrive on the port the parent handed over;
 * each answer is posted back and then `flag` is set and notified, which wakes the parent blocked
 * in Atomics.wait (worker-executor.ts). Requests are served one at a time, in order.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { EvmEngine, devAddressOf } from './engine.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

const { port, flag } = workerData as { port: MessagePort; flag: SharedArrayBuffer };
const done = new Int32Array(flag);
const engine = new EvmEngine();

async function serve(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'genesis':
      return engine.genesis(req.alloc);
    case 'execute':
      return engine.execute(req.request);
    case 'decodeTx':
      return engine.decodeTx(req.raw) ?? null;
    case 'signTx':
      return engine.signTx(req.request);
    case 'account':
      return (await engine.account(req.root, req.address)) ?? null;
    case 'devAddress':
      return devAddressOf(req.key);
  }
}

// A chain of promises keeps requests in order even though each is served asynchronously.
let queue: Promise<void> = Promise.resolve();
port.on('message', (req: WorkerRequest) => {
  queue = queue.then(async () => {
    let res: WorkerResponse;
    try {
      res = { ok: true, value: await serve(req) };
    } catch (e) {
      res = { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(res);
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
  });
});
parentPort?.postMessage('ready');
