/**
 * What brokers say to the active controller (the metadata quorum's Raft leader): heartbeats,
 * which register a broker's new life and keep it unfenced, and a partition leader's
 * AlterPartition. The controller answers through the metadata log, which every broker applies.
 */
import type { NodeId } from '../../core/node.js';

export interface BrokerHeartbeatMsg {
  readonly type: 'ctl-heartbeat';
  readonly incarnation: number;
  /** The broker has applied the record of its own registration (KRaft: caught up). */
  readonly caughtUp: boolean;
  /** A real broker's Kafka address (`host:port`), for its registration record. */
  readonly address?: string;
}

export interface AlterPartitionMsg {
  readonly type: 'ctl-alter-partition';
  readonly partition: string;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly NodeId[];
}

export type ControllerMsg = BrokerHeartbeatMsg | AlterPartitionMsg;

export function isControllerMsg(msg: { readonly type: string }): msg is ControllerMsg {
  return msg.type === 'ctl-heartbeat' || msg.type === 'ctl-alter-partition';
}
