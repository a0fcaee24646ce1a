/**
 * The key-value operations every KV system in truthkit serves and every KV workload issues,
 * and their reference semantics. Keys start absent; a get of an absent key returns null; an
 * append to an absent key starts from the empty string; a cas compares with the current value
 * (null when absent) and reports whether it swapped.
 */
import type { Json } from './json.js';

export type KvOp =
  | { readonly f: 'get'; readonly key: string }
  | { readonly f: 'put'; readonly key: string; readonly value: string }
  | { readonly f: 'append'; readonly key: string; readonly value: string }
  | { readonly f: 'cas'; readonly key: string; readonly value: readonly [string | null, string] }
  | { readonly f: 'delete'; readonly key: string };

/** get → value or null; cas → swapped?; put, append, delete → null. */
export type KvResult = string | boolean | null;

export const KV_FUNCTIONS = ['get', 'put', 'append', 'cas', 'delete'] as const;

/** Applies `op` to `data` in place and returns its result. */
export function applyKv(data: Map<string, string>, op: KvOp): KvResult {
  switch (op.f) {
    case 'get':
      return data.get(op.key) ?? null;
    case 'put':
      data.set(op.key, op.value);
      return null;
    case 'append':
      data.set(op.key, (data.get(op.key) ?? '') + op.value);
      return null;
    case 'cas': {
      const current = data.get(op.key) ?? null;
      if (current !== op.value[0]) return false;
      data.set(op.key, op.value[1]);
      return true;
    }
    case 'delete':
      data.delete(op.key);
      return null;
  }
}

export function isKvOp(x: Json | undefined): x is KvOp & Json {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const o = x as Record<string, Json>;
  if (typeof o.key !== 'string') return false;
  switch (o.f) {
    case 'get':
    case 'delete':
      return true;
    case 'put':
    case 'append':
      return typeof o.value === 'string';
    case 'cas':
      return (
        Array.isArray(o.value) &&
        o.value.length === 2 &&
        (typeof o.value[0] === 'string' || o.value[0] === null) &&
        typeof o.value[1] === 'string'
      );
    default:
      return false;
  }
}

/** True when `op` can change the data (and so must be made durable before it is acknowledged). */
export function isKvWrite(op: KvOp): boolean {
  return op.f !== 'get';
}
