/**
 * The `kafka` history's operations, read into typed records (the format is the contract between
 * the simulator system and its judge, docs/kafka.md): send, poll, commit and seek-committed.
 * Reading never throws: an op of the wrong shape becomes a `Malformed` naming its id and what is
 * wrong, so the judge can answer `unknown` with a sentence instead of crashing.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';

/** A record's value: unique in the whole run (the sim uses integers; a real client may not). */
export type LogValue = number | string;

export interface SendOp {
  readonly f: 'send';
  readonly op: HistoryOp;
  readonly key: string;
  readonly value: LogValue;
  /** The offset an `ok` send was acknowledged at. */
  readonly offset?: number;
}

/** One record a poll returned. */
export interface ReadRecord {
  readonly key: string;
  readonly offset: number;
  readonly value: LogValue;
}

export interface PollOp {
  readonly f: 'poll';
  readonly op: HistoryOp;
  /** In the order received; empty unless `ok`. */
  readonly records: readonly ReadRecord[];
}

export interface CommitOp {
  readonly f: 'commit';
  readonly op: HistoryOp;
  /** Per partition, the next offset to read. */
  readonly offsets: ReadonlyMap<string, number>;
}

export interface SeekOp {
  readonly f: 'seek-committed';
  readonly op: HistoryOp;
  /** For an `ok` seek, per partition the committed offset, null when none; empty otherwise. */
  readonly offsets: ReadonlyMap<string, number | null>;
}

/**
 * A topic's deletion: its partitions' records go with it. A topic created anew under the name
 * names its partitions differently (`t-0~7`, topic-ids.ts), so no check needs to know when it
 * happened; a record of the old topic read from the new one is `deleted-topic-read`.
 */
export interface DeleteTopicOp {
  readonly f: 'delete-topic';
  readonly op: HistoryOp;
}

export type LogOp = SendOp | PollOp | CommitOp | SeekOp | DeleteTopicOp;

export interface Malformed {
  readonly id: number;
  readonly f: string;
  readonly why: string;
}

type Parsed = LogOp | Malformed;

const OUTCOMES = new Set(['ok', 'fail', 'unknown']);

function isOffset(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isValue(x: unknown): x is LogValue {
  return (typeof x === 'number' && Number.isSafeInteger(x)) || typeof x === 'string';
}

function isRecordObject(x: Json | undefined): x is { readonly [key: string]: Json } {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function bad(op: HistoryOp, why: string): Malformed {
  return { id: op.id, f: String(op.f), why };
}

function readSend(op: HistoryOp): Parsed {
  if (typeof op.key !== 'string') return bad(op, 'a send without a partition key');
  if (!isValue(op.value)) return bad(op, 'a send whose value is not an integer or a string');
  if (op.outcome !== 'ok') return { f: 'send', op, key: op.key, value: op.value };
  const r = op.result;
  if (!isRecordObject(r) || !isOffset(r.offset)) {
    return bad(op, 'an ok send whose result is not {offset: a non-negative integer}');
  }
  return { f: 'send', op, key: op.key, value: op.value, offset: r.offset };
}

function readPoll(op: HistoryOp): Parsed {
  if (op.outcome !== 'ok') return { f: 'poll', op, records: [] };
  const r = op.result;
  if (!isRecordObject(r) || !Array.isArray(r.records)) {
    return bad(op, 'an ok poll whose result is not {records: [...]}');
  }
  const records: ReadRecord[] = [];
  const list = r.records;
  for (let i = 0; i < list.length; i++) {
    const rec = list[i];
    if (
      !Array.isArray(rec) ||
      rec.length !== 3 ||
      typeof rec[0] !== 'string' ||
      !isOffset(rec[1]) ||
      !isValue(rec[2])
    ) {
      return bad(op, `records[${i}] is not [partition, offset, value]`);
    }
    records.push({ key: rec[0], offset: rec[1], value: rec[2] });
  }
  return { f: 'poll', op, records };
}

function readCommit(op: HistoryOp): Parsed {
  // Its value matters whatever the outcome: an unknown commit may yet have taken effect.
  const v = op.value;
  if (!isRecordObject(v)) return bad(op, 'a commit whose value is not {partition: offset}');
  const offsets = new Map<string, number>();
  for (const [key, o] of Object.entries(v)) {
    if (!isOffset(o)) return bad(op, `a commit whose offset for ${key} is not an integer ≥ 0`);
    offsets.set(key, o);
  }
  return { f: 'commit', op, offsets };
}

function readSeek(op: HistoryOp): Parsed {
  const offsets = new Map<string, number | null>();
  if (op.outcome !== 'ok') return { f: 'seek-committed', op, offsets };
  const r = op.result;
  if (!isRecordObject(r)) {
    return bad(op, 'an ok seek-committed whose result is not {partition: offset | null}');
  }
  for (const [key, o] of Object.entries(r)) {
    if (o !== null && !isOffset(o)) {
      return bad(op, `an ok seek-committed whose offset for ${key} is not null or an integer ≥ 0`);
    }
    offsets.set(key, o);
  }
  return { f: 'seek-committed', op, offsets };
}

/** One history op read, or what is wrong with it. */
export function readLogOp(op: HistoryOp): Parsed {
  if (typeof op !== 'object' || op === null) {
    return { id: -1, f: '?', why: 'an entry that is not an object' };
  }
  if (!Number.isSafeInteger(op.id) || !Number.isSafeInteger(op.process)) {
    return { id: Number(op.id), f: String(op.f), why: 'an op without an integer id and process' };
  }
  if (!OUTCOMES.has(op.outcome)) return bad(op, `outcome "${String(op.outcome)}"`);
  switch (op.f) {
    case 'send':
      return readSend(op);
    case 'poll':
      return readPoll(op);
    case 'commit':
      return readCommit(op);
    case 'seek-committed':
      return readSeek(op);
    case 'delete-topic':
      return typeof op.key === 'string' ? { f: 'delete-topic', op } : bad(op, 'no topic named');
    default:
      return bad(op, 'not a kafka op (send, poll, commit, seek-committed, delete-topic)');
  }
}

function isMalformed(p: Parsed): p is Malformed {
  return 'why' in p;
}

export interface LogHistory {
  /** In id order: invocation order, and, as a client has one op in flight, for each client the
   * order it saw the answers in. */
  readonly ops: readonly LogOp[];
  /** Each send by its value. */
  readonly sendOf: ReadonlyMap<LogValue, SendOp>;
  /** In id order; when any, the rest cannot be judged. */
  readonly malformed: readonly Malformed[];
}

/** The history read and put in id order; ops of the wrong shape, repeated ids and values sent
 * twice (values must be unique for a read to name its send) are malformed. */
export function readLogHistory(history: readonly HistoryOp[]): LogHistory {
  const ops: LogOp[] = [];
  const malformed: Malformed[] = [];
  for (const raw of history) {
    const p = readLogOp(raw);
    if (isMalformed(p)) malformed.push(p);
    else ops.push(p);
  }
  let sorted = true;
  for (let i = 1; i < ops.length && sorted; i++) {
    sorted = (ops[i - 1]?.op.id ?? -Infinity) < (ops[i]?.op.id ?? Infinity);
  }
  if (!sorted) ops.sort((a, b) => a.op.id - b.op.id);
  const sendOf = new Map<LogValue, SendOp>();
  let prev: LogOp | undefined;
  for (const p of ops) {
    if (prev !== undefined && prev.op.id === p.op.id) {
      malformed.push({ id: p.op.id, f: p.f, why: `id ${p.op.id} is used twice` });
    }
    prev = p;
    if (p.f !== 'send') continue;
    const twin = sendOf.get(p.value);
    if (twin === undefined) sendOf.set(p.value, p);
    else {
      const v = typeof p.value === 'string' ? JSON.stringify(p.value) : String(p.value);
      malformed.push({
        id: p.op.id,
        f: 'send',
        why: `sends value ${v} already sent by op ${twin.op.id} (values must be unique)`,
      });
    }
  }
  malformed.sort((a, b) => a.id - b.id);
  return { ops, sendOf, malformed };
}
