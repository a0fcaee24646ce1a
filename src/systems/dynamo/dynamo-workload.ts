/**
 * The dynamo system's clients. For the register (the Dynamo paper's shopping cart) a client
 * reads a cart, merges its siblings' items, adds one item of its own (`process.opNumber`) and
 * writes the cart back over the context it read; now and then it writes blind (no read, no
 * context), as a client that lost its session would. For a CRDT it sends the type's updates.
 * What a client read last is state beyond its last answer, kept against its random stream (as
 * kafka-workload.ts does), so the same seed builds the same carts.
 */
import type { Json } from '../../core/json.js';
import type { Random } from '../../core/random.js';
import type { ValueType } from './dynamo-params.js';

export const DYNAMO_KEYS = ['cart0', 'cart1', 'cart2'];

interface ClientState {
  /** The op issued last and the latest ok answer then: a new answer means it succeeded. */
  last: { readonly f: string; readonly key: string; readonly okBefore: Json | undefined } | null;
  /** The cart read by the op just before, when it succeeded. */
  read: { readonly key: string; readonly result: Json } | null;
  /** Elements this client saw or added, per key (what an OR-set or 2P-set client removes). */
  readonly seen: Map<string, string[]>;
}

const states = new WeakMap<Random, ClientState>();

/** The items of a cart value: space-separated. */
export function cartItems(value: string): string[] {
  return value === '' ? [] : value.split(' ');
}

function learn(state: ClientState, lastOk: Json | undefined): void {
  const last = state.last;
  state.read = null;
  if (last === null || lastOk === undefined || lastOk === last.okBefore || last.f !== 'get') return;
  state.read = { key: last.key, result: lastOk };
  if (typeof lastOk === 'object' && lastOk !== null && !Array.isArray(lastOk)) {
    const v = (lastOk as { value?: Json }).value;
    if (Array.isArray(v))
      state.seen.set(
        last.key,
        v.filter((e): e is string => typeof e === 'string'),
      );
  }
}

function cartPut(state: ClientState, random: Random, item: string): Json {
  const read = state.read;
  if (read === null || random.chance(0.15)) {
    return { f: 'put', key: random.pick(DYNAMO_KEYS), value: item };
  }
  const r = read.result as { values?: Json; ctx?: Json };
  const values = Array.isArray(r.values)
    ? r.values.filter((v): v is string => typeof v === 'string')
    : [];
  // The application's merge of siblings: the union of their items, then the new one.
  const items = new Set(values.flatMap(cartItems));
  items.add(item);
  return { f: 'put', key: read.key, value: [...items].sort().join(' '), ctx: r.ctx ?? null };
}

function crdtOp(
  type: Exclude<ValueType, 'register'>,
  state: ClientState,
  random: Random,
  item: string,
): Json {
  const key = random.pick(DYNAMO_KEYS);
  switch (type) {
    case 'gcounter':
      return { f: 'inc', key, value: 1 + random.int(3) };
    case 'pncounter':
      return random.chance(0.6)
        ? { f: 'inc', key, value: 1 + random.int(3) }
        : { f: 'dec', key, value: 1 + random.int(3) };
    case 'lww':
    case 'mvreg':
      return { f: 'write', key, value: item };
    case 'orset':
    case '2pset': {
      const seen = state.seen.get(key) ?? [];
      if (seen.length > 0 && random.chance(0.3))
        return { f: 'remove', key, value: random.pick(seen) };
      state.seen.set(key, [...seen, item]);
      return { f: 'add', key, value: item };
    }
  }
}

export function nextDynamoOp(
  type: ValueType,
  random: Random,
  process: number,
  issued: number,
  lastOk: Json | undefined,
): Json {
  let state = states.get(random);
  if (state === undefined || issued === 0) {
    state = { last: null, read: null, seen: new Map() };
    states.set(random, state);
  }
  learn(state, lastOk);
  const item = `${process}.${issued}`;
  let op: Json;
  if (type === 'register') {
    op =
      state.read !== null || random.chance(0.1)
        ? cartPut(state, random, item)
        : { f: 'get', key: random.pick(DYNAMO_KEYS) };
  } else {
    op = random.chance(0.4)
      ? { f: 'get', key: random.pick(DYNAMO_KEYS) }
      : crdtOp(type, state, random, item);
  }
  const o = op as { f: string; key: string };
  state.last = { f: o.f, key: o.key, okBefore: lastOk };
  return op;
}
