/**
 * How long a check may search before it answers `unknown`. Linearizability checking is
 * NP-complete; a budget turns a hang into an honest "could not decide".
 */

interface NodeProcess {
  hrtime(): [number, number];
}

/**
 * Milliseconds on a monotonic clock. In Node this is process.hrtime, not performance.now():
 * Node builds the `performance` global on its first use (it loads perf_hooks), about 2 ms of
 * CPU, as much as checking a small history in a fresh process costs. The lab (a browser) has
 * no `process`, and a ready `performance`.
 */
export const nowMs: () => number = (() => {
  const node = (globalThis as { process?: Partial<NodeProcess> }).process;
  if (typeof node?.hrtime !== 'function') return () => performance.now();
  const proc = node as NodeProcess;
  return () => {
    const [seconds, nanos] = proc.hrtime();
    return seconds * 1e3 + nanos / 1e6;
  };
})();

export class SearchBudget {
  private readonly deadline: number;
  private stepsLeft: number;
  exhausted = false;

  constructor(timeoutMs: number, maxSteps: number) {
    this.deadline = nowMs() + timeoutMs;
    this.stepsLeft = maxSteps;
  }

  /**
   * Up to `wanted` steps the search may take before asking again; 0 once the time or steps are
   * used up. The clock is read once per grant, i.e. once per thousands of steps.
   */
  grant(wanted: number): number {
    if (this.stepsLeft <= 0 || nowMs() >= this.deadline) {
      this.exhausted = true;
      return 0;
    }
    const granted = Math.min(wanted, this.stepsLeft);
    this.stepsLeft -= granted;
    return granted;
  }

  /** Gives back steps granted but not taken (a search finished early). */
  refund(steps: number): void {
    this.stepsLeft += steps;
  }
}
