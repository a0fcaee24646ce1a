/**
 * The load both systems get: a closed loop of `inFlight` workers, each sending one 100-byte
 * record and waiting for its ack before it sends the next, so exactly `inFlight` records are
 * unacknowledged at any time. Record `id` goes to partition `id % partitions` (JetStream: one
 * of the stream's subjects). A send that fails is sent again (same id) after `retryDelayMs`
 * until the loop's stop time; what is still unacknowledged then is given up and counted.
 */
import { performance } from 'node:perf_hooks';
import type { Ack } from './stats.js';

/** Every record is this long, its id first as 12 ASCII digits (so a consumer can name it). */
export const RECORD_BYTES = 100;
const ID_DIGITS = 12;

export function recordPayload(id: number): Buffer {
  if (!Number.isSafeInteger(id) || id < 0 || id >= 10 ** ID_DIGITS) {
    throw new RangeError(`record id ${id} does not fit in ${ID_DIGITS} digits`);
  }
  return Buffer.from(String(id).padStart(ID_DIGITS, '0').padEnd(RECORD_BYTES, '.'));
}

/** The id a payload of `recordPayload` carries, or undefined for any other payload. */
export function idOf(payload: Uint8Array | null): number | undefined {
  if (payload === null || payload.length !== RECORD_BYTES) return undefined;
  const digits = Buffer.from(payload.buffer, payload.byteOffset, ID_DIGITS).toString('latin1');
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}

/** Milliseconds since an origin the caller shares with the loop (a kill is timed on it too). */
export type Clock = () => number;

export function startClock(): Clock {
  const t0 = performance.now();
  return () => performance.now() - t0;
}

export interface LoopSpec {
  readonly inFlight: number;
  readonly partitions: number;
  /** Records 0 … count-1; undefined: new ids until `stopAtMs`. */
  readonly count?: number;
  /** No send (first or again) starts after this time on the clock. */
  readonly stopAtMs: number;
  readonly retryDelayMs: number;
  /**
   * A send that has not settled by then counts as failed (and is sent again): the clients have
   * their own timeouts, this one only keeps a hung connection from hanging the bench.
   */
  readonly hardTimeoutMs: number;
}

export interface LoopResult {
  readonly acks: Ack[];
  readonly errors: number;
  /** Ids never acknowledged by the stop time. */
  readonly givenUp: number[];
  readonly startMs: number;
  readonly endMs: number;
}

export type Send = (id: number, partition: number, payload: Buffer) => Promise<void>;

const HARD_TIMEOUT = Symbol('hard timeout');

function settleWithin<T>(p: Promise<T>, ms: number): Promise<T | typeof HARD_TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof HARD_TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(HARD_TIMEOUT), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function closedLoop(spec: LoopSpec, clock: Clock, send: Send): Promise<LoopResult> {
  for (const [name, v] of Object.entries({
    inFlight: spec.inFlight,
    partitions: spec.partitions,
    retryDelayMs: spec.retryDelayMs,
    hardTimeoutMs: spec.hardTimeoutMs,
  })) {
    if (!Number.isSafeInteger(v) || v < (name === 'retryDelayMs' ? 0 : 1)) {
      throw new RangeError(`closedLoop: ${name} must be a positive integer, got ${v}`);
    }
  }
  const acks: Ack[] = [];
  const givenUp: number[] = [];
  let errors = 0;
  let next = 0;
  const startMs = clock();
  const more = (): boolean =>
    clock() < spec.stopAtMs && (spec.count === undefined || next < spec.count);
  const worker = async (): Promise<void> => {
    while (more()) {
      const id = next++;
      const partition = id % spec.partitions;
      const payload = recordPayload(id);
      for (;;) {
        const sentAt = clock();
        const outcome = await settleWithin(
          send(id, partition, payload).then(
            () => true,
            () => false,
          ),
          spec.hardTimeoutMs,
        );
        if (outcome === true) {
          const atMs = clock();
          acks.push({ id, partition, atMs, latencyMs: atMs - sentAt });
          break;
        }
        errors++;
        if (clock() + spec.retryDelayMs >= spec.stopAtMs) {
          givenUp.push(id);
          break;
        }
        await new Promise((r) => setTimeout(r, spec.retryDelayMs));
      }
    }
  };
  await Promise.all(Array.from({ length: spec.inFlight }, worker));
  return { acks, errors, givenUp, startMs, endMs: clock() };
}
