/**
 * The zookeeper system's own judge: what ZooKeeper promises of reads, beside the `znode` model's
 * linearizability of writes.
 *
 *  - Per-client order (sequential consistency of reads, ZooKeeper's "single system image"): every
 *    answer carries the zxid of the state it came from, and a client's answers, in the order it
 *    got them, never go back to an older zxid than one it has seen.
 *  - One place per write: two writes never report the same zxid, since each (refused ones too,
 *    as ZooKeeper logs error txns) is one transaction of one total order.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Judgement } from '../../core/system.js';
import { zxidOf } from './zk-client-ops.js';

const WRITES = new Set(['connect', 'close', 'create', 'createEphemeral', 'setData', 'delete']);

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
      if (WRITES.has(op.f)) {
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
  return {
    verdict: 'valid',
    message:
      `per-client zxids never went back over ${answers} answers of ${byClient.size} clients; ` +
      `${writeAt.size} writes each at their own zxid`,
    details: { answers, clients: byClient.size, writes: writeAt.size },
  };
}
