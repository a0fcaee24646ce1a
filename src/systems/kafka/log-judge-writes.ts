/**
 * The kafka judge's pass over what was written and read: every record a send acknowledged or a
 * poll returned goes into the offset facts (which find duplicates and inconsistent offsets), each
 * read is matched to its send (`phantom` when there is none for that partition,
 * `failed-write-visible` when it definitely failed), and then each acknowledged send is looked
 * for where it was acknowledged (`lost-write` once polls reached that offset without finding it).
 */
import type { Evidence } from './log-judge-evidence.js';
import { describeValue, type OffsetFacts } from './log-judge-offsets.js';
import type { LogOp, LogValue, SendOp } from './log-judge-ops.js';
import { otherTopicIdOfSamePartition } from './topic-ids.js';

export interface WriteCounts {
  readonly sends: { ok: number; fail: number; unknown: number };
  readonly polls: number;
  readonly records: number;
}

/** Feeds every acknowledged and read record to `facts` and judges each read against its send. */
export function readWrites(
  ops: readonly LogOp[],
  sendOf: ReadonlyMap<LogValue, SendOp>,
  facts: OffsetFacts,
  evidence: Evidence,
): WriteCounts {
  const sends = { ok: 0, fail: 0, unknown: 0 };
  let polls = 0;
  let records = 0;
  // Values whose reads were already reported: one case per value, however often it is read.
  const reported = new Set<LogValue>();
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
        if (send !== undefined && otherTopicIdOfSamePartition(send.key, r.key)) {
          if (reported.has(r.value)) continue;
          reported.add(r.value);
          evidence.add('deleted-topic-read', {
            ops: [send.op.id, p.op.id],
            key: r.key,
            offset: r.offset,
            value: r.value,
            why:
              `op ${p.op.id} read ${describeValue(r.value)} at ${r.key} offset ${r.offset}, but ` +
              `op ${send.op.id} sent it to ${send.key}: the same partition of another topic of ` +
              'that name (one was deleted before the other was created)',
          });
        } else if (send === undefined || send.key !== r.key) {
          if (reported.has(r.value)) continue;
          reported.add(r.value);
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
        } else if (send.op.outcome === 'fail' && !reported.has(r.value)) {
          reported.add(r.value);
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

  return { sends, polls, records };
}

/** Reports lost writes; returns how many acknowledged sends lay beyond every read (not owed). */
export function findLostWrites(
  sendOf: ReadonlyMap<LogValue, SendOp>,
  facts: OffsetFacts,
  evidence: Evidence,
): number {
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
  return unreadAcked;
}
