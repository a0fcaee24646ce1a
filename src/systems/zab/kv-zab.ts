/**
 * `kv-zab`: the key-value store replicated by Zab, ZooKeeper's atomic broadcast. Every client
 * operation, a get included, is proposed by the leader and answered by the server the client
 * called once that server has delivered it, so the whole history is checked for linearizability
 * by the `kv` model. (ZooKeeper itself answers reads from the connected server's local state,
 * which is only sequentially consistent; that is the coordination service's business, issue 20.)
 */
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import { ZabRecorder } from '../../protocols/zab/invariants.js';
import type { ZabMsg } from '../../protocols/zab/messages.js';
import { zabMessageProblem } from '../../protocols/zab/message-schema.js';
import { ZAB_MUTANTS, zabMutantsFor } from '../../protocols/zab/mutants.js';
import { ZabNode, type ZabOptions } from '../../protocols/zab/zab-node.js';
import { KvZabMachine } from './kv-zab-machine.js';

const PARAMS = [
  { name: 'tick', description: 'milliseconds between heartbeats (ZooKeeper tickTime; default 50)' },
  {
    name: 'sync-limit',
    description: 'ticks of silence before a follower or leader gives up (default 5)',
  },
  { name: 'init-limit', description: 'ticks discovery and sync may take (default 10)' },
  {
    name: 'diff-window',
    description: 'proposals a follower may lag and still get a DIFF, not a SNAP (default 64)',
  },
] as const;

function whole(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new Error(`--param ${name} wants a whole number ≥ ${min}`);
  }
  return n;
}

/** Zab's parameters, checked. */
export function zabOptionsFrom(params: Readonly<Record<string, string>>): ZabOptions {
  let options: ZabOptions = {};
  for (const [name, v] of Object.entries(params)) {
    switch (name) {
      case 'tick':
        options = { ...options, tickMs: whole(name, v, 1) };
        break;
      case 'sync-limit':
        options = { ...options, syncLimit: whole(name, v, 2) };
        break;
      case 'init-limit':
        options = { ...options, initLimit: whole(name, v, 2) };
        break;
      case 'diff-window':
        options = { ...options, diffWindow: whole(name, v, 0) };
        break;
      default:
        throw new Error(`kv-zab has no parameter '${name}'`);
    }
  }
  return options;
}

export const kvZabSystem: SystemDefinition = {
  name: 'kv-zab',
  description:
    'a linearizable KV on Zab: fast leader election, discovery, DIFF/TRUNC/SNAP sync, ' +
    'PROPOSAL/ACK/COMMIT broadcast',
  workload: 'kv',
  model: 'kv',
  mutants: ZAB_MUTANTS,
  defaultNodes: 5,
  minNodes: 1,
  params: PARAMS,
  createNode(options) {
    // One recorder per cluster: createNode is called once per simulated run.
    const zab: ZabOptions = {
      ...zabOptionsFrom(options.params ?? {}),
      mutants: zabMutantsFor(options.mutant),
      ...(options.invariants !== false ? { recorder: new ZabRecorder() } : {}),
    };
    return (env) => new ZabNode(env as NodeEnv<ZabMsg>, new KvZabMachine(), zab);
  },
  checkMessage: zabMessageProblem,
  checkInvariants(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
    for (const node of nodes.values()) {
      if (node instanceof ZabNode) return node.recorder?.violation;
    }
    return undefined;
  },
};
