/**
 * Pieces the systems' peer-message schemas share (each protocol's `message-schema.ts` builds on
 * them). A schema that names nodes or bounds a list by the cluster's size depends on the cluster,
 * so it is built once per cluster and kept: the check runs on every message a peer sends.
 */
import * as v from 'valibot';
import type { NodeId } from './node.js';
import { schemaProblem } from './schema-issue.js';

/**
 * The largest ballot, view, term, round or sequence number a schema accepts: 2^48. A node that
 * counts up by one every microsecond takes nine years to reach it, so no correct node sends
 * more; and the arithmetic a protocol does on a peer's number (the next round times the cluster
 * size plus an index, a view plus one) stays exact in a double, which 2^53 − 1 itself would not.
 */
export const MAX_COUNT = 281_474_976_710_656;

/** A whole number in [0, MAX_COUNT]. */
export const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(MAX_COUNT));

/**
 * A client's request number: the client port takes any safe whole number, so a system that
 * passes one on between nodes must too.
 */
export const clientSeq = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** A client's id as the client port takes it (non-empty, at most 256 characters). */
export const clientId = v.pipe(v.string(), v.minLength(1), v.maxLength(256));

/** A name for a transaction, a client, a key: short enough that a table of them stays small. */
export const shortText = v.pipe(v.string(), v.maxLength(256));

/** A cluster member's id. */
export function memberOf(cluster: readonly NodeId[]): v.GenericSchema<unknown, NodeId> {
  return v.picklist(cluster as NodeId[]);
}

/**
 * `checkMessage` for a schema that depends on the cluster: `build(cluster)` runs once per
 * cluster array (a node keeps the one it was started with), its answer is reused after that.
 */
export function perClusterCheck(
  build: (cluster: readonly NodeId[]) => v.GenericSchema,
): (msg: unknown, cluster: readonly NodeId[]) => string | undefined {
  const built = new WeakMap<readonly NodeId[], v.GenericSchema>();
  return (msg, cluster) => {
    let schema = built.get(cluster);
    if (schema === undefined) {
      schema = build(cluster);
      built.set(cluster, schema);
    }
    return schemaProblem(schema, msg, 'message');
  };
}
