/**
 * Every message a kafka node sends a peer, checked by kind: Raft's for the metadata quorum,
 * the ISR protocol's for data, and the brokers' heartbeats and AlterPartition to the controller
 * (whose node ids must name members of the cluster).
 */
import * as v from 'valibot';
import { count, memberOf, perClusterCheck, shortText } from '../../core/message-schema.js';
import type { NodeId } from '../../core/node.js';
import { isrMessageProblem } from '../../protocols/isr/message-schema.js';
import { raftMessageProblem } from '../../protocols/raft/message-schema.js';

function controllerMessage(cluster: readonly NodeId[]): v.GenericSchema {
  return v.variant('type', [
    v.strictObject({
      type: v.literal('ctl-heartbeat'),
      incarnation: count,
      caughtUp: v.boolean(),
      address: v.optional(v.pipe(shortText, v.minLength(1))),
    }),
    v.strictObject({
      type: v.literal('ctl-alter-partition'),
      partition: v.pipe(shortText, v.minLength(1)),
      leaderEpoch: count,
      partitionEpoch: count,
      isr: v.pipe(
        v.array(memberOf(cluster)),
        v.minLength(1),
        v.maxLength(cluster.length),
        v.check((isr) => new Set(isr).size === isr.length, 'a node is named twice'),
      ),
    }),
  ]);
}

const controllerMessageProblem = perClusterCheck(controllerMessage);

export function kafkaMessageProblem(msg: unknown, cluster: readonly NodeId[]): string | undefined {
  const type = (msg as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && type.startsWith('isr-')) return isrMessageProblem(msg);
  if (typeof type === 'string' && type.startsWith('ctl-')) {
    return controllerMessageProblem(msg, cluster);
  }
  return raftMessageProblem(msg, cluster);
}
