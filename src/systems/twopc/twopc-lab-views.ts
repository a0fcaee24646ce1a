/**
 * Two-phase commit in the lab: arrows named by phase and transaction, the coordinator starred,
 * each transaction's votes and decision with how long it waited for that decision, and the
 * transactions each participant holds in doubt over time (prepared, locks held, no decision
 * yet: the blocking 2PC is known for). Shared by `twopc`, `twopc-replicated` and
 * `paxos-commit`, which run the same transfers under the same conservation judge.
 */
import type { Json } from '../../core/json.js';
import {
  msgField,
  perNodeSteps,
  viewNum,
  viewStr,
  type LabRun,
  type LabViews,
} from '../../core/lab-views.js';

/** The transaction table shows this many most recent transactions. */
export const TXN_ROWS = 40;

export function twoPcLabel(msg: Json): string {
  const type = String(msgField(msg, 'type'));
  const yes = msgField(msg, 'yes');
  const commit = msgField(msg, 'commit');
  if (type === 'vote' && typeof yes === 'boolean') return `vote ${yes ? 'yes' : 'no'}`;
  if (type === 'decision' && typeof commit === 'boolean')
    return `decision ${commit ? 'commit' : 'abort'}`;
  return type;
}

interface Txn {
  readonly txn: string;
  readonly prepared: number;
  yes: Set<string>;
  no: Set<string>;
  decision: { t: number; commit: boolean } | undefined;
}

/**
 * One row per transaction: when the coordinator first sent prepare, the distinct participants
 * that voted yes and no, the decision, and the time from the first prepare to the first
 * decision sent (or, while none was, how long it has waited so far).
 */
export function transactionRows(run: LabRun): (string | number)[][] {
  const txns = new Map<string, Txn>();
  for (const m of run.sent) {
    const type = msgField(m.msg, 'type');
    const txn = msgField(m.msg, 'txn');
    if (typeof txn !== 'string') continue;
    let x = txns.get(txn);
    if (type === 'prepare' && x === undefined)
      txns.set(
        txn,
        (x = { txn, prepared: m.t, yes: new Set(), no: new Set(), decision: undefined }),
      );
    if (x === undefined) continue;
    if (type === 'vote') (msgField(m.msg, 'yes') === true ? x.yes : x.no).add(m.from);
    const commit = msgField(m.msg, 'commit');
    if (type === 'decision' && typeof commit === 'boolean' && x.decision === undefined)
      x.decision = { t: m.t, commit };
  }
  return [...txns.values()]
    .slice(-TXN_ROWS)
    .map((x) => [
      x.txn,
      x.prepared,
      x.yes.size,
      x.no.size,
      x.decision === undefined ? 'none yet' : x.decision.commit ? 'commit' : 'abort',
      x.decision === undefined ? `≥ ${run.end - x.prepared}` : x.decision.t - x.prepared,
    ]);
}

export const twoPcLabViews: LabViews = {
  messageLabel: twoPcLabel,
  lane: (view) => {
    const role = viewStr(view, 'role');
    const inDoubt = viewNum(view, 'inDoubt');
    return {
      ...(role !== undefined ? { role } : {}),
      lead: role === 'coordinator',
      marks: inDoubt !== undefined && inDoubt > 0 ? [`${inDoubt} in doubt`] : [],
    };
  },
  panels: [
    {
      kind: 'table',
      id: 'transactions',
      title: 'Transactions: votes, decision, wait for the decision',
      columns: [
        'txn',
        'prepare at (ms)',
        'yes votes',
        'no votes',
        'decision',
        'prepare → decision (ms)',
      ],
      rows: transactionRows,
    },
    {
      kind: 'chart',
      id: 'in-doubt',
      title: 'Transactions in doubt per participant (prepared, no decision: locks held)',
      yLabel: 'transactions',
      stepped: true,
      data: (run) => perNodeSteps(run, (v) => viewNum(v, 'inDoubt')),
    },
  ],
  verdictName: 'atomic (money conserved)',
  judgeChecks:
    'every successful audit saw exactly the money there was at the start, so no transfer was half applied',
};
