/**
 * The shape of a kv-raft snapshot, checked before a follower restores one a leader sent: the
 * restore trusts what it reads (it maps over `data` and `sessions`), so a snapshot from a buggy
 * or hostile peer that is not one would stop the node, and one with a session numbered "7" or
 * 1.5 would answer later duplicates wrongly (sessions compare sequence numbers).
 */
import * as v from 'valibot';
import { clientId, clientSeq } from '../../core/message-schema.js';
import { schemaProblem } from '../../core/schema-issue.js';

const kvSnapshot = v.strictObject({
  data: v.array(v.tuple([v.string(), v.string()])),
  // A session's last result is whatever the machine answered: any JSON.
  sessions: v.array(v.tuple([clientId, clientSeq, v.unknown()])),
});

/** Why `data` is not a kv-raft snapshot (`field: problem`), or undefined when it is one. */
export function kvSnapshotProblem(data: unknown): string | undefined {
  return schemaProblem(kvSnapshot, data, 'snapshot');
}
