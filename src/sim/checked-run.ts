/**
 * A simulated run judged: an invariant violation or protocol exception makes it invalid;
 * otherwise its history goes to the checker for the model the system declares and to the
 * system's own judge (agreement, atomicity…), when it has one. The worst verdict wins.
 */
import { checkHistory, getModel, type CheckResult } from '../check/index.js';
import { CONSISTENCY_MODELS, type AnomalyEvidence } from '../check/txn/anomalies.js';
import { checkTransactions } from '../check/txn/check-txn.js';
import { isTxnWorkload, type TxnWorkload } from '../check/txn/txn-history.js';
import type { HistoryOp } from '../core/history.js';
import type { Judgement } from '../core/system.js';
import { judgeRecovery } from './membership-workload.js';
import { judgeReadiness } from './readiness.js';
import { Session, type RunOptions, type RunResult } from './run.js';

export type Verdict = 'valid' | 'invalid' | 'unknown' | 'unchecked';

export interface CheckedRun extends RunResult {
  readonly verdict: Verdict;
  /** The checker's report, when the history was checked. */
  readonly check: CheckResult | null;
  /** The system's own judge's answer, when it has one. */
  readonly judgement: Judgement | null;
}

export interface JudgeOptions {
  /**
   * The checker's budget per run in search steps: the budget a verdict depends on, so a seed's
   * verdict replays on any machine under any load (default DEFAULT_CHECK_STEPS).
   */
  readonly checkSteps?: number;
  /**
   * A wall-clock guard on top (default DEFAULT_CHECK_TIMEOUT_MS): only a search that the step
   * budget has not stopped in that long answers `unknown` by the clock, and that one verdict
   * then depends on the machine.
   */
  readonly checkTimeoutMs?: number;
}

/**
 * About 10 s of search on this project's CI machine (a quiet core does 3–5 million steps a
 * second); kv-raft's hardest swarm histories of 1000 operations need up to ~40 million.
 */
export const DEFAULT_CHECK_STEPS = 50_000_000;
/** A hang guard, not the budget: steps run out first unless the machine is starved. */
export const DEFAULT_CHECK_TIMEOUT_MS = 300_000;

export function runChecked(options: RunOptions, judge: JudgeOptions = {}): CheckedRun {
  const session = new Session(options);
  session.runToEnd();
  return { ...session.result(), ...judgeSession(session, judge) };
}

export interface SessionJudgement {
  readonly verdict: Verdict;
  readonly check: CheckResult | null;
  readonly judgement: Judgement | null;
}

/** Judges a finished session (the CLI's runs and the lab's interactive ones alike). */
export function judgeSession(session: Session, judge: JudgeOptions = {}): SessionJudgement {
  const run = session.result();
  if (run.failure !== null) return { verdict: 'invalid', check: null, judgement: null };
  const system = session.options.system;
  let check: CheckResult | null = null;
  const modelName = system.model;
  // A transactional model is judged by the transactional checker, as a judge of its own.
  const txn =
    modelName !== undefined && isTxnWorkload(modelName)
      ? judgeTransactions(run.history, modelName, system.consistencyModel, judge)
      : null;
  if (modelName !== undefined && txn === null) {
    const model = getModel(modelName);
    if (model === undefined) throw new Error(`${run.system} declares unknown model ${modelName}`);
    check = checkHistory(run.history, model, {
      maxSteps: judge.checkSteps ?? DEFAULT_CHECK_STEPS,
      timeoutMs: judge.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS,
    });
  }
  const sim = session.sim;
  const judgement =
    system.judge?.(run.history, sim.nodeIds, sim.liveNodes(), {
      faultWindows: session.faults.windows.windows(),
      clockFaults: session.faults.clockFaulted,
    }) ?? null;
  // With membership changes in the run, the cluster they left must still commit after the heal.
  const recovery =
    session.options.membership !== undefined ? judgeRecovery(run.recovery) : undefined;
  // ... and every learner it promoted must have heard from the cluster since its wipe.
  const readiness =
    session.admin !== undefined ? judgeReadiness(session.admin.readiness.unready()) : undefined;
  const verdicts = [check, txn, judgement, recovery, readiness]
    .map((j) => j?.verdict)
    .filter((v) => v !== undefined);
  const verdict: Verdict =
    verdicts.length === 0
      ? 'unchecked'
      : verdicts.includes('invalid')
        ? 'invalid'
        : verdicts.includes('unknown')
          ? 'unknown'
          : 'valid';
  // A system without a judge of its own reports the recovery failure in its place.
  const said =
    judgement ??
    txn ??
    (recovery?.verdict === 'invalid'
      ? recovery
      : readiness?.verdict === 'invalid'
        ? readiness
        : null);
  return { verdict, check, judgement: said };
}

/** The transactional checker's verdict on a run's transactions, as a judge's answer. */
function judgeTransactions(
  history: readonly HistoryOp[],
  workload: TxnWorkload,
  declared: string | undefined,
  judge: JudgeOptions,
): Judgement {
  const consistencyModel = CONSISTENCY_MODELS.find((m) => m === (declared ?? 'serializable'));
  if (consistencyModel === undefined) throw new Error(`unknown consistency model ${declared}`);
  const r = checkTransactions(history, {
    workload,
    consistencyModel,
    maxWork: judge.checkSteps ?? DEFAULT_CHECK_STEPS,
  });
  const { ok, fail, unknown } = r.outcomes;
  const counted = `${workload}, ${r.ops} transactions (${ok} ok, ${fail} failed, ${unknown} unknown), ${r.edges} dependency edges`;
  const message =
    r.verdict === 'valid'
      ? `${consistencyModel}: ${counted}`
      : r.verdict === 'unknown'
        ? `unknown whether ${consistencyModel} (cycle search budget exhausted): ${counted}`
        : `not ${consistencyModel}: ${r.anomalyTypes.join(', ')}` +
          (r.anomalies[0] !== undefined ? ` — ${oneLine(r.anomalies[0])}` : '');
  return {
    verdict: r.verdict,
    message,
    details: {
      consistencyModel,
      anomalyTypes: [...r.anomalyTypes],
      counts: r.counts,
      ruledOut: [...r.ruledOut],
    },
  };
}

/** The first anomaly on one line: a cycle as its edges, each with its reason. */
function oneLine(a: AnomalyEvidence): string {
  if (!('cycle' in a)) return `${a.type}: ${a.why}`;
  const edges = a.cycle.map(
    (e) =>
      `op ${e.from} -${e.kind}${e.key !== undefined ? ` ${e.key}` : ''}-> op ${e.to} (${e.why})`,
  );
  return `${a.type}: ${edges.join('; ')}`;
}
