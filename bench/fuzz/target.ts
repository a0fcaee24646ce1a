/**
 * What every fuzz target is and what it reports: in a module of its own, so targets import it
 * without importing each other.
 */

/** One input a module under test misbehaved on. */
export interface Finding {
  readonly target: string;
  readonly seed: number;
  readonly index: number;
  /** The bytes fed, hex. */
  readonly input: string;
  readonly problem: string;
}

export interface Target {
  readonly name: string;
  /** Runs input `index`; a Finding when the module misbehaved. */
  run(seed: number, index: number): Finding | undefined;
  close?(): void;
}
