/**
 * What the store keeps per key, by `type` and `clocks`: how replicas' states merge, how a
 * coordinator turns a client's update into a version (or a CRDT delta) to replicate, and what a
 * read returns. The register kinds are the cart of the Dynamo paper, whose client reads the
 * siblings with their context and writes a merged value back over that context.
 */
import type { Json } from '../../core/json.js';
import { vvDescends, type VersionVector } from '../../protocols/clocks/version-vector.js';
import {
  vvObjectPut,
  vvObjectSync,
  VV_OBJECT_EMPTY,
  type VvObject,
} from '../../protocols/clocks/vv-object.js';
import {
  CONTEXT_EMPTY,
  covers as exactCovers,
  type CausalContext,
  type Covers,
} from '../../protocols/crdt/causal-context.js';
import { crdtFor } from '../../protocols/crdt/crdt.js';
import { DOT_STORE_EMPTY, dotStoreJoin, type DotStore } from '../../protocols/crdt/dot-store.js';
import {
  LWW_EMPTY,
  lwwJoin,
  lwwWrite,
  mvWrite,
  type LwwRegister,
} from '../../protocols/crdt/registers.js';
import {
  asContext,
  asCounter,
  asDotStore,
  asLww,
  CrdtStateError,
} from '../../protocols/crdt/states.js';
import type { DynamoParams } from './dynamo-params.js';

/** A client's update as the coordinator gets it. */
export interface UpdateOp {
  readonly f: string;
  readonly value?: Json;
  /** For a register: the context of the read the value was made from. */
  readonly ctx?: Json;
}

export interface ValueKind {
  /** The update operations it takes (besides `get`). */
  readonly ops: readonly string[];
  readonly empty: Json;
  merge(a: Json, b: Json): Json;
  /** The version or delta `actor` makes of `op`, knowing `own` of the key, at local time `now`. */
  update(own: Json, op: UpdateOp, actor: string, now: number): Json;
  /** A read's answer. */
  view(state: Json): Json;
  /** A short account of a state for the lab: each sibling (or the value) and the clock. */
  describe(state: Json): KeyDescription;
}

export interface KeyDescription {
  /** One label per sibling: its dot or stamp and how many items its cart holds. */
  readonly siblings: readonly string[];
  /** The key's clock: its version vector (and dots past a gap), or the winning stamp. */
  readonly clock: string;
}

const vvText = (vv: Readonly<Record<string, number>>): string =>
  Object.entries(vv)
    .map(([id, n]) => `${id}:${n}`)
    .join(' ');

const items = (v: Json): string => {
  const n = typeof v === 'string' && v !== '' ? v.split(' ').length : 0;
  return `${n} item${n === 1 ? '' : 's'}`;
};

function shortJson(v: Json): string {
  const t = JSON.stringify(v);
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

/** The rules a mutant may break, each in one place. */
export interface KindRules {
  readonly covers: Covers;
  readonly descends: (a: VersionVector, b: VersionVector) => boolean;
  /** A read returns every sibling (false: only the first — the `drop-siblings` mutant). */
  readonly allSiblings: boolean;
}

export const CORRECT_RULES: KindRules = {
  covers: exactCovers,
  descends: vvDescends,
  allSiblings: true,
};

function text(op: UpdateOp): string {
  if (typeof op.value !== 'string') throw new CrdtStateError(`${op.f} takes a string value`);
  return op.value;
}

function onlyPut(op: UpdateOp): void {
  if (op.f !== 'put') throw new CrdtStateError(`a register takes put, not '${op.f}'`);
}

function asVvObject(x: Json): VvObject {
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new CrdtStateError('not a vv object');
  const o = x as { vv?: Json; values?: Json };
  const values = o.values;
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
    throw new CrdtStateError('vv object values are not strings');
  }
  return { vv: asCounter(o.vv), values: values as string[] };
}

function siblings(values: readonly string[], rules: KindRules): string[] {
  const sorted = [...values].sort();
  return rules.allSiblings ? sorted : sorted.slice(0, 1);
}

function dvvRegister(rules: KindRules): ValueKind {
  return {
    ops: ['put'],
    empty: DOT_STORE_EMPTY,
    merge: (a, b) => dotStoreJoin(asDotStore(a), asDotStore(b), rules.covers),
    update(own, op, actor) {
      onlyPut(op);
      const seen: CausalContext = op.ctx === undefined ? CONTEXT_EMPTY : asContext(op.ctx);
      return mvWrite(asDotStore(own), seen, actor, text(op));
    },
    view(state) {
      const s: DotStore = asDotStore(state);
      const values = s.entries.map((e) => String(e.value));
      return { values: siblings(values, rules), ctx: s.ctx };
    },
    describe(state) {
      const s = asDotStore(state);
      const cloud = s.ctx.cloud.map(([id, n]) => ` +${id}:${n}`).join('');
      return {
        siblings: s.entries.map((e) => `${e.dot[0]}:${e.dot[1]} (${items(e.value)})`),
        clock: vvText(s.ctx.vv) + cloud,
      };
    },
  };
}

function vvRegister(rules: KindRules): ValueKind {
  return {
    ops: ['put'],
    empty: VV_OBJECT_EMPTY,
    merge: (a, b) => vvObjectSync(asVvObject(a), asVvObject(b), rules.descends),
    update(own, op, actor) {
      onlyPut(op);
      const seen = op.ctx === undefined ? {} : asCounter(op.ctx);
      // As riak_object: over all the coordinator knows of the key, whose values stay siblings
      // unless the client's context covers them all. Bumping only the client's context would
      // claim the coordinator's own earlier events, and a replica would drop their values.
      return vvObjectPut(seen, asVvObject(own), actor, text(op), rules.descends);
    },
    view(state) {
      const s = asVvObject(state);
      return { values: siblings(s.values, rules), ctx: s.vv };
    },
    describe(state) {
      const s = asVvObject(state);
      return { siblings: s.values.map((v, i) => `#${i + 1} (${items(v)})`), clock: vvText(s.vv) };
    },
  };
}

const lwwRegister: ValueKind = {
  ops: ['put'],
  empty: LWW_EMPTY,
  merge: (a, b) => lwwJoin(asLww(a), asLww(b)),
  update(own, op, actor, now) {
    onlyPut(op);
    const seen: LwwRegister = op.ctx === undefined ? LWW_EMPTY : asLww(op.ctx);
    return lwwWrite(lwwJoin(asLww(own), seen), actor, now, text(op));
  },
  view(state) {
    const s = asLww(state);
    return { values: s.value === null ? [] : [String(s.value)], ctx: { ...s, value: null } };
  },
  describe(state) {
    const s = asLww(state);
    return {
      siblings: s.value === null ? [] : [`(${items(s.value)})`],
      clock: `t${s.t}@${s.actor}`,
    };
  },
};

export function valueKind(params: DynamoParams, rules: KindRules = CORRECT_RULES): ValueKind {
  if (params.type === 'register') {
    if (params.clocks === 'dvv') return dvvRegister(rules);
    if (params.clocks === 'vv') return vvRegister(rules);
    return lwwRegister;
  }
  const crdt = crdtFor(params.type, rules.covers);
  return {
    ops: crdt.ops,
    empty: crdt.empty,
    merge: (a, b) => crdt.join(a, b),
    update: (own, op, actor, now) => crdt.mutate(own, op, actor, now),
    view: (state) => ({ value: crdt.value(state) }),
    describe: (state) => ({ siblings: [shortJson(crdt.value(state))], clock: '' }),
  };
}
