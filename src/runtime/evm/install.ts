/**
 * Importing this module composes the `ethereum` system with Node's execution port: ethereumjs in
 * a worker thread, one per process, started when the first node starts (worker-executor.ts).
 */
import { setExecutionPortProvider } from '../../systems/ethereum/execution-provider.js';
import { sharedWorkerExecutor } from './worker-executor.js';

setExecutionPortProvider(sharedWorkerExecutor);
