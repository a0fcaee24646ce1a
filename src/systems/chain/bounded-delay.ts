/**
 * Which finality reversals break Bitcoin's promise and which only break its assumption.
 *
 * k-confirmation finality is probabilistic and holds for an honest majority on a network that
 * delivers every block promptly (Nakamoto, "Bitcoin: A Peer-to-Peer Electronic Cash System",
 * 2008, §11; the common-prefix property of Garay, Kiayias, Leonardos, "The Bitcoin Backbone
 * Protocol: Analysis and Applications", EUROCRYPT 2015, in synchronous rounds; extended to a
 * delay bounded by Δ by Pass, Seeman, shelat, "Analysis of the Blockchain Protocol in
 * Asynchronous Networks", EUROCRYPT 2017). A partition
 * longer than a few block intervals is outside that assumption: both sides mine, and undoing
 * the minority side's k-confirmed payments at the heal is Bitcoin working as designed. So a
 * reversal counts against the protocol only when the race that caused it — from when the first
 * block of either branch was mined (or the node connected the first block it undid, if earlier)
 * to the reorg — overlapped no fault window, nor the time after a heal in which the branch the
 * fault hid may still be arriving. Dating it by the node's connect time alone was not enough: a
 * branch mined behind a partition reaches a node one parent per round trip, and a deep one can
 * arrive after that allowance (`sim nakamoto --swarm --seed 689`, docs/nakamoto.md).
 */
import type { JudgeContext } from '../../core/system.js';
import type { DeepReversal } from '../../protocols/nakamoto/miner-node.js';

export interface ReversalSplit {
  /** Reversals whose race ran on a connected network: the promise broken. */
  readonly violations: readonly DeepReversal[];
  /** Reversals during or just after a fault: outside the assumption, reported only. */
  readonly observed: readonly DeepReversal[];
}

/**
 * Splits reversals by whether their race overlapped a fault window widened by `settleMs` after
 * its heal. When some node's clock was faulted, the nodes' timestamps are not true time and
 * cannot be placed against the windows, so every reversal is only observed. Without a context
 * (a run judged outside the simulator's fault bookkeeping) the network counts as connected.
 */
export function splitReversals(
  reversals: readonly DeepReversal[],
  context: JudgeContext | undefined,
  settleMs: number,
): ReversalSplit {
  if (context?.clockFaults === true) return { violations: [], observed: [...reversals] };
  const windows = context?.faultWindows ?? [];
  const violations: DeepReversal[] = [];
  const observed: DeepReversal[] = [];
  for (const r of reversals) {
    const faulted = windows.some(([from, to]) => r.since <= to + settleMs && from <= r.at);
    (faulted ? observed : violations).push(r);
  }
  return { violations, observed };
}
