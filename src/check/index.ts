/**
 * truthkit's linearizability checker. See docs/checker.md for the algorithm, the model API
 * and the formats.
 */
export type { Model, AnyModel, ModelOptions } from './model.js';
export { ValueTable, ABSENT } from './value-table.js';
export { getModel, modelNames } from './models/registry.js';
export { registerModel } from './models/register.js';
export { kvModel } from './models/kv.js';
export {
  checkHistory,
  DEFAULT_TIMEOUT_MS,
  type CheckOptions,
  type CheckResult,
  type Verdict,
} from './check-history.js';
export { formatEvidence, type Evidence, type PlacedOp, type BlockedOp } from './evidence.js';
export { HistoryError } from './errors.js';
export {
  loadHistory,
  detectFormat,
  HISTORY_FORMATS,
  type HistoryFormat,
  type LoadedHistory,
} from './formats/load-history.js';
export { renderReport, type ReportOptions } from './report-html.js';
export { formatSummary, type SummaryContext } from './summary.js';
