/**
 * The kafka system's clients (history format: docs/kafka.md, "History"): each is a producer and
 * a consumer of its own group. It sends unique integer values (process × 1,000,000 + the op's
 * number) to a random partition, polls one partition at a time from its position, commits its
 * positions, and now and then seeks to its group's committed offsets as a restarted consumer
 * would. Its positions are state beyond its last answer, kept against its random stream (one
 * object per client per run, as zk-workload.ts does), so the same seed builds the same states.
 */
import type { Json } from '../../core/json.js';
import type { Random } from '../../core/random.js';
import { partitionName } from './metadata-records.js';
import { partitionIndexOf } from './topic-ids.js';

/** With deletions on, the share of ops that delete the topic (the controller creates it anew). */
const DELETE_SHARE = 0.005;

interface ClientState {
  readonly positions: Map<string, number>;
  /**
   * Per partition index, the name the client last saw it under: a topic created anew after a
   * deletion names its partitions with its topic id (topic-ids.ts). Empty until then.
   */
  readonly names: Map<number, string>;
  /** The op issued last and the client's latest ok answer then: a new answer means it was ok. */
  last: { readonly f: string; readonly okBefore: Json | undefined } | null;
  nextPoll: number;
}

const states = new WeakMap<Random, ClientState>();

function seeName(state: ClientState, key: string): void {
  const i = partitionIndexOf(key);
  if (i !== undefined) state.names.set(i, key);
}

function learn(state: ClientState, lastOk: Json | undefined): void {
  const last = state.last;
  if (last === null || lastOk === undefined || lastOk === last.okBefore) return;
  if (typeof lastOk !== 'object' || lastOk === null || Array.isArray(lastOk)) return;
  if (last.f === 'poll') {
    const { records, partition } = lastOk as { records?: Json; partition?: Json };
    // Its partition's topic was deleted: this is the name of the same partition now.
    if (typeof partition === 'string') seeName(state, partition);
    if (!Array.isArray(records)) return;
    for (const r of records as readonly Json[]) {
      const [key, offset] = r as readonly [string, number];
      state.positions.set(key, offset + 1);
      seeName(state, key);
    }
  } else if (last.f === 'seek-committed') {
    for (const [key, o] of Object.entries(lastOk as Record<string, Json>)) {
      state.positions.set(key, typeof o === 'number' ? o : 0);
      seeName(state, key);
    }
  }
}

export function nextKafkaOp(
  random: Random,
  process: number,
  issued: number,
  lastOk: Json | undefined,
  topic: string,
  partitions: number,
  deletes = false,
): Json {
  let state = states.get(random);
  if (state === undefined || issued === 0) {
    state = { positions: new Map(), names: new Map(), last: null, nextPoll: process % partitions };
    states.set(random, state);
  }
  learn(state, lastOk);
  const names = state.names;
  const nameOf = (i: number): string => names.get(i) ?? partitionName(topic, i);
  const u = random.next();
  let op: Json;
  if (u < 0.5) {
    op = {
      f: 'send',
      key: nameOf(random.int(partitions)),
      value: process * 1_000_000 + issued,
    };
  } else if (u < 0.85) {
    const key = nameOf(state.nextPoll);
    state.nextPoll = (state.nextPoll + 1) % partitions;
    op = { f: 'poll', from: { [key]: state.positions.get(key) ?? 0 } };
  } else if (u < 0.95) {
    const value: Record<string, number> = {};
    for (let i = 0; i < partitions; i++) {
      const key = nameOf(i);
      value[key] = state.positions.get(key) ?? 0;
    }
    op = { f: 'commit', value };
  } else if (deletes && u >= 1 - DELETE_SHARE) {
    op = { f: 'delete-topic', key: topic };
  } else {
    op = { f: 'seek-committed' };
  }
  state.last = { f: (op as { f: string }).f, okBefore: lastOk };
  return op;
}
