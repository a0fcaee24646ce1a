/**
 * How a leader brings a follower in line, from the follower's last zxid alone (as ZooKeeper's
 * LearnerHandler.syncFollower does):
 *  - DIFF when the follower's last zxid is in the leader's history and no more than `window`
 *    entries behind its end: send the entries after it.
 *  - TRUNC when the follower holds proposals of an epoch past the last one the leader has of
 *    that epoch (a proposal that epoch's leader never got committed): cut back to the leader's
 *    last zxid of that epoch, then send the rest. Within one epoch a follower's log is a prefix
 *    of that epoch's proposals (it accepts them in order), and before the epoch it is that
 *    epoch's leader's history, as the leader's is, so the cut leaves a prefix of the leader's.
 *  - SNAP otherwise (too far behind, or divergent across epochs): replace the follower's history
 *    with the leader's whole history. There is no state-machine snapshot: the leader never
 *    compacts its log, so the history itself is the snapshot (docs/zookeeper.md).
 */
import type { SyncMode } from './messages.js';
import type { ZabHistory } from './history.js';
import { ZXID_ZERO, type Zxid } from './zxid.js';

export interface SyncPlan {
  readonly mode: SyncMode;
  readonly base: Zxid;
  /** Send the leader's entries after this position. */
  readonly from: number;
}

export function planSync(history: ZabHistory, followerLast: Zxid, window: number): SyncPlan {
  const oldest = Math.max(0, history.length - window);
  const at = history.positionOf(followerLast);
  if (at !== undefined && at >= oldest) return { mode: 'diff', base: followerLast, from: at };
  if (at === undefined) {
    const below = history.positionBelow(followerLast);
    const cut = history.at(below);
    if (cut !== undefined && cut.z[0] === followerLast[0] && below >= oldest) {
      return { mode: 'trunc', base: cut.z, from: below };
    }
  }
  return { mode: 'snap', base: ZXID_ZERO, from: 0 };
}
