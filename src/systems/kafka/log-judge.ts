/**
 * The `kafka` system's judge, after Jepsen's Kafka analysis (Kingsbury 2022): from what clients
 * sent, polled, committed and resumed from, find
 *
 *  - `lost-write`: an acknowledged send (acks=all) at an offset some poll read up to or past,
 *    whose value no poll ever read;
 *  - `duplicate`: one value at two places (partition, offset), by polls or send acknowledgements;
 *  - `inconsistent-offset`: one place holding two values;
 *  - `poll-skip` / `nonmonotonic-poll`: a consumer jumping over a record or going back without a
 *    seek-committed in between (log-judge-consumer.ts);
 *  - `commit-backwards`: a seek-committed returning less than the group's acknowledged commit;
 *  - `failed-write-visible`: a poll reading a value whose send definitely failed;
 *  - `phantom`: a poll reading a value never sent (to that partition);
 *  - `deleted-topic-read` (named first when found): a poll reading, from a topic created after a
 *    deletion, a value sent to the same partition of the deleted topic of that name (or the
 *    other way round).
 *
 * Unknown sends may or may not appear; an acknowledged send is owed to readers only up to where
 * reads reached. A consumer's position is known from its first ok poll or seek-committed on (a
 * client that starts with a seek-committed has its first poll checked too). Two passes, each
 * linear, and one sort of each partition's offsets: n log n.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import type { Judgement } from '../../core/system.js';
import { Consumer } from './log-judge-consumer.js';
import { Evidence } from './log-judge-evidence.js';
import { OffsetFacts } from './log-judge-offsets.js';
import { readLogHistory, type Malformed } from './log-judge-ops.js';
import { findLostWrites, readWrites } from './log-judge-writes.js';

/** Malformed ops named in the details. */
const MALFORMED_SHOWN = 5;

function malformedVerdict(malformed: readonly Malformed[]): Judgement {
  const m = malformed[0];
  if (m === undefined) throw new Error('malformedVerdict without a malformed op');
  const more = malformed.length > 1 ? ` (and ${malformed.length - 1} more malformed ops)` : '';
  return {
    verdict: 'unknown',
    message: `cannot judge the kafka history: op ${m.id} (${m.f}): ${m.why}${more}`,
    details: {
      malformed: malformed.length,
      examples: malformed.slice(0, MALFORMED_SHOWN).map((x) => ({ op: x.id, f: x.f, why: x.why })),
    },
  };
}

export function judgeKafka(history: readonly HistoryOp[]): Judgement {
  const { ops, sendOf, malformed } = readLogHistory(history);
  if (malformed.length > 0) return malformedVerdict(malformed);

  const evidence = new Evidence();
  const facts = new OffsetFacts(evidence);
  const { sends, polls, records } = readWrites(ops, sendOf, facts, evidence);
  const unreadAcked = findLostWrites(sendOf, facts, evidence);

  const consumers = new Map<number, Consumer>();
  let commits = 0;
  let seeks = 0;
  for (const p of ops) {
    if (p.f === 'send' || p.f === 'delete-topic') continue;
    let c = consumers.get(p.op.process);
    if (c === undefined)
      consumers.set(p.op.process, (c = new Consumer(p.op.process, facts, evidence)));
    if (p.f === 'poll') c.poll(p);
    else if (p.f === 'commit') {
      c.commit(p);
      if (p.op.outcome === 'ok') commits++;
    } else {
      c.seek(p);
      if (p.op.outcome === 'ok') seeks++;
    }
  }

  const stats: Record<string, Json> = {
    sends,
    polls,
    records,
    commits,
    seeks,
    consumers: consumers.size,
    partitions: facts.partitions(),
    unreadAcked,
  };
  const first = evidence.first();
  if (first !== undefined) {
    return {
      verdict: 'invalid',
      message: `${first.kind}: ${first.example.why} (found ${evidence.summary()})`,
      details: { ...evidence.toJson(), ...stats },
    };
  }
  return {
    verdict: 'valid',
    message:
      `${count(sends.ok, 'acknowledged send')} (${sends.fail} failed, ${sends.unknown} unknown), ` +
      `${count(records, 'record')} read by ${count(polls, 'poll')} of ` +
      `${count(consumers.size, 'consumer')} on ${count(facts.partitions(), 'partition')}, ` +
      `${count(seeks, 'resume')} from committed offsets: no anomaly ` +
      `(${unreadAcked} acknowledged sends lay beyond what polls reached)`,
    details: { counts: {}, ...stats },
  };
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
