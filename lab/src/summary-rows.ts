/** What the lab's summary says about a run's clients (panels/summary.tsx). */
import type { RunResult } from '../../src/sim/run.js';

/**
 * The rows about clients: operations, latency, messages per operation and the longest
 * unavailability — or, for a run with no client operations (miners act on their own), only
 * the messages: no latency to show, and a whole run "unavailable" would say nothing true.
 */
export function clientRows(r: RunResult): [string, string][] {
  const messages = `${r.messages.sent} sent, ${r.messages.delivered} delivered, ${r.messages.dropped} dropped, ${r.messages.duplicated} duplicated`;
  if (r.ops.ok + r.ops.fail + r.ops.unknown === 0) {
    return [
      ['operations', 'none: the nodes act on their own, no client asks them anything'],
      ['messages', messages],
    ];
  }
  return [
    ['operations', `${r.ops.ok} ok, ${r.ops.fail} failed, ${r.ops.unknown} unknown`],
    ['latency', `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`],
    ['messages', `${messages} (${r.msgsPerOp} per op)`],
    ['longest unavailability', `${r.unavailableMs} ms`],
  ];
}
