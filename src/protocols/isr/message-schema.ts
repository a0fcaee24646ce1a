/**
 * The shape of every ISR message, checked where messages come from outside this process (a real
 * broker's peers): offsets, epochs and counts are whole and bounded, a batch holds at least one
 * record, a partition is named. The leader and follower compare these numbers; a "7" or 1e300
 * or −1 where an offset belongs would compare in ways no rule was written for. The simulator's
 * messages come from the system's own nodes; a test checks every one against these schemas.
 */
import * as v from 'valibot';
import { count, MAX_COUNT, shortText } from '../../core/message-schema.js';
import { schemaProblem } from '../../core/schema-issue.js';
import { ISR_ERRORS } from './messages.js';

/** Kafka's "none" for producer ids, epochs and sequences, and for an empty log's last epoch. */
const orNone = v.pipe(v.number(), v.safeInteger(), v.minValue(-1), v.maxValue(MAX_COUNT));
const partition = v.pipe(shortText, v.minLength(1));
/** The longest a follower may ask the leader to hold its Fetch (an hour). */
export const MAX_FETCH_WAIT_MS = 3_600_000;
/** Batches one Fetch answer may carry. */
export const MAX_FETCH_BATCHES = 1024;

const batch = v.strictObject({
  baseOffset: count,
  count: v.pipe(count, v.minValue(1)),
  leaderEpoch: count,
  producerId: orNone,
  producerEpoch: orNone,
  baseSequence: orNone,
  maxTimestamp: orNone,
  // The records themselves are the payload's owner's business (the runtime checks its bytes).
  payload: v.unknown(),
});

const isrMessage = v.variant('type', [
  v.strictObject({
    type: v.literal('isr-fetch'),
    partition,
    leaderEpoch: count,
    fetchOffset: count,
    lastFetchedEpoch: orNone,
    fetchId: count,
    maxWaitMs: v.optional(v.pipe(count, v.maxValue(MAX_FETCH_WAIT_MS))),
  }),
  v.strictObject({
    type: v.literal('isr-fetch-resp'),
    partition,
    leaderEpoch: count,
    fetchId: count,
    error: v.nullable(v.picklist(ISR_ERRORS)),
    highWatermark: count,
    batches: v.pipe(v.array(batch), v.maxLength(MAX_FETCH_BATCHES)),
    diverging: v.nullable(v.strictObject({ epoch: orNone, endOffset: count })),
  }),
]);

/** Why `msg` is no ISR message (`field: problem`), or undefined when it is one. */
export function isrMessageProblem(msg: unknown): string | undefined {
  return schemaProblem(isrMessage, msg, 'message');
}
