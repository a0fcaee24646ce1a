/**
 * `ethereum`: proof of stake (a reduced Gasper: src/protocols/pos) over a real EVM
 * (ethereumjs, through the ExecutionPort the composer installs: execution-provider.ts). Every
 * node is a validator with a wallet that pays the next node's account; every node executes
 * every block and refuses one whose state root differs from its own. Judged by judge.ts.
 */
import type { NodeEnv, NodeId } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import { executionPort } from './execution-provider.js';
import { judgeEthereum } from './judge.js';
import { ethMessageCheck } from './message-schema.js';
import { ETH_MUTANTS, ETH_PARAMS, STRATEGIES, ethConfig } from './params.js';
import { ValidatorNode, type EthMsg } from './validator-node.js';

export const ETH_DURATION_MS = 60_000;
/** Epochs after the last heal within which every honest node must finalize again. */
export const LIVENESS_EPOCHS = 8;

export const ethereumSystem: SystemDefinition = {
  name: 'ethereum',
  description:
    'proof of stake (slots, RANDAO, LMD-GHOST, Casper FFG, slashing, inactivity leak) over a real EVM executed by every node',
  workload: 'none',
  nodeOnly:
    'every node runs the real EVM (ethereumjs) in a worker thread it waits on synchronously, which a page cannot do: run it with truthkit sim ethereum',
  durationMs: ETH_DURATION_MS,
  mutants: ETH_MUTANTS,
  defaultNodes: 4,
  minNodes: 1,
  params: ETH_PARAMS,
  byzantine: {
    strategies: STRATEGIES,
    tolerated: (n) => Math.floor((n - 1) / 3),
    params: (count, strategy) => ({ byzantine: String(count), strategy }),
  },
  checkMessage: ethMessageCheck,
  createNode(options) {
    const params = options.params ?? {};
    // Checked against the cluster up front, so a bad value is a usage error, not a failed run.
    if (options.cluster !== undefined) ethConfig(options.cluster, params, options.mutant);
    return (env) =>
      new ValidatorNode(
        env as NodeEnv<EthMsg>,
        ethConfig(env.cluster, params, options.mutant),
        executionPort,
      );
  },
  // Params reach only createNode, so the configuration the run was built with is read back from
  // its nodes.
  judge(_history, _cluster, nodes, context) {
    const node = [...nodes.values()].find((n): n is ValidatorNode => n instanceof ValidatorNode);
    if (node === undefined)
      return { verdict: 'unknown', message: 'no validator is alive at the end' };
    return judgeEthereum(
      nodes,
      { config: node.config, runEndMs: runEnd(nodes), boundEpochs: LIVENESS_EPOCHS },
      context,
    );
  },
};

function runEnd(nodes: ReadonlyMap<NodeId, unknown>): number {
  let t = 0;
  for (const n of nodes.values()) if (n instanceof ValidatorNode) t = Math.max(t, n.now());
  return t;
}
