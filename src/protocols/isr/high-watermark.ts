/**
 * The leader's high watermark: the smallest log end offset over the in-sync replicas, counting
 * the leader's own only once it is on disk and a follower's only as far as a Fetch of the
 * current epoch showed its log matches the leader's and is on its disk. An offset below it is on
 * the disk of every ISR member, so any leader the controller may elect (ISR only) has it.
 */
import type { NodeId } from '../../core/node.js';
import type { IsrMutants } from './mutants.js';

export function highWatermark(
  leader: NodeId,
  leaderLeo: number,
  leaderDurableLeo: number,
  isr: ReadonlySet<NodeId>,
  followerOffset: (id: NodeId) => number,
  mutants: IsrMutants,
): number {
  if (mutants.hwFromLeaderOnly) return leaderLeo;
  let hw = mutants.countBeforeSync ? leaderLeo : leaderDurableLeo;
  for (const id of isr) if (id !== leader) hw = Math.min(hw, followerOffset(id));
  return hw;
}
