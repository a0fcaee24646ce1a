/**
 * The broker's side of Kafka's idempotent producer: producer ids handed out by InitProducerId,
 * and per partition, per producer id, what Kafka's ProducerStateManager keeps — the producer's
 * epoch and its last five batches' sequence ranges and offsets — so a retried batch is answered
 * with the offset it already has instead of being written twice, and a batch after a gap is
 * refused. The state is a function of the partition's log (`rebuildFrom`), so a replica that
 * becomes leader answers as the old leader would have.
 *
 * Sequences are per (producer id, partition), start at 0 for each new epoch, count records (a
 * batch of n records with base sequence s covers s … s+n−1) and wrap from 2^31−1 to 0.
 */

/** Kafka's error codes for Produce that these checks answer with. */
export const PRODUCER_ERR = {
  NONE: 0,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
} as const;

/** RecordBatch.NO_PRODUCER_ID: a batch from a producer that is not idempotent. */
export const NO_PRODUCER_ID = -1;
export const INT32_MAX = 0x7fffffff;
const INT16_MAX = 0x7fff;
/** ProducerStateEntry.NUM_BATCHES_TO_RETAIN: at most five batches in flight per producer. */
export const BATCHES_RETAINED = 5;

/** Deliberately broken variants, one rule removed each, that producer-state.test.ts catches. */
export const PRODUCER_MUTANTS = [
  /** A retried batch is not recognised as a duplicate. */
  'no-dedup',
  /** Sequence gaps are accepted. */
  'allow-gaps',
  /** Batches from an older epoch are accepted. */
  'allow-old-epoch',
  /** A new epoch may start at any sequence. */
  'new-epoch-any-sequence',
  /** Only the last batch is remembered, not the last five. */
  'retain-one',
  /** Sequences do not wrap at 2^31−1. */
  'no-wrap',
] as const;
export type ProducerMutant = (typeof PRODUCER_MUTANTS)[number];

/** What the producer-state checks need from a batch's header. */
export interface ProducerBatch {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

/** A batch as it lies in the log: the header fields plus the base offset the leader gave it. */
export interface LoggedBatch extends ProducerBatch {
  readonly baseOffset: number;
}

export type BatchVerdict =
  | { readonly kind: 'append' }
  /** Already in the log: answer success with the offset it was given then. */
  | { readonly kind: 'duplicate'; readonly baseOffset: number }
  | { readonly kind: 'refuse'; readonly errorCode: number; readonly reason: string };

export interface RetainedBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
}

export interface ProducerEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Oldest first; at most BATCHES_RETAINED. */
  readonly batches: readonly RetainedBatch[];
}

export class ProducerBatchError extends Error {
  readonly code = 'bad-producer-batch';
  constructor(message: string) {
    super(message);
    this.name = 'ProducerBatchError';
  }
}

function checkBatch(batch: ProducerBatch): void {
  const { producerId, producerEpoch, baseSequence, recordCount } = batch;
  if (!Number.isSafeInteger(producerId) || producerId < NO_PRODUCER_ID) {
    throw new ProducerBatchError(
      `producer id ${producerId} is neither -1 nor a safe non-negative integer`,
    );
  }
  if (!Number.isInteger(producerEpoch) || producerEpoch < 0 || producerEpoch > INT16_MAX) {
    throw new ProducerBatchError(`producer epoch ${producerEpoch} is out of range`);
  }
  if (!Number.isInteger(baseSequence) || baseSequence < 0 || baseSequence > INT32_MAX) {
    throw new ProducerBatchError(`base sequence ${baseSequence} is out of range`);
  }
  if (!Number.isInteger(recordCount) || recordCount < 1 || recordCount > INT32_MAX) {
    throw new ProducerBatchError(`record count ${recordCount} is out of range`);
  }
}

/** The sequence `delta` after `sequence`, wrapping past 2^31−1 to 0 (as the producer does). */
export function addSequence(sequence: number, delta: number, mutant?: ProducerMutant): number {
  if (mutant === 'no-wrap' || sequence <= INT32_MAX - delta) return sequence + delta;
  return delta - (INT32_MAX - sequence) - 1;
}

/** One partition's producer state. */
export class PartitionProducerState {
  private readonly entries = new Map<number, ProducerEntry>();

  constructor(private readonly mutant?: ProducerMutant) {
    if (mutant !== undefined && !PRODUCER_MUTANTS.includes(mutant)) {
      throw new ProducerBatchError(`unknown producer-state mutant ${String(mutant)}`);
    }
  }

  /** The state a replica has after the batches of its log, in offset order. */
  static rebuildFrom(
    batches: Iterable<LoggedBatch>,
    mutant?: ProducerMutant,
  ): PartitionProducerState {
    const state = new PartitionProducerState(mutant);
    let after = -1;
    for (const batch of batches) {
      if (!(batch.baseOffset > after)) {
        throw new ProducerBatchError(`batches out of offset order at ${batch.baseOffset}`);
      }
      after = batch.baseOffset + batch.recordCount - 1;
      state.append(batch);
    }
    return state;
  }

  /** May the leader append this batch, is it a retry of one it has, or must it be refused? */
  check(batch: ProducerBatch): BatchVerdict {
    checkBatch(batch);
    if (batch.producerId === NO_PRODUCER_ID) return { kind: 'append' };
    const entry = this.entries.get(batch.producerId);
    // A producer this partition has no state for (new, or its batches all gone to retention)
    // may start anywhere, as in Kafka: refusing it would strand a producer whose history aged out.
    if (entry === undefined) return { kind: 'append' };
    const lastSeq = addSequence(batch.baseSequence, batch.recordCount - 1, this.mutant);
    if (batch.producerEpoch === entry.producerEpoch && this.mutant !== 'no-dedup') {
      const same = entry.batches.find(
        (b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq,
      );
      if (same !== undefined) return { kind: 'duplicate', baseOffset: same.baseOffset };
    }
    if (batch.producerEpoch < entry.producerEpoch && this.mutant !== 'allow-old-epoch') {
      return {
        kind: 'refuse',
        errorCode: PRODUCER_ERR.INVALID_PRODUCER_EPOCH,
        reason: `epoch ${batch.producerEpoch} is older than the producer's ${entry.producerEpoch}`,
      };
    }
    if (batch.producerEpoch !== entry.producerEpoch) {
      if (batch.baseSequence !== 0 && this.mutant !== 'new-epoch-any-sequence') {
        return {
          kind: 'refuse',
          errorCode: PRODUCER_ERR.OUT_OF_ORDER_SEQUENCE_NUMBER,
          reason: `new epoch ${batch.producerEpoch} starts at sequence ${batch.baseSequence}, not 0`,
        };
      }
      return { kind: 'append' };
    }
    const last = entry.batches[entry.batches.length - 1];
    const expected = last === undefined ? 0 : addSequence(last.lastSeq, 1, this.mutant);
    if (batch.baseSequence !== expected && this.mutant !== 'allow-gaps') {
      return {
        kind: 'refuse',
        errorCode: PRODUCER_ERR.OUT_OF_ORDER_SEQUENCE_NUMBER,
        reason: `sequence ${batch.baseSequence} where ${expected} was expected`,
      };
    }
    return { kind: 'append' };
  }

  /** Records a batch now in the log (appended by this leader, or replicated, or replayed). */
  append(batch: LoggedBatch): void {
    checkBatch(batch);
    if (!Number.isSafeInteger(batch.baseOffset) || batch.baseOffset < 0) {
      throw new ProducerBatchError(
        `base offset ${batch.baseOffset} is not a safe non-negative integer`,
      );
    }
    if (batch.producerId === NO_PRODUCER_ID) return;
    const entry = this.entries.get(batch.producerId);
    const kept =
      entry !== undefined && entry.producerEpoch === batch.producerEpoch ? entry.batches : [];
    const retain = this.mutant === 'retain-one' ? 1 : BATCHES_RETAINED;
    const batches = [
      ...kept,
      {
        firstSeq: batch.baseSequence,
        lastSeq: addSequence(batch.baseSequence, batch.recordCount - 1, this.mutant),
        baseOffset: batch.baseOffset,
        lastOffset: batch.baseOffset + batch.recordCount - 1,
      },
    ].slice(-retain);
    this.entries.set(batch.producerId, {
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      batches,
    });
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  /** Every producer's entry, by producer id: for comparing two replicas' states. */
  entriesById(): ProducerEntry[] {
    return [...this.entries.values()].sort((a, b) => a.producerId - b.producerId);
  }
}

/** A block of producer ids the caller (the metadata quorum) granted this broker. */
export interface ProducerIdBlock {
  readonly firstProducerId: number;
  readonly size: number;
}

export type InitProducerIdResult =
  | { readonly kind: 'ok'; readonly producerId: number; readonly producerEpoch: number }
  /** The blocks given are used up: get another, `addBlock` it, and ask again. */
  | { readonly kind: 'need-block' };

/**
 * Hands out producer ids for InitProducerId without a transactional id: a fresh id at epoch 0
 * each time (plain idempotence never bumps an epoch). Ids come from blocks the caller gets from
 * the metadata quorum, so two brokers never hand out the same id.
 */
export class ProducerIdAllocator {
  private readonly blocks: ProducerIdBlock[] = [];
  private next = 0;

  addBlock(block: ProducerIdBlock): void {
    const { firstProducerId, size } = block;
    if (!Number.isSafeInteger(firstProducerId) || firstProducerId < 0) {
      throw new ProducerBatchError(`block start ${firstProducerId} is not a non-negative integer`);
    }
    if (!Number.isSafeInteger(size) || size < 1 || !Number.isSafeInteger(firstProducerId + size)) {
      throw new ProducerBatchError(`block size ${size} is not a positive integer`);
    }
    this.blocks.push(block);
  }

  initProducerId(): InitProducerIdResult {
    for (;;) {
      const block = this.blocks[0];
      if (block === undefined) return { kind: 'need-block' };
      if (this.next < block.size) {
        const producerId = block.firstProducerId + this.next;
        this.next += 1;
        return { kind: 'ok', producerId, producerEpoch: 0 };
      }
      this.blocks.shift();
      this.next = 0;
    }
  }
}
