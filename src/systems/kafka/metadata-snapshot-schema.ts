/**
 * The shape of a metadata machine's snapshot, checked before a follower restores one a leader
 * sent (a buggy or hostile peer's snapshot is refused rather than stopping the node).
 */
import * as v from 'valibot';
import { count, shortText } from '../../core/message-schema.js';
import { schemaProblem } from '../../core/schema-issue.js';
import type { Json } from '../../core/json.js';
import { isGroupRecord } from './metadata-records.js';

const name = v.pipe(shortText, v.minLength(1));
const names = v.pipe(v.array(name), v.maxLength(1024));

const snapshot = v.strictObject({
  brokers: v.array(
    v.tuple([
      name,
      v.strictObject({
        incarnation: count,
        fenced: v.boolean(),
        address: v.optional(name),
      }),
    ]),
  ),
  topics: v.array(v.union([v.tuple([name, count]), v.tuple([name, count, count])])),
  deleted: v.optional(
    v.array(v.strictObject({ topic: name, id: count, partitions: v.array(name) })),
  ),
  partitions: v.array(
    v.strictObject({
      partition: name,
      replicas: names,
      leader: v.nullable(name),
      leaderEpoch: count,
      isr: names,
      partitionEpoch: count,
    }),
  ),
  offsets: v.array(v.tuple([name, v.record(v.string(), count)])),
  sessions: v.array(v.tuple([v.string(), count, v.unknown()])),
  groups: v.optional(v.array(v.custom(isGroupRecord, 'not a group record'))),
  producerIds: v.optional(count),
});

export function metadataSnapshotProblem(data: Json): string | undefined {
  return schemaProblem(snapshot, data, 'snapshot');
}
