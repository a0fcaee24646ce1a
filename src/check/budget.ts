/**
 * How long a check may search before it answers `unknown`. Linearizability checking is
 * NP-complete; a budget turns a hang into an honest "could not decide".
 */
export class SearchBudget {
  private readonly deadline: number;
  private stepsLeft: number;
  exhausted = false;

  constructor(timeoutMs: number, maxSteps: number) {
    this.deadline = performance.now() + timeoutMs;
    this.stepsLeft = maxSteps;
  }

  /**
   * Up to `wanted` steps the search may take before asking again; 0 once the time or steps are
   * used up. The clock is read once per grant, i.e. once per thousands of steps.
   */
  grant(wanted: number): number {
    if (this.stepsLeft <= 0 || performance.now() >= this.deadline) {
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
