/**
 * `2pc-blocking`: two-phase commit blocks. A participant that voted yes may neither commit nor
 * abort on its own, so if the coordinator dies after the votes, the participant holds its locks
 * until the coordinator comes back. Two non-blocking variants are measured beside it:
 * `twopc-replicated` (2PC whose outcome is chosen by one Paxos instance per transaction) and
 * `paxos-commit` (Gray and Lamport's Paxos Commit: one Paxos instance per participant's vote).
 *
 * Measured in the simulator: the coordinator n1 is crashed for DOWN_MS, three times, from a
 * seed-dependent instant on, and every participant reports how long it held each transaction in doubt
 * (metric `twopc.doubt-ms`, from prepared to decision). The same runs count, per transaction,
 * the messages every node sent about it (each message names its transaction), so the messages
 * of the transactions that committed without any recovery can be set beside Gray and Lamport's
 * count for the normal case.
 */
import type { Json } from '../core/json.js';
import type { SystemDefinition } from '../core/system.js';
import { runChecked } from '../sim/checked-run.js';
import type { ScriptAction } from '../sim/script.js';
import { roundMs } from '../sim/stats.js';
import { paxosCommitSystem } from '../systems/twopc/paxos-commit.js';
import { twoPcReplicatedSystem, twoPcSystem } from '../systems/twopc/twopc.js';
import { watchingSends } from './watch-sends.js';
import type { Experiment, ExperimentPlot, PlotPoint } from './experiment.js';

/** How long the coordinator stays down, each time. */
export const DOWN_MS = 1000;
/**
 * Outages per run, OUTAGE_EVERY_MS apart. One crash catches a prepared transaction only about
 * half the time (a participant is prepared for a few ms of every ten or so), so with one outage
 * a range of ten seeds could miss every time (seeds 4001–4010 did); three make that unlikely.
 */
export const OUTAGES = 3;
export const OUTAGE_EVERY_MS = 3000;

/** Paxos Commit's F in these runs (the system's default): 3 acceptors. */
export const PAXOS_COMMIT_F = 1;

/** The systems compared, each with what it is. */
export const BLOCKING_SYSTEMS: readonly { system: SystemDefinition; what: string }[] = [
  { system: twoPcSystem, what: 'two-phase commit (presumed abort)' },
  {
    system: twoPcReplicatedSystem,
    what: '2PC, outcome chosen by one Paxos instance per transaction',
  },
  {
    system: paxosCommitSystem,
    what: "Paxos Commit: one Paxos instance per participant's vote, 2F + 1 = 3 acceptors",
  },
];

/** When, in virtual ms, the coordinator first crashes in the run with `seed`. */
export function crashAt(seed: number): number {
  return 200 + ((seed * 37) % 300);
}

/** The crash and restart script of the run with `seed`. */
export function outageScript(seed: number): ScriptAction[] {
  const script: ScriptAction[] = [];
  for (let i = 0; i < OUTAGES; i++) {
    const at = crashAt(seed) + i * OUTAGE_EVERY_MS;
    script.push(
      { at, kind: 'crash', node: 'n1' },
      { at: at + DOWN_MS, kind: 'restart', node: 'n1' },
    );
  }
  return script;
}

/**
 * Messages in Paxos Commit's normal case for a transaction with `n` participants, as Gray and
 * Lamport count them (Section 4.3, "The Cost of Paxos Commit", before co-locating processes):
 * BeginCommit 1, Prepare n − 1, phase 2a n(F + 1), bundled phase 2b F + 1, Commit n. Here the
 * client's request replaces BeginCommit and the leader prepares all n: the same n messages.
 */
export function paxosCommitMessages(n: number, f: number): number {
  return (n + 1) * (f + 3) - 2;
}

/**
 * Messages that mark a transaction as not the normal case: a recovery's phase 1, or a
 * participant asking the coordinator for the outcome (its retry tick fell in its doubt window;
 * the coordinator's answer repeats the decision).
 */
const OFF_NORMAL_TYPES = new Set(['c-prepare', 'pc-1a', 'status']);

interface TxnMessages {
  participants: number;
  total: number;
  /** It ran a recovery or a participant asked: not the normal case. */
  recovery: boolean;
  commit: boolean;
}

/** `system` with every message that names a transaction counted into `txns` (unchanged). */
function countingByTxn(system: SystemDefinition, txns: Map<string, TxnMessages>): SystemDefinition {
  return watchingSends(system, (_env, _to, msg) => {
    const txn = (msg as { txn?: unknown }).txn;
    if (typeof txn !== 'string') return;
    let t = txns.get(txn);
    if (t === undefined) {
      t = { participants: 0, total: 0, recovery: false, commit: false };
      txns.set(txn, t);
    }
    t.total++;
    if (msg.type === 'prepare') t.participants++;
    if (OFF_NORMAL_TYPES.has(msg.type)) t.recovery = true;
    if (msg.type === 'decision' && (msg as { commit?: unknown }).commit === true) t.commit = true;
  });
}

/**
 * Messages per committed transaction in the normal case (no recovery, no participant asking), by
 * its number of participants.
 */
export interface MessageCount {
  readonly participants: number;
  readonly txns: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
}

export interface BlockingRun {
  readonly verdict: string;
  readonly okOps: number;
  /** The longest a participant held one transaction in doubt, ms. */
  readonly maxDoubtMs: number;
  /** Outcomes participants chose without the coordinator (metric `twopc.recovered`). */
  readonly recovered: number;
  readonly messages: readonly MessageCount[];
}

export function runBlocking(system: SystemDefinition, seed: number): BlockingRun {
  const txns = new Map<string, TxnMessages>();
  const run = runChecked({
    system: countingByTxn(system, txns),
    seed,
    script: outageScript(seed),
    workload: { ops: 300 },
  });
  const byN = new Map<number, { txns: number; min: number; max: number; sum: number }>();
  for (const t of txns.values()) {
    if (!t.commit || t.recovery || t.participants === 0) continue;
    const c = byN.get(t.participants) ?? { txns: 0, min: Infinity, max: 0, sum: 0 };
    byN.set(t.participants, {
      txns: c.txns + 1,
      min: Math.min(c.min, t.total),
      max: Math.max(c.max, t.total),
      sum: c.sum + t.total,
    });
  }
  return {
    verdict: run.verdict,
    okOps: run.ops.ok,
    maxDoubtMs: roundMs(run.metrics['twopc.doubt-ms']?.max ?? 0),
    recovered: run.metrics['twopc.recovered']?.count ?? 0,
    messages: [...byN.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([participants, c]) => ({ participants, ...c })),
  };
}

/** Sums message counts over runs, by number of participants. */
function mergeCounts(runs: readonly BlockingRun[]): MessageCount[] {
  const byN = new Map<number, MessageCount>();
  for (const r of runs) {
    for (const m of r.messages) {
      const c = byN.get(m.participants);
      byN.set(
        m.participants,
        c === undefined
          ? m
          : {
              participants: m.participants,
              txns: c.txns + m.txns,
              min: Math.min(c.min, m.min),
              max: Math.max(c.max, m.max),
              sum: c.sum + m.sum,
            },
      );
    }
  }
  return [...byN.values()].sort((a, b) => a.participants - b.participants);
}

const RULE =
  'supported if some twopc participant stays in doubt ≥ 90 % of the outage while neither ' +
  'twopc-replicated nor paxos-commit has any participant in doubt for half of it, and each of ' +
  'those two had a participant choose an outcome without the coordinator (recovered > 0); not ' +
  'measurable if no twopc crash caught a prepared transaction or no recovery happened; refuted ' +
  'otherwise, or if any run is invalid';

export const twoPcBlockingExperiment: Experiment = {
  name: '2pc-blocking',
  claim:
    'Two-phase commit blocks: if the coordinator fails after the participants voted, they hold ' +
    'their locks until it recovers; a commit whose outcome is chosen by consensus — one Paxos ' +
    "instance on the outcome, or Paxos Commit's one instance per participant — does not block",
  sources: [
    {
      kind: 'seed',
      section: 'Truth Patterns Summary',
      quote: '2PC             • ACID required        • Partition likely',
    },
    {
      kind: 'seed',
      section: 'Truth Patterns Summary',
      quote: '• Short transactions   • Node failures',
    },
    {
      kind: 'paper',
      cite:
        'Jim Gray and Leslie Lamport, "Consensus on Transaction Commit", ACM Transactions on ' +
        'Database Systems 31(1):133–160, 2006',
      where:
        'Section 3 (Two-Phase Commit: blocked while the TM is down), Section 4.2 (Paxos ' +
        'Commit) and Section 4.3 (its normal-case message count, (N + 1)(F + 3) − 2 before ' +
        'co-location)',
    },
  ],
  run({ seed, quick }) {
    const seeds = Array.from({ length: quick ? 4 : 10 }, (_, i) => seed + i);
    const rows: Json[] = [];
    const perSystem = new Map<string, BlockingRun[]>();
    let allValid = true;
    for (const { system, what } of BLOCKING_SYSTEMS) {
      const runs: BlockingRun[] = [];
      for (const s of seeds) {
        const r = runBlocking(system, s);
        runs.push(r);
        allValid &&= r.verdict === 'valid';
        rows.push({
          system: system.name,
          what,
          seed: s,
          crashAtMs: Array.from({ length: OUTAGES }, (_, i) => crashAt(s) + i * OUTAGE_EVERY_MS),
          downMs: DOWN_MS,
          verdict: r.verdict,
          okOps: r.okOps,
          maxDoubtMs: r.maxDoubtMs,
          recovered: r.recovered,
        });
      }
      perSystem.set(system.name, runs);
    }
    const runsOf = (s: SystemDefinition): BlockingRun[] => perSystem.get(s.name) ?? [];
    const worst = (s: SystemDefinition): number =>
      Math.max(0, ...runsOf(s).map((r) => r.maxDoubtMs));
    const recovered = (s: SystemDefinition): number =>
      runsOf(s).reduce((a, r) => a + r.recovered, 0);
    const plain = worst(twoPcSystem);
    const replicated = worst(twoPcReplicatedSystem);
    const paxosCommit = worst(paxosCommitSystem);
    // Blocking shows when some participant stayed in doubt for (almost) the whole outage.
    const blocked = plain >= 0.9 * DOWN_MS;
    const recoveredBoth = recovered(twoPcReplicatedSystem) > 0 && recovered(paxosCommitSystem) > 0;
    const unblocked = replicated < DOWN_MS / 2 && paxosCommit < DOWN_MS / 2;

    const counts = new Map(
      BLOCKING_SYSTEMS.map(({ system }) => [system.name, mergeCounts(runsOf(system))]),
    );
    const pcCounts = counts.get(paxosCommitSystem.name) ?? [];
    const messages: Json[] = pcCounts.map((c) => ({
      participants: c.participants,
      committedTxns: c.txns,
      meanMessages: roundMs(c.sum / c.txns),
      minMessages: c.min,
      maxMessages: c.max,
      paperFormula: paxosCommitMessages(c.participants, PAXOS_COMMIT_F),
    }));
    const points = (system: SystemDefinition): PlotPoint[] =>
      (counts.get(system.name) ?? []).map((c) => ({
        x: c.participants,
        y: roundMs(c.sum / c.txns),
        lo: c.min,
        hi: c.max,
      }));
    const plots: ExperimentPlot[] = [
      {
        title: `Longest a participant held a transaction in doubt, coordinator down ${DOWN_MS} ms`,
        x: { label: 'seed' },
        y: { label: 'worst doubt in the run (ms)' },
        series: [
          ...BLOCKING_SYSTEMS.map(({ system }) => ({
            name: system.name,
            role: 'measured' as const,
            points: runsOf(system).map((r, i) => ({ x: seeds[i] as number, y: r.maxDoubtMs })),
          })),
          {
            name: `2PC blocked for the whole outage (${DOWN_MS} ms)`,
            role: 'claimed' as const,
            points: seeds.map((s) => ({ x: s, y: DOWN_MS })),
          },
        ],
      },
      {
        title:
          'Messages per committed transaction in the normal case (mean, min–max), by participants',
        x: { label: 'participants N' },
        y: { label: 'messages' },
        series: [
          { name: 'paxos-commit (F = 1)', role: 'measured', points: points(paxosCommitSystem) },
          {
            name: 'Gray & Lamport §4.3: (N + 1)(F + 3) − 2, F = 1',
            role: 'model',
            points: pcCounts.map((c) => ({
              x: c.participants,
              y: paxosCommitMessages(c.participants, PAXOS_COMMIT_F),
            })),
          },
          { name: 'twopc (with acks)', role: 'measured', points: points(twoPcSystem) },
          { name: 'twopc-replicated', role: 'measured', points: points(twoPcReplicatedSystem) },
        ],
      },
    ];
    return {
      rows,
      measured: {
        downMs: DOWN_MS,
        worstDoubtMsTwopc: plain,
        worstDoubtMsReplicated: replicated,
        worstDoubtMsPaxosCommit: paxosCommit,
        runsBlockedTwopc: runsOf(twoPcSystem).filter((r) => r.maxDoubtMs >= 0.9 * DOWN_MS).length,
        recoveredReplicated: recovered(twoPcReplicatedSystem),
        recoveredPaxosCommit: recovered(paxosCommitSystem),
        paxosCommitMessages: messages,
        allRunsValid: allValid,
        rule: RULE,
      },
      verdict: !allValid
        ? 'refuted'
        : !blocked || !recoveredBoth
          ? 'not measurable as stated'
          : unblocked
            ? 'supported'
            : 'refuted',
      plots,
    };
  },
};
