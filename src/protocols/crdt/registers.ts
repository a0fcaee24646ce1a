/**
 * Registers. The last-writer-wins register keeps the value with the highest (timestamp, actor)
 * and so silently drops all but one of concurrent writes. The multi-value register keeps every
 * concurrent write (a dot store): a write overwrites exactly what its writer had seen, which is
 * what Dynamo's siblings under dotted version vectors are.
 */
import type { Json } from '../../core/json.js';
import { contextAdd, maxCounter, type CausalContext } from './causal-context.js';
import { dotStoreJoin, type DotStore } from './dot-store.js';
import type { Covers } from './causal-context.js';

export type LwwRegister = {
  readonly t: number;
  readonly actor: string;
  readonly value: Json;
};

export const LWW_EMPTY: LwwRegister = { t: 0, actor: '', value: null };

function newer(a: LwwRegister, b: LwwRegister): boolean {
  return a.t > b.t || (a.t === b.t && a.actor > b.actor);
}

export function lwwJoin(a: LwwRegister, b: LwwRegister): LwwRegister {
  return newer(b, a) ? b : a;
}

/** `actor` writes `value` at local time `now`, stamped past anything it has seen. */
export function lwwWrite(r: LwwRegister, actor: string, now: number, value: Json): LwwRegister {
  return { t: Math.max(Math.floor(now), r.t + 1), actor, value };
}

export function mvJoin(a: DotStore, b: DotStore, covers?: Covers): DotStore {
  return dotStoreJoin(a, b, covers);
}

/**
 * The delta of `actor` writing `value` over context `seen` (what the writer read); `own` is what
 * the actor knows of the register, so its new dot is one it has never used.
 */
export function mvWrite(own: DotStore, seen: CausalContext, actor: string, value: Json): DotStore {
  const dot = [actor, maxCounter(own.ctx, actor) + 1] as const;
  return { ctx: contextAdd(seen, dot), entries: [{ dot, value }] };
}

export function mvValues(r: DotStore): Json[] {
  return r.entries.map((e) => e.value);
}
