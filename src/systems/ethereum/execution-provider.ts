/**
 * Where a node gets its execution port. The port runs the EVM outside the deterministic layers
 * (src/runtime/evm/ in Node), so whoever composes a run installs it: the CLI at start-up, a test
 * before it builds nodes. Nodes ask for it only when they start, so listing or validating the
 * system never starts an EVM.
 */
import type { ExecutionPort } from '../../protocols/ethereum/execution-port.js';

let provider: (() => ExecutionPort) | undefined;

export class NoExecutionPortError extends Error {
  readonly code = 'no-execution-port';
}

export function setExecutionPortProvider(p: () => ExecutionPort): void {
  provider = p;
}

export function executionPort(): ExecutionPort {
  if (provider === undefined) {
    throw new NoExecutionPortError(
      'ethereum needs an execution port: call setExecutionPortProvider (src/runtime/evm/worker-executor.js in Node)',
    );
  }
  return provider();
}
