/**
 * Shape checks of CRDT states arriving as plain data (a peer's message, a stored record): each
 * returns the typed state or throws a CrdtStateError naming what is wrong, so a join never runs
 * on a malformed value.
 */
import type { Json } from '../../core/json.js';
import type { Dot } from '../clocks/dotted-version-vector.js';
import type { CausalContext } from './causal-context.js';
import type { DotStore } from './dot-store.js';
import type { GCounter, PNCounter } from './counters.js';
import type { LwwRegister } from './registers.js';
import type { TwoPhaseSet } from './sets.js';

export class CrdtStateError extends Error {
  readonly code = 'bad-crdt-state';
}

function fail(what: string): never {
  throw new CrdtStateError(what);
}

function record(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(`${what} is not an object`);
  return x as Record<string, unknown>;
}

const count = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

export function asCounter(x: unknown): GCounter {
  const r = record(x, 'counter');
  for (const [k, n] of Object.entries(r)) if (!count(n)) fail(`counter entry ${k} is not a count`);
  return r as GCounter;
}

export function asPNCounter(x: unknown): PNCounter {
  const r = record(x, 'pn-counter');
  return { p: asCounter(r.p), n: asCounter(r.n) };
}

function asDot(x: unknown): Dot {
  if (!Array.isArray(x) || x.length !== 2 || typeof x[0] !== 'string' || !count(x[1]) || x[1] < 1) {
    fail('a dot is [actor, counter ≥ 1]');
  }
  return [x[0], x[1]];
}

export function asContext(x: unknown): CausalContext {
  const r = record(x, 'causal context');
  if (!Array.isArray(r.cloud)) fail('causal context has no cloud');
  return { vv: asCounter(r.vv), cloud: r.cloud.map(asDot) };
}

export function asDotStore(x: unknown): DotStore {
  const r = record(x, 'dot store');
  if (!Array.isArray(r.entries)) fail('dot store has no entries');
  return {
    ctx: asContext(r.ctx),
    entries: r.entries.map((e: unknown) => {
      const o = record(e, 'dot store entry');
      if (!Object.hasOwn(o, 'value')) fail('dot store entry has no value');
      return { dot: asDot(o.dot), value: o.value as Json };
    }),
  };
}

export function asLww(x: unknown): LwwRegister {
  const r = record(x, 'lww register');
  if (!count(r.t) || typeof r.actor !== 'string' || !Object.hasOwn(r, 'value')) {
    fail('lww register needs t, actor and value');
  }
  return { t: r.t, actor: r.actor, value: r.value as Json };
}

function strings(x: unknown, what: string): string[] {
  if (!Array.isArray(x) || !x.every((e) => typeof e === 'string'))
    fail(`${what} is not a list of strings`);
  return x;
}

export function asTwoPhase(x: unknown): TwoPhaseSet {
  const r = record(x, '2p-set');
  return { added: strings(r.added, 'added'), removed: strings(r.removed, 'removed') };
}
