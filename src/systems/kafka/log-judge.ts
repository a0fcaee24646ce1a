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
 *  - `phantom`: a poll reading a value never sent (to that partition).
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
import { OffsetFacts, describeValue } from './log-judge-offsets.js';
import { readLogHistory, type LogValue, type Malformed } from './log-judge-ops.js';

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
  const sends = { ok: 0, fail: 0, unknown: 0 };
  let polls = 0;
  let records = 0;
  const unsent = new Set<LogValue>();
  for (const p of ops) {
    if (p.f === 'send') {
      sends[p.op.outcome]++;
      if (p.offset !== undefined) facts.see(p.key, p.offset, p.value, p.op.id, 'send');
    } else if (p.f === 'poll' && p.op.outcome === 'ok') {
      polls++;
      for (const r of p.records) {
        records++;
        facts.see(r.key, r.offset, r.value, p.op.id, 'poll');
        const send = sendOf.get(r.value);
        if (send === undefined || send.key !== r.key) {
          if (unsent.has(r.value)) continue;
          unsent.add(r.value);
          evidence.add('phantom', {
            ops: send === undefined ? [p.op.id] : [send.op.id, p.op.id],
            key: r.key,
            offset: r.offset,
            value: r.value,
            why:
              `op ${p.op.id} read ${describeValue(r.value)} at ${r.key} offset ${r.offset}, ` +
              (send === undefined
                ? 'a value no op sent'
                : `but op ${send.op.id} sent it to ${send.key}`),
          });
        } else if (send.op.outcome === 'fail' && !unsent.has(r.value)) {
          unsent.add(r.value);
          evidence.add('failed-write-visible', {
            ops: [send.op.id, p.op.id],
            key: r.key,
            offset: r.offset,
            value: r.value,
            why:
              `op ${p.op.id} read ${describeValue(r.value)} at ${r.key} offset ${r.offset}, ` +
              `whose send (op ${send.op.id}) failed${send.op.error ? ` (${send.op.error})` : ''}`,
          });
        }
      }
    }
  }

  let unreadAcked = 0;
  for (const send of sendOf.values()) {
    if (send.offset === undefined) continue;
    const places = facts.readPlaces(send.value);
    if (places.some((p) => p.key === send.key && p.offset === send.offset)) continue;
    const high = facts.highest(send.key);
    if (high === undefined || high.offset < send.offset) {
      unreadAcked++;
      continue;
    }
    // Read, but only somewhere else: the record acknowledged at that offset is not the one
    // readers found there (duplicate / inconsistent-offset say where it went).
    const elsewhere = places
      .slice(0, 2)
      .map((p) => `${p.key} offset ${p.offset} (op ${p.op})`)
      .join(' and ');
    evidence.add('lost-write', {
      ops: [send.op.id, high.op],
      key: send.key,
      offset: send.offset,
      value: send.value,
      why:
        `op ${send.op.id} sent ${describeValue(send.value)}, acknowledged at ${send.key} offset ` +
        `${send.offset}; op ${high.op} read ${send.key} up to offset ${high.offset}, yet ` +
        (places.length === 0
          ? `no poll ever read ${describeValue(send.value)}`
          : `polls read it only at ${elsewhere}`),
    });
  }

  const consumers = new Map<number, Consumer>();
  let commits = 0;
  let seeks = 0;
  for (const p of ops) {
    if (p.f === 'send') continue;
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
