/**
 * `kv-paxos`: the key-value store on a Multi-Paxos log. Every operation, reads included, goes
 * through the log and is answered by the leader once it is chosen and applied, so the history
 * must be linearizable. Clients that reach a follower are sent to the leader.
 */
import { applyKv, isKvOp, type KvOp } from '../../core/kv.js';
import type { Json } from '../../core/json.js';
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import {
  MultiPaxosNode,
  type MultiPaxosMsg,
  type StateMachine,
} from '../../protocols/paxos/multi-paxos.js';
import { NO_MUTANTS } from '../../protocols/paxos/single-decree.js';
import { multiPaxosMessageCheck } from '../../protocols/paxos/message-schema.js';
import { multiPaxosLabViews } from './paxos-lab-views.js';

class KvMachine implements StateMachine {
  private readonly data = new Map<string, string>();
  private ops = 0;

  valid(op: Json): boolean {
    return isKvOp(op);
  }

  apply(op: Json): Json {
    this.ops++;
    return applyKv(this.data, op as unknown as KvOp);
  }

  summary() {
    return { keys: this.data.size, appliedOps: this.ops };
  }
}

export const kvPaxosSystem: SystemDefinition = {
  name: 'kv-paxos',
  description: 'a linearizable KV on a Multi-Paxos log with a distinguished leader',
  workload: 'kv',
  model: 'kv',
  labViews: multiPaxosLabViews,
  // The acceptor mutants live on `paxos`, where sweeps catch them: under a stable leader's
  // ballot they almost never matter, and a mutant no test catches proves nothing.
  mutants: [],
  defaultNodes: 3,
  minNodes: 1,
  createNode: () => (env) =>
    new MultiPaxosNode(env as NodeEnv<MultiPaxosMsg>, new KvMachine(), NO_MUTANTS),
  checkMessage: multiPaxosMessageCheck((op) => isKvOp(op)),
  checkInvariants: (nodes) => checkChosenAgree(nodes),
};

/** No two live nodes know different commands chosen for one slot (see checkLearnedAgree). */
function checkChosenAgree(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
  for (const [id, node] of nodes) {
    const latest = (node as MultiPaxosNode).latestChosen();
    if (latest === null) continue;
    const mine = JSON.stringify(latest.cmd);
    for (const [other, o] of nodes) {
      if (other === id) continue;
      const theirs = (o as MultiPaxosNode).chosenAt(latest.slot);
      if (theirs !== undefined && JSON.stringify(theirs) !== mine) {
        return `slot ${latest.slot}: ${id} chose ${mine}, ${other} chose ${JSON.stringify(theirs)}`;
      }
    }
  }
  return undefined;
}
