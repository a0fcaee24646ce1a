/**
 * What one freshly started system goes through, in order, each pass on a topic of its own:
 *
 * 1. cold: `records` records produced with `inFlight` in flight, then read back by a consumer;
 * 2. warm: the same again on a new topic (the figures reported as the result: the house rule
 *    is warm figures as the result, cold beside them);
 * 3. failover: records produced for `killAtMs + afterKillMs`; at `killAtMs` the leader of a
 *    partition is killed with SIGKILL; the gap is the longest time a partition it led went
 *    without an ack across the kill. Then everything is read back.
 *
 * Every pass checks that each acknowledged record was read back (stats.ts `lostAcks`).
 */
import { cpuMs } from '../cluster/processes.js';
import { closedLoop, idOf, startClock, type LoopResult, type LoopSpec } from './closed-loop.js';
import {
  failoverGapMs,
  longestAckGapMs,
  lostAcks,
  produceFigures,
  type ProduceFigures,
} from './stats.js';
import { PARTITIONS, type KilledLeader, type RunningTarget } from './target.js';

export interface PassSpec {
  readonly records: number;
  readonly inFlight: number;
  /** A produce pass takes no new send after this long. */
  readonly phaseTimeoutMs: number;
  /** Reading back gives up after this long. */
  readonly consumeTimeoutMs: number;
  readonly retryDelayMs: number;
  readonly hardTimeoutMs: number;
}

export interface FailoverSpec {
  readonly killAtMs: number;
  readonly afterKillMs: number;
}

export interface ConsumeFigures {
  /** Distinct records read. */
  readonly read: number;
  readonly duplicates: number;
  /** From the start of reading to the first record (a group's join, a consumer's creation). */
  readonly firstRecordMs: number;
  /** From the first record read to the last. */
  readonly seconds: number;
  readonly recordsPerSec: number;
  /** Acknowledged records never read (lost writes, or not read by the timeout). */
  readonly lost: readonly number[];
}

export interface PassResult {
  readonly produce: ProduceFigures & {
    /** CPU time per acked record of the servers together, and of this client process. */
    readonly serverCpuMsPerRecord: number;
    readonly clientCpuMsPerRecord: number;
    readonly givenUp: number;
  };
  readonly consume: ConsumeFigures;
}

export interface FailoverResult {
  readonly produce: ProduceFigures;
  readonly killed: KilledLeader;
  /** The longest ack gap across the kill on a partition the killed leader led. */
  readonly gapMs: number;
  /** The longest gap between any two consecutive acks of the pass. */
  readonly longestGapMs: number;
  readonly consume: ConsumeFigures;
}

/** Reads `topic` back until every acked record was seen or the timeout. */
async function readBack(
  target: RunningTarget,
  topic: string,
  acked: ReadonlySet<number>,
  timeoutMs: number,
): Promise<ConsumeFigures> {
  const seen = new Set<number>();
  let duplicates = 0;
  let missing = acked.size;
  let first: number | undefined;
  let last = 0;
  const clock = startClock();
  if (missing > 0) {
    await target.consume(
      topic,
      (payload) => {
        const t = clock();
        first ??= t;
        last = t;
        const id = idOf(payload);
        if (id === undefined) return false;
        if (seen.has(id)) duplicates++;
        else {
          seen.add(id);
          if (acked.has(id)) missing--;
        }
        return missing === 0;
      },
      timeoutMs,
    );
  }
  const seconds = first === undefined ? 0 : (last - first) / 1000;
  return {
    read: seen.size,
    duplicates,
    firstRecordMs: first ?? NaN,
    seconds,
    recordsPerSec: seconds > 0 ? (seen.size + duplicates) / seconds : NaN,
    lost: lostAcks(acked, seen),
  };
}

function loopSpec(spec: PassSpec, stopAtMs: number, count?: number): LoopSpec {
  return {
    inFlight: spec.inFlight,
    partitions: PARTITIONS,
    stopAtMs,
    retryDelayMs: spec.retryDelayMs,
    hardTimeoutMs: spec.hardTimeoutMs,
    ...(count !== undefined ? { count } : {}),
  };
}

const ackedIds = (loop: LoopResult): Set<number> => new Set(loop.acks.map((a) => a.id));

export async function runPass(
  target: RunningTarget,
  topic: string,
  spec: PassSpec,
): Promise<PassResult> {
  await target.createTopic(topic);
  const producer = await target.producer(topic);
  let loop: LoopResult;
  const server0 = cpuMs(target.pids());
  const client0 = process.cpuUsage();
  try {
    loop = await closedLoop(
      loopSpec(spec, spec.phaseTimeoutMs, spec.records),
      startClock(),
      producer.send,
    );
  } finally {
    await producer.close();
  }
  const client = process.cpuUsage(client0);
  const figures = produceFigures(loop.acks, loop.errors, (loop.endMs - loop.startMs) / 1000);
  return {
    produce: {
      ...figures,
      serverCpuMsPerRecord: (cpuMs(target.pids()) - server0) / figures.acked,
      clientCpuMsPerRecord: (client.user + client.system) / 1000 / figures.acked,
      givenUp: loop.givenUp.length,
    },
    consume: await readBack(target, topic, ackedIds(loop), spec.consumeTimeoutMs),
  };
}

export async function runFailover(
  target: RunningTarget,
  topic: string,
  spec: PassSpec,
  f: FailoverSpec,
): Promise<FailoverResult> {
  await target.createTopic(topic);
  const producer = await target.producer(topic);
  const clock = startClock();
  let loop: LoopResult;
  let killed: KilledLeader;
  try {
    const killing = new Promise<void>((r) => setTimeout(r, f.killAtMs)).then(() =>
      target.killLeader(topic, clock),
    );
    // A failed kill must not leave the loop's rejection unobserved while the loop runs.
    killing.catch(() => undefined);
    loop = await closedLoop(loopSpec(spec, f.killAtMs + f.afterKillMs), clock, producer.send);
    killed = await killing;
  } finally {
    await producer.close().catch(() => undefined);
  }
  return {
    produce: produceFigures(loop.acks, loop.errors, (loop.endMs - loop.startMs) / 1000),
    killed,
    gapMs: failoverGapMs(loop.acks, killed.atMs, killed.partitions, loop.startMs),
    longestGapMs: longestAckGapMs(loop.acks, loop.startMs, loop.endMs),
    consume: await readBack(target, topic, ackedIds(loop), spec.consumeTimeoutMs),
  };
}
