/**
 * The zookeeper system's peer messages: Zab's, plus the sessions a follower's clients were heard
 * from, which it tells its leader every tick (ZooKeeper's followers report them in their PING
 * replies) so that the leader, and only the leader, decides which sessions have gone silent.
 */
import * as v from 'valibot';
import { count } from '../../core/message-schema.js';
import type { NodeId } from '../../core/node.js';
import { schemaProblem } from '../../core/schema-issue.js';
import type { ZabMsg } from '../../protocols/zab/messages.js';
import { zabMessageProblem } from '../../protocols/zab/message-schema.js';

/** Most sessions one touch names; a follower with more sends several. */
export const MAX_TOUCHED = 4096;

export type TouchMsg = {
  readonly type: 'zk-touch';
  readonly epoch: number;
  readonly sessions: readonly number[];
};

export type ZkMsg = ZabMsg | TouchMsg;

const touchSchema = v.strictObject({
  type: v.literal('zk-touch'),
  epoch: count,
  sessions: v.pipe(v.array(count), v.maxLength(MAX_TOUCHED)),
});

export function zkMessageProblem(msg: unknown, cluster: readonly NodeId[]): string | undefined {
  const touch =
    typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'zk-touch';
  return touch ? schemaProblem(touchSchema, msg, 'zk-touch') : zabMessageProblem(msg, cluster);
}
