/**
 * What an experiment is, in a module of its own: the registry imports every experiment and every
 * experiment needs these types, so keeping them here (and not in registry.ts) ends that import
 * circle. Everything in a result is plain JSON, so the CLI can print it, the report can embed it
 * and the lab can carry it out of a Web Worker unchanged.
 */
import type { Json } from '../core/json.js';

export type ExperimentVerdict = 'supported' | 'refuted' | 'not measurable as stated';

/**
 * Where a claim comes from. A reader must be able to find it: the case studies' own words (quoted
 * exactly, with the section they stand in), or a paper with the number of the result used.
 */
export type ClaimSource =
  | {
      readonly kind: 'seed';
      /** The case studies' section heading, e.g. "Probabilistic Finality in Action". */
      readonly section: string;
      /** The seed's words, verbatim. */
      readonly quote: string;
      /** How the quote bears on the claim, when the claim is not simply the quote. */
      readonly note?: string;
    }
  | {
      readonly kind: 'paper';
      /** Authors, title, venue and year. */
      readonly cite: string;
      /** Which result: "Eq. (8)", "Section 11", "Theorem 1"… */
      readonly where: string;
      /** How the result bears on the claim, when that needs saying. */
      readonly note?: string;
    };

/** One point of a series; lo / hi are the ends of its error bar, when it has one. */
export interface PlotPoint {
  readonly x: number;
  readonly y: number;
  readonly lo?: number;
  readonly hi?: number;
}

export interface PlotSeries {
  readonly name: string;
  /**
   * measured: what this run found (drawn as points with error bars); claimed: what the source
   * says (drawn as a dashed line or marks); model: a formula the experiment compares against.
   */
  readonly role: 'measured' | 'claimed' | 'model';
  readonly points: readonly PlotPoint[];
}

export interface PlotAxis {
  readonly label: string;
  readonly log?: boolean;
}

/** A chart a person would rather look at than read: measured beside claimed. */
export interface ExperimentPlot {
  readonly title: string;
  readonly x: PlotAxis;
  readonly y: PlotAxis;
  readonly series: readonly PlotSeries[];
}

export interface ExperimentOptions {
  /** Seed for every random draw: the same seed gives the same numbers. */
  readonly seed: number;
  /** Fewer trials (for tests): same shape, wider error bars. */
  readonly quick: boolean;
}

export interface ExperimentResult {
  readonly rows: readonly Json[];
  /** The headline numbers and how they bear on the claim. */
  readonly measured: Json;
  readonly verdict: ExperimentVerdict;
  /** Measured beside claimed, with error bars where the measurement has them. */
  readonly plots: readonly ExperimentPlot[];
}

export interface Experiment {
  readonly name: string;
  /** The claim as its source states it (or as close as one sentence can). */
  readonly claim: string;
  /** Where the claim comes from: the seed's line, or a paper and its result. */
  readonly sources: readonly ClaimSource[];
  /**
   * How many seed ranges (base seeds 1, 1001, 2001, …) the verdict-stability test runs this
   * experiment's full mode on, asserting the same verdict at each; 3 when absent. An experiment
   * whose verdict rests on a noisy estimate sets more.
   */
  readonly stabilitySeeds?: number;
  run(options: ExperimentOptions): ExperimentResult;
}
