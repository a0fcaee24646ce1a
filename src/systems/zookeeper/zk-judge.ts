/**
 * The zookeeper system's own judge: what ZooKeeper promises of reads, beside the `znode` model's
 * linearizability of writes.
 *
 *  - Per-client order (sequential consistency of reads, ZooKeeper's "single system image"): every
 *    answer carries the zxid of the state it came from, and a client's answers, in the order it
 *    got them, never go back to an older zxid than one it has seen.
 *  - One place per write: two writes never report the same zxid, since each (refused ones too,
 *    as ZooKeeper logs error txns) is one transaction of one total order.
 *  - Watches (zk-watch-judge.ts), multi, sync and the lock's fencing (zk-more-judge.ts).
 */
import type { HistoryOp } from '../../core/history.js';
import type { Judgement } from '../../core/system.js';
import { zxidOf } from './zk-client-ops.js';
import { fencingProblem, LOGGED as WRITES, multiProblem, syncProblem } from './zk-more-judge.js';
import { judgeWatches } from './zk-watch-judge.js';

export function judgeZk(history: readonly HistoryOp[]): Judgement {
  const byClient = new Map<number, HistoryOp[]>();
  for (const op of history) {
    if (op.outcome !== 'ok') continue;
    let list = byClient.get(op.process);
    if (list === undefined) byClient.set(op.process, (list = []));
    list.push(op);
  }
  const writeAt = new Map<number, number>();
  let answers = 0;
  for (const [process, ops] of byClient) {
    // A client has one operation in flight: invocation order is the order of its answers.
    ops.sort((a, b) => a.invoke - b.invoke || a.id - b.id);
    let seen = 0;
    let seenBy = -1;
    for (const op of ops) {
      const z = zxidOf(op.result);
      if (z === undefined) {
        return { verdict: 'invalid', message: `op ${op.id} (${op.f}): an answer without a zxid` };
      }
      answers++;
      if (z < seen) {
        return {
          verdict: 'invalid',
          message:
            `client ${process} went back in time: op ${op.id} (${op.f} at ${op.node ?? '?'}) ` +
            `answered at zxid ${z} after op ${seenBy} answered at ${seen}`,
        };
      }
      seen = z;
      seenBy = op.id;
      const multi = multiProblem(op);
      if (multi !== undefined) return { verdict: 'invalid', message: multi };
      // A sync takes a zxid here only because it goes through the log as a no-op: ZooKeeper
      // promises it no place of its own (its rule is zk-more-judge.ts's).
      if (WRITES.has(op.f) && op.f !== 'sync') {
        const other = writeAt.get(z);
        if (other !== undefined) {
          return {
            verdict: 'invalid',
            message: `ops ${other} and ${op.id} both took effect at zxid ${z}`,
          };
        }
        writeAt.set(z, op.id);
      }
    }
  }
  const sync = syncProblem(history);
  if (sync !== undefined) return { verdict: 'invalid', message: sync };
  const fencing = fencingProblem(history);
  if (fencing.problem !== undefined) return { verdict: 'invalid', message: fencing.problem };
  const w = judgeWatches(history);
  if (w.problem !== undefined) return { verdict: 'invalid', message: w.problem };
  return {
    verdict: 'valid',
    message:
      `per-client zxids never went back over ${answers} answers of ${byClient.size} clients; ` +
      `${writeAt.size} writes each at their own zxid; ${w.registrations} watches, ` +
      `${w.notifications} notifications, each at most once and before the state that follows; ` +
      `fenced acts: ${fencing.accepted} accepted with rising tokens, ${fencing.refused} refused`,
    details: {
      answers,
      clients: byClient.size,
      writes: writeAt.size,
      watches: w.registrations,
      notifications: w.notifications,
      watchChecks: w.checks,
      fencedAccepted: fencing.accepted,
      fencedRefused: fencing.refused,
    },
  };
}
