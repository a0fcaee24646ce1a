/** Waits `ms`, or less when `signal` aborts first: a chaos run's waits end with the run. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((res) => {
    if (signal?.aborted === true) return res();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      res();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
