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

interface ClientState {
  readonly positions: Map<string, number>;
  /** The op issued last and the client's latest ok answer then: a new answer means it was ok. */
  last: { readonly f: string; readonly okBefore: Json | undefined } | null;
  nextPoll: number;
}

const states = new WeakMap<Random, ClientState>();

function learn(state: ClientState, lastOk: Json | undefined): void {
  const last = state.last;
  if (last === null || lastOk === undefined || lastOk === last.okBefore) return;
  if (typeof lastOk !== 'object' || lastOk === null || Array.isArray(lastOk)) return;
  if (last.f === 'poll') {
    const records = (lastOk as { records?: Json }).records;
    if (!Array.isArray(records)) return;
    for (const r of records as readonly Json[]) {
      const [key, offset] = r as readonly [string, number];
      state.positions.set(key, offset + 1);
    }
  } else if (last.f === 'seek-committed') {
    for (const [key, o] of Object.entries(lastOk as Record<string, Json>)) {
      state.positions.set(key, typeof o === 'number' ? o : 0);
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
): Json {
  let state = states.get(random);
  if (state === undefined || issued === 0) {
    state = { positions: new Map(), last: null, nextPoll: process % partitions };
    states.set(random, state);
  }
  learn(state, lastOk);
  const u = random.next();
  let op: Json;
  if (u < 0.5) {
    op = {
      f: 'send',
      key: partitionName(topic, random.int(partitions)),
      value: process * 1_000_000 + issued,
    };
  } else if (u < 0.85) {
    const key = partitionName(topic, state.nextPoll);
    state.nextPoll = (state.nextPoll + 1) % partitions;
    op = { f: 'poll', from: { [key]: state.positions.get(key) ?? 0 } };
  } else if (u < 0.95) {
    const value: Record<string, number> = {};
    for (let i = 0; i < partitions; i++) {
      const key = partitionName(topic, i);
      value[key] = state.positions.get(key) ?? 0;
    }
    op = { f: 'commit', value };
  } else {
    op = { f: 'seek-committed' };
  }
  state.last = { f: (op as { f: string }).f, okBefore: lastOk };
  return op;
}
