/**
 * The shape of every Zab message, checked where messages come from outside this process (a real
 * node's peers). Zab's rules compare epochs and zxids, and the log accepts only zxids in
 * increasing order, so a NEWLEADER whose entries are out of order, or a PROPOSAL whose zxid is
 * not after its `prev`, is refused here rather than stopping the node on an assertion. The
 * simulator's messages come from the system's own nodes; a test checks them against this schema.
 */
import * as v from 'valibot';
import {
  clientId,
  clientSeq,
  count,
  memberOf,
  perClusterCheck,
} from '../../core/message-schema.js';
import type { NodeId } from '../../core/node.js';
import { compareZxid, type Zxid } from './zxid.js';

function zabMessage(cluster: readonly NodeId[]): v.GenericSchema {
  const zxid = v.strictTuple([count, count]);
  // The op is the state machine's business (it validates what it applies).
  const txn = v.strictObject({ client: clientId, seq: clientSeq, op: v.unknown() });
  const entry = v.strictObject({ z: zxid, txn });
  const vote = v.strictObject({ leader: memberOf(cluster), epoch: count, zxid });
  const state = v.picklist(['looking', 'following', 'leading']);
  const increasing = (zs: readonly Zxid[]): boolean =>
    zs.every((z, i) => i === 0 || compareZxid(zs[i - 1] as Zxid, z) < 0);

  return v.variant('type', [
    v.strictObject({ type: v.literal('notification'), round: count, state, vote }),
    v.strictObject({ type: v.literal('followerinfo'), acceptedEpoch: count }),
    v.strictObject({ type: v.literal('leaderinfo'), epoch: count }),
    v.strictObject({
      type: v.literal('ackepoch'),
      epoch: count,
      currentEpoch: count,
      lastZxid: zxid,
    }),
    v.pipe(
      v.strictObject({
        type: v.literal('newleader'),
        epoch: count,
        mode: v.picklist(['diff', 'trunc', 'snap']),
        base: zxid,
        followerLast: zxid,
        entries: v.array(entry),
      }),
      v.check(
        (m) => increasing([m.base, ...m.entries.map((e) => e.z)]) || m.mode === 'snap',
        'entries are not in increasing zxid order after base',
      ),
      v.check((m) => increasing(m.entries.map((e) => e.z)), 'entries out of zxid order'),
    ),
    v.strictObject({ type: v.literal('ack-newleader'), epoch: count, zxid }),
    v.strictObject({ type: v.literal('uptodate'), epoch: count, commit: zxid }),
    v.pipe(
      v.strictObject({ type: v.literal('proposal'), epoch: count, zxid, prev: zxid, txn }),
      v.check((m) => compareZxid(m.prev, m.zxid) < 0, 'zxid is not after prev'),
    ),
    v.strictObject({ type: v.literal('ack'), epoch: count, zxid }),
    v.strictObject({ type: v.literal('commit'), epoch: count, zxid }),
    v.strictObject({ type: v.literal('ping'), epoch: count, commit: zxid }),
    v.strictObject({
      type: v.literal('request'),
      epoch: count,
      client: clientId,
      seq: clientSeq,
      op: v.unknown(),
    }),
  ]);
}

/** Why `msg` is no Zab message of this cluster (`field: problem`), or undefined when it is one. */
export const zabMessageProblem: (msg: unknown, cluster: readonly NodeId[]) => string | undefined =
  perClusterCheck(zabMessage);
