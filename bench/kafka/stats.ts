/**
 * The figures bench:kafka derives from what its client saw: rates and latency percentiles of a
 * pass, the failover gap around a kill, and which acknowledged records a consumer never read.
 * Pure functions over the samples, so they are tested without a broker
 * (test/bench/kafka-stats.test.ts).
 */
import { percentile } from '../../src/sim/stats.js';

/** One acknowledged record: when its ack came (ms, the loop's clock), how long it took. */
export interface Ack {
  readonly id: number;
  readonly partition: number;
  readonly atMs: number;
  readonly latencyMs: number;
}

export interface ProduceFigures {
  readonly acked: number;
  /** Sends that failed (each is retried, so one record may count several times). */
  readonly errors: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export function produceFigures(
  acks: readonly Ack[],
  errors: number,
  seconds: number,
): ProduceFigures {
  const latencies = acks.map((a) => a.latencyMs);
  return {
    acked: acks.length,
    errors,
    seconds,
    recordsPerSec: seconds > 0 ? acks.length / seconds : NaN,
    p50Ms: acks.length > 0 ? percentile(latencies, 0.5) : NaN,
    p99Ms: acks.length > 0 ? percentile(latencies, 0.99) : NaN,
  };
}

/**
 * The failover gap: the longest time a partition whose leader was killed at `killAtMs` went
 * without an ack, counting only stretches that end after the kill — the first from the last ack
 * before the kill (or `startMs`). Not just the stretch across the kill instant: acks the dead
 * leader had already sent still arrive a few ms after the signal, and the stall comes after
 * them. Infinity when a partition had no ack after the kill (the run ended first). Each
 * partition is taken alone: one whose leader did not die keeps acking through the kill, and its
 * acks must not hide the gap of one whose leader did.
 */
export function failoverGapMs(
  acks: readonly Ack[],
  killAtMs: number,
  partitions: readonly number[],
  startMs = 0,
): number {
  if (partitions.length === 0) throw new RangeError('failoverGapMs wants at least one partition');
  let worst = 0;
  for (const p of partitions) {
    const times = acks
      .filter((a) => a.partition === p)
      .map((a) => a.atMs)
      .sort((a, b) => a - b);
    if (!times.some((t) => t > killAtMs)) return Infinity;
    let prev = startMs;
    for (const t of times) {
      if (t > killAtMs) worst = Math.max(worst, t - prev);
      prev = t;
    }
  }
  return worst;
}

/** The longest time between two consecutive acks of any partition (what a client saw stall). */
export function longestAckGapMs(acks: readonly Ack[], startMs: number, endMs: number): number {
  const times = acks.map((a) => a.atMs).sort((a, b) => a - b);
  let worst = 0;
  let prev = startMs;
  for (const t of [...times, endMs]) {
    worst = Math.max(worst, t - prev);
    prev = t;
  }
  return worst;
}

/**
 * Record ids that were acknowledged but that the consumer never read: with acks=all (or a
 * JetStream ack, given after an R3 stream's quorum stored the message) each one is a lost write.
 */
export function lostAcks(acked: Iterable<number>, consumed: ReadonlySet<number>): number[] {
  const lost: number[] = [];
  for (const id of acked) if (!consumed.has(id)) lost.push(id);
  return lost.sort((a, b) => a - b);
}

/** The middle value (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const hi = s[mid];
  const lo = s[mid - 1];
  if (hi === undefined) return NaN;
  return s.length % 2 === 1 || lo === undefined ? hi : (lo + hi) / 2;
}
