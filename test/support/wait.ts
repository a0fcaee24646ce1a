/**
 * Waiting on real processes and sockets without judging by the wall clock: a test waits for the
 * event itself, under a generous timeout that fails loudly naming what never happened. A test
 * that must show something does NOT happen anchors on a later positive event (a later write's
 * ack, a counter advancing) instead of sleeping and finding nothing. The generous timeouts
 * are there to end a hung test with a readable message, not to measure anything.
 */

/** Timeouts here are for hangs: long enough that a loaded CI machine never meets them. */
export const GENEROUS_MS = 20_000;

export interface WaitOptions {
  /** What is awaited, for the failure message ("the lease to expire"). */
  readonly what: string;
  /** How long before failing; default GENEROUS_MS. */
  readonly timeoutMs?: number;
  /** Polling period; default 20 ms. */
  readonly everyMs?: number;
}

/** Thrown when the awaited event never came; `code` is for tests that check it. */
export class WaitTimeoutError extends Error {
  readonly code = 'WAIT_TIMEOUT';
  constructor(what: string, timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
    this.name = 'WaitTimeoutError';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it gives something other than undefined or false, and returns it; throws
 * WaitTimeoutError after the timeout. A probe that throws fails the wait at once.
 */
export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? GENEROUS_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new WaitTimeoutError(options.what, timeoutMs);
    await sleep(options.everyMs ?? 20);
  }
}

/** `promise`, or a WaitTimeoutError once the timeout passes first (the promise is left running). */
export function within<T>(promise: Promise<T>, options: WaitOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? GENEROUS_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeoutError(options.what, timeoutMs)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `fn` and measures the CPU time this process spent meanwhile (user + system). For "it
 * stopped before the expensive part": CPU time counts work done, which a loaded machine does
 * not stretch the way it stretches wall time. In-process work only (not child processes).
 */
export async function cpuOf<T>(fn: () => Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const start = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(start);
  return { value, cpuMs: (used.user + used.system) / 1000 };
}
