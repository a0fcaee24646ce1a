/**
 * Session liveness, as ZooKeeper promises it: a session whose client keeps talking to a serving
 * server does not expire. Only the leader ends a session, once it has heard nothing of it for the
 * session's timeout; a follower reports what its clients said every tick. So an expiry the leader
 * proposed at time E is early when the session's client was answered by its server after
 * E − timeout and early enough for that server's next report to reach the leader before E — while
 * no fault (a cut, a loss, a crash, a pause, a slow link) and no clock offset could have kept the
 * report from it or bent the times. Mutant `follower-expires` (a follower expiring sessions it
 * never hears, from its own clock) breaks exactly this.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import type { JudgeContext } from '../../core/system.js';
import { ZK_ERR } from '../coordination/zk-codes.js';

/** An expiry as the log applied it: the session, the leader's clock when it proposed it. */
export interface ExpiryRecord {
  readonly session: number;
  readonly at: number;
  readonly timeoutMs: number;
}

/** How late a follower's report of a heard session may reach the leader: its next tick… */
const REPORT_TICKS = 1;
/** …plus this many ticks of message delay (links outside fault windows are far faster). */
const DELAY_TICKS = 4;

/** Client ops whose answer means the server heard the session (a pause is silence; a fence
 * acts on the resource, which knows no sessions). */
const SILENT = new Set(['pause', 'fence', 'close']);

interface Heard {
  readonly op: HistoryOp;
  readonly session: number;
}

function codeOf(result: Json | undefined): number | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return undefined;
  const c = (result as { code?: unknown }).code;
  return typeof c === 'number' ? c : undefined;
}

function sessionOf(result: Json | undefined): number | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return undefined;
  const s = (result as { session?: unknown }).session;
  return typeof s === 'number' && s > 0 ? s : undefined;
}

/** Each client's answered ops that its session was heard by, with the session they were on. */
function heardOps(history: readonly HistoryOp[]): Heard[] {
  const byClient = new Map<number, HistoryOp[]>();
  for (const op of history) {
    let list = byClient.get(op.process);
    if (list === undefined) byClient.set(op.process, (list = []));
    list.push(op);
  }
  const out: Heard[] = [];
  for (const ops of byClient.values()) {
    ops.sort((a, b) => a.invoke - b.invoke || a.id - b.id);
    let session: number | undefined;
    for (const op of ops) {
      if (op.f === 'connect' || op.f === 'close') {
        // An unanswered connect or close leaves the client's session unknown until the next.
        session = op.f === 'connect' && op.outcome === 'ok' ? sessionOf(op.result) : undefined;
      }
      if (session === undefined || op.outcome !== 'ok' || SILENT.has(op.f)) continue;
      if (codeOf(op.result) === ZK_ERR.SESSIONEXPIRED) continue;
      out.push({ op, session });
    }
  }
  return out;
}

function faulted(context: JudgeContext, from: number, to: number): boolean {
  return context.faultWindows.some(([a, b]) => a <= to && b >= from);
}

/** The first expiry proposed while its client was being heard, described; undefined if none. */
export function earlyExpiryProblem(
  history: readonly HistoryOp[],
  expiries: readonly ExpiryRecord[],
  tickMs: number,
  context: JudgeContext | undefined,
): string | undefined {
  // Without the run's faults the judge cannot tell a lost report from a broken rule.
  if (context === undefined || context.clockFaults) return undefined;
  const bySession = new Map<number, Heard[]>();
  for (const h of heardOps(history)) {
    let list = bySession.get(h.session);
    if (list === undefined) bySession.set(h.session, (list = []));
    list.push(h);
  }
  const slack = (REPORT_TICKS + DELAY_TICKS) * tickMs;
  for (const e of expiries) {
    const since = e.at - e.timeoutMs;
    if (faulted(context, since - tickMs, e.at)) continue;
    for (const { op } of bySession.get(e.session) ?? []) {
      if (op.invoke >= since && op.complete + slack <= e.at) {
        return (
          `session expired early: session ${e.session} (timeout ${e.timeoutMs} ms) was expired at ` +
          `${e.at.toFixed(3)} ms, but its client ${op.process} was answered by ${op.node ?? '?'} ` +
          `(op ${op.id}, ${op.f}, ${op.invoke.toFixed(3)}–${op.complete.toFixed(3)} ms) within ` +
          `the timeout before, with no fault in between`
        );
      }
    }
  }
  return undefined;
}
