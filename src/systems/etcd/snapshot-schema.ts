/**
 * The shape of an etcd-raft snapshot, checked before a follower restores one a leader sent: the
 * restore trusts what it reads (it replays events and indexes keys), so a snapshot from a buggy
 * or hostile peer that is not one would stop the node. Found by the fuzzer: a `snapshot` chunk of
 * `{"kv":{}}` stopped a node with "Cannot read properties of undefined (reading 'base')".
 */
import * as v from 'valibot';
import { schemaProblem } from '../../core/schema-issue.js';
import { authSnapshotSchema } from './auth-store.js';

const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

const keyValue = v.strictObject({
  key: v.string(),
  create_revision: count,
  mod_revision: count,
  version: count,
  value: v.string(),
  lease: count,
});

const watchEvent = v.strictObject({
  type: v.picklist(['PUT', 'DELETE']),
  kv: keyValue,
  prev_kv: v.optional(keyValue),
});

const machineSnapshot = v.strictObject({
  store: v.strictObject({
    revision: count,
    compactRevision: count,
    hash: v.string(),
    base: v.array(keyValue),
    eventsFrom: count,
    events: v.array(v.array(watchEvent)),
  }),
  leases: v.strictObject({
    leases: v.array(v.tuple([count, count, count])),
    grants: count,
    nextAuto: count,
  }),
  // A session's last result is whatever the machine answered: any JSON.
  sessions: v.array(v.tuple([v.string(), count, v.unknown()])),
  ops: count,
  auth: v.optional(authSnapshotSchema),
});

/** Why `data` is not an etcd-raft snapshot (`field: problem`), or undefined when it is one. */
export function etcdSnapshotProblem(data: unknown): string | undefined {
  return schemaProblem(machineSnapshot, data, 'snapshot');
}
