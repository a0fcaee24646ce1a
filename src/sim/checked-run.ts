/**
 * A simulated run judged: an invariant violation or protocol exception makes it invalid;
 * otherwise its history goes to the checker for the model the system declares and to the
 * system's own judge (agreement, atomicity…), when it has one. The worst verdict wins.
 */
import { checkHistory, getModel, type CheckResult } from '../check/index.js';
import type { Judgement } from '../core/system.js';
import { judgeRecovery } from './membership-workload.js';
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
  /** Checker budget per run. */
  readonly checkTimeoutMs?: number;
}

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
  if (modelName !== undefined) {
    const model = getModel(modelName);
    if (model === undefined) throw new Error(`${run.system} declares unknown model ${modelName}`);
    check = checkHistory(run.history, model, { timeoutMs: judge.checkTimeoutMs ?? 10_000 });
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
  const verdicts = [check?.verdict, judgement?.verdict, recovery?.verdict].filter(
    (v) => v !== undefined,
  );
  const verdict: Verdict =
    verdicts.length === 0
      ? 'unchecked'
      : verdicts.includes('invalid')
        ? 'invalid'
        : verdicts.includes('unknown')
          ? 'unknown'
          : 'valid';
  // A system without a judge of its own reports the recovery failure in its place.
  const said = judgement ?? (recovery?.verdict === 'invalid' ? recovery : null);
  return { verdict, check, judgement: said };
}
