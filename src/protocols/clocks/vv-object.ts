/**
 * The pre-DVV server: one version vector for all of a key's siblings (riak_object with vnode
 * vclocks, before Riak 2.0). A put's vector is the client's context merged with the object's
 * and bumped at the server; the old values stay unless the context descends the object's whole
 * vector. No update is lost, but values the client had seen stay as false siblings whenever a
 * concurrent write moved the object's vector on — the "sibling explosion" DVVs cure.
 */
import { vvDescends, vvIncrement, vvMerge, type VersionVector } from './version-vector.js';

export type VvObject = {
  readonly vv: VersionVector;
  /** Sorted, without duplicates. */
  readonly values: readonly string[];
};

export const VV_OBJECT_EMPTY: VvObject = { vv: {}, values: [] };

type Descends = (a: VersionVector, b: VersionVector) => boolean;

const union = (a: readonly string[], b: readonly string[]): string[] =>
  [...new Set([...a, ...b])].sort();

/** Server `id` takes `value` written over `context` into `object`. */
export function vvObjectPut(
  context: VersionVector,
  object: VvObject,
  id: string,
  value: string,
  descends: Descends = vvDescends,
): VvObject {
  const vv = vvIncrement(vvMerge(context, object.vv), id);
  return { vv, values: descends(context, object.vv) ? [value] : union(object.values, [value]) };
}

/** Merges two replicas' objects: the newer wins, concurrent ones keep both value sets. */
export function vvObjectSync(a: VvObject, b: VvObject, descends: Descends = vvDescends): VvObject {
  if (descends(a.vv, b.vv))
    return descends(b.vv, a.vv) ? { vv: a.vv, values: union(a.values, b.values) } : a;
  if (descends(b.vv, a.vv)) return b;
  return { vv: vvMerge(a.vv, b.vv), values: union(a.values, b.values) };
}
