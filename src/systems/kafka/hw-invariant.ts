/**
 * "No leader's high watermark passes the log end offset of an ISR member following it in the
 * same epoch", checked across the live nodes after every simulated step: an offset below the HW
 * must be on every in-sync replica, or a leader elected from the ISR could lack it.
 */
import type { NodeId, ProtocolNode } from '../../core/node.js';
import { KafkaNode } from './kafka-node.js';

export function hwProblem(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
  for (const [id, node] of nodes) {
    if (!(node instanceof KafkaNode)) continue;
    for (const partition of node.replicas.partitions) {
      const role = node.replicas.roleOf(partition);
      if (role?.kind !== 'leader') continue;
      const hw = role.leader.log.hw;
      for (const member of role.leader.currentIsr) {
        if (member === id) continue;
        const other = nodes.get(member);
        if (!(other instanceof KafkaNode)) continue;
        const theirs = other.replicas.roleOf(partition);
        if (theirs?.kind !== 'follower') continue;
        if (theirs.follower.leader !== id || theirs.follower.epoch !== role.leader.epoch) continue;
        if (theirs.follower.log.leo < hw) {
          return (
            `${partition}: leader ${id}'s high watermark ${hw} (epoch ${role.leader.epoch}) is ` +
            `past ISR member ${member}'s log end ${theirs.follower.log.leo}`
          );
        }
      }
    }
  }
  return undefined;
}
