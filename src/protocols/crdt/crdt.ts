/**
 * The CRDTs by name, behind one interface the Dynamo store drives (`--param type=…`): a state
 * is plain data; `mutate` returns a delta (a small state) that any replica joins into its own.
 */
import type { Json } from '../../core/json.js';
import { covers as exactCovers, type Covers } from './causal-context.js';
import {
  gcounterInc,
  gcounterJoin,
  gcounterValue,
  PN_EMPTY,
  pncounterAdd,
  pncounterJoin,
  pncounterValue,
} from './counters.js';
import { DOT_STORE_EMPTY } from './dot-store.js';
import { LWW_EMPTY, lwwJoin, lwwWrite, mvJoin, mvValues, mvWrite } from './registers.js';
import {
  orsetAdd,
  orsetJoin,
  orsetRemove,
  orsetValue,
  TWO_PHASE_EMPTY,
  twoPhaseAdd,
  twoPhaseJoin,
  twoPhaseRemove,
  twoPhaseValue,
} from './sets.js';
import { asCounter, asDotStore, asLww, asPNCounter, asTwoPhase, CrdtStateError } from './states.js';

export const CRDT_NAMES = ['gcounter', 'pncounter', 'lww', 'mvreg', 'orset', '2pset'] as const;
export type CrdtName = (typeof CRDT_NAMES)[number];

export interface CrdtOp {
  readonly f: string;
  readonly value?: Json;
}

export interface Crdt {
  readonly name: CrdtName;
  /** The update operations it takes (besides `get`). */
  readonly ops: readonly string[];
  readonly empty: Json;
  join(a: Json, b: Json): Json;
  /** What a read returns. */
  value(s: Json): Json;
  /** The delta of `actor`, who knows state `s`, applying `op` at its local time `now`. */
  mutate(s: Json, op: CrdtOp, actor: string, now: number): Json;
}

export function isCrdtName(x: string): x is CrdtName {
  return (CRDT_NAMES as readonly string[]).includes(x);
}

function int(op: CrdtOp): number {
  if (typeof op.value !== 'number' || !Number.isInteger(op.value)) {
    throw new CrdtStateError(`${op.f} takes an integer`);
  }
  return op.value;
}

function str(op: CrdtOp): string {
  if (typeof op.value !== 'string') throw new CrdtStateError(`${op.f} takes a string`);
  return op.value;
}

function wrongOp(name: string, op: CrdtOp): never {
  throw new CrdtStateError(`${name} takes no '${op.f}'`);
}

/**
 * The CRDT `name`; `covers` decides when a dot was seen (a mutant passes a broken one) for the
 * types built on dots.
 */
export function crdtFor(name: CrdtName, covers: Covers = exactCovers): Crdt {
  switch (name) {
    case 'gcounter':
      return {
        name,
        ops: ['inc'],
        empty: {},
        join: (a, b) => gcounterJoin(asCounter(a), asCounter(b)),
        value: (s) => gcounterValue(asCounter(s)),
        mutate: (s, op, actor) =>
          op.f === 'inc' ? gcounterInc(asCounter(s), actor, int(op)) : wrongOp(name, op),
      };
    case 'pncounter':
      return {
        name,
        ops: ['inc', 'dec'],
        empty: PN_EMPTY,
        join: (a, b) => pncounterJoin(asPNCounter(a), asPNCounter(b)),
        value: (s) => pncounterValue(asPNCounter(s)),
        mutate: (s, op, actor) => {
          if (op.f !== 'inc' && op.f !== 'dec') wrongOp(name, op);
          const by = op.f === 'inc' ? int(op) : -int(op);
          return pncounterAdd(asPNCounter(s), actor, by);
        },
      };
    case 'lww':
      return {
        name,
        ops: ['write'],
        empty: LWW_EMPTY,
        join: (a, b) => lwwJoin(asLww(a), asLww(b)),
        value: (s) => asLww(s).value,
        mutate: (s, op, actor, now) =>
          op.f === 'write' ? lwwWrite(asLww(s), actor, now, op.value ?? null) : wrongOp(name, op),
      };
    case 'mvreg':
      return {
        name,
        ops: ['write'],
        empty: DOT_STORE_EMPTY,
        join: (a, b) => mvJoin(asDotStore(a), asDotStore(b), covers),
        value: (s) => mvValues(asDotStore(s)),
        mutate: (s, op, actor) => {
          if (op.f !== 'write') wrongOp(name, op);
          const own = asDotStore(s);
          return mvWrite(own, own.ctx, actor, op.value ?? null);
        },
      };
    case 'orset':
      return {
        name,
        ops: ['add', 'remove'],
        empty: DOT_STORE_EMPTY,
        join: (a, b) => orsetJoin(asDotStore(a), asDotStore(b), covers),
        value: (s) => orsetValue(asDotStore(s)),
        mutate: (s, op, actor) => {
          const st = asDotStore(s);
          if (op.f === 'add') return orsetAdd(st, actor, str(op));
          if (op.f === 'remove') return orsetRemove(st, str(op));
          return wrongOp(name, op);
        },
      };
    case '2pset':
      return {
        name,
        ops: ['add', 'remove'],
        empty: TWO_PHASE_EMPTY,
        join: (a, b) => twoPhaseJoin(asTwoPhase(a), asTwoPhase(b)),
        value: (s) => twoPhaseValue(asTwoPhase(s)),
        mutate: (_s, op) => {
          if (op.f === 'add') return twoPhaseAdd(str(op));
          if (op.f === 'remove') return twoPhaseRemove(str(op));
          return wrongOp(name, op);
        },
      };
  }
}
