/**
 * Where a leader may commit: the highest zxid that `needed` servers durably hold, given each
 * server's cumulative ack (the leader's own synced log among them). Every follower's history is
 * a prefix of the leader's, so a server that acked z holds everything up to z.
 */
import { compareZxid, type Zxid } from './zxid.js';

export function commitPoint(acks: readonly Zxid[], needed: number): Zxid | undefined {
  const sorted = [...acks].sort((a, b) => compareZxid(b, a));
  return sorted[needed - 1];
}
