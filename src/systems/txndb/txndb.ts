/**
 * The transactional database as two systems, one per timestamp discipline (txn-clock.ts):
 * `spanner` (TrueTime and commit wait: strict serializable) and `cockroach` (hybrid logical
 * clocks and uncertainty restarts: serializable). Both are ranges on Raft (one group each, many
 * per node), MVCC with intents and transaction records, and a coordinator per transaction.
 */
import type { Message, NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { HistoryOp } from '../../core/history.js';
import type { SystemDefinition } from '../../core/system.js';
import { judgeStaleReads } from './stale-read-judge.js';
import { SPANNER_EPSILON_MS } from '../../protocols/clocks/truetime.js';
import { COCKROACH_DEFAULT_MAX_OFFSET_MS } from '../../protocols/clocks/hybrid-logical-clock.js';
import type { RaftMsg } from '../../protocols/raft/messages.js';
import { InvariantRecorder } from '../../protocols/raft/invariants.js';
import { RaftNode } from '../../protocols/raft/raft-node.js';
import { initialDescriptors, metaReplicas } from './range-directory.js';
import type { LeaseMutant } from './range-lease.js';
import { makeTxnClock, type ClockKind } from './txn-clock.js';
import { DEFAULT_SPLITS, nextTxn, type TxnWorkload } from './txn-workload.js';
import { TxnDbNode } from './txndb-node.js';
import { txndbMessageProblem } from './txndb-messages.js';
import { txndbLabViews } from './txndb-lab-views.js';

const NO_COMMIT_WAIT = {
  name: 'no-commit-wait',
  description:
    'TrueTime without commit wait: a transaction is answered before its timestamp has surely passed',
};
const IGNORE_UNCERTAINTY = {
  name: 'ignore-uncertainty',
  description:
    'reads ignore the uncertainty window: a value written just before, by a clock ahead, is missed',
};

/**
 * Keys a range may hold before its leaseholder splits it. The workload's twelve keys start in
 * three ranges of four, so the default splits each once an ordinary run has written them all.
 */
export const DEFAULT_SPLIT_SIZE = 3;
/** A lease outlives the clocks' disagreement (its stasis period) by this much at least. */
const LEASE_BASE_MS = 1_000;

/**
 * The lease rules' mutants (range-lease.ts), caught by test/systems/txndb/range-lease.test.ts.
 * Not in the systems' mutant lists: no cockroach swarm seed in 1-100 (300 ops) caught them.
 */
const LEASE_MUTANTS: readonly LeaseMutant[] = ['lease-no-low-water', 'lease-no-stasis'];

const PARAMS = [
  { name: 'workload', description: "'list-append' (default) or 'rw-register'" },
  { name: 'epsilon', description: `TrueTime's ε in ms (spanner; default ${SPANNER_EPSILON_MS})` },
  {
    name: 'max-offset',
    description: `the HLC's max clock offset in ms (cockroach; default ${COCKROACH_DEFAULT_MAX_OFFSET_MS})`,
  },
  {
    name: 'split-size',
    description: `a range holding more keys than this splits in two (default ${DEFAULT_SPLIT_SIZE})`,
  },
] as const;

export class TxnDbParamError extends Error {
  readonly code = 'bad-param';
}

interface Settings {
  readonly workload: TxnWorkload;
  readonly epsilonMs: number;
  readonly maxOffsetMs: number;
  readonly splitSize: number;
}

function settingsFrom(system: string, params: Readonly<Record<string, string>>): Settings {
  let workload: TxnWorkload = 'list-append';
  let epsilonMs = SPANNER_EPSILON_MS;
  let maxOffsetMs = COCKROACH_DEFAULT_MAX_OFFSET_MS;
  let splitSize = DEFAULT_SPLIT_SIZE;
  const ms = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || v.trim() === '')
      throw new TxnDbParamError(`--param ${name} wants a number of ms ≥ 0, got '${v}'`);
    return n;
  };
  for (const [name, v] of Object.entries(params)) {
    if (name === 'workload') {
      if (v !== 'list-append' && v !== 'rw-register')
        throw new TxnDbParamError(
          `--param workload wants 'list-append' or 'rw-register', got '${v}'`,
        );
      workload = v;
    } else if (name === 'epsilon') epsilonMs = ms(name, v);
    else if (name === 'max-offset') maxOffsetMs = ms(name, v);
    else if (name === 'split-size') {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1 || v.trim() !== v)
        throw new TxnDbParamError(
          `--param split-size wants a whole number of keys ≥ 1, got '${v}'`,
        );
      splitSize = n;
    } else throw new TxnDbParamError(`${system} has no parameter '${name}'`);
  }
  return { workload, epsilonMs, maxOffsetMs, splitSize };
}

function txnDbSystem(name: 'spanner' | 'cockroach', clock: ClockKind): SystemDefinition {
  const mutant = clock === 'truetime' ? NO_COMMIT_WAIT : IGNORE_UNCERTAINTY;
  return {
    name,
    description:
      clock === 'truetime'
        ? 'transactions over Raft ranges with TrueTime and commit wait (Spanner): strict serializable'
        : 'transactions over Raft ranges with hybrid logical clocks and uncertainty restarts (CockroachDB): serializable',
    workload: 'custom',
    model: 'list-append',
    consistencyModel: clock === 'truetime' ? 'strict-serializable' : 'serializable',
    mutants: [mutant],
    defaultNodes: 3,
    minNodes: 1,
    params: PARAMS,
    configure(params) {
      const s = settingsFrom(name, params);
      if (s.workload === 'list-append') return undefined;
      const { judge: _listAppendOnly, ...rest } = this;
      return { ...rest, model: 'rw-register', configure: undefined };
    },
    // Bounds a short run reaches only at scale: a wide ε or max offset makes the window in which
    // a missing commit wait or uncertainty check shows wide enough for a few hundred operations.
    swarmParams(random): Readonly<Record<string, string>> {
      return clock === 'truetime'
        ? { epsilon: String(random.pick([7, 25, 100])) }
        : { 'max-offset': String(random.pick([100, 500, 1000])) };
    },
    clockBoundMs(params) {
      const s = settingsFrom(name, params);
      return clock === 'truetime' ? s.epsilonMs : s.maxOffsetMs / 2;
    },
    nextOp(random, process, issued) {
      return nextTxn(
        this.model === 'rw-register' ? 'rw-register' : 'list-append',
        random,
        process,
        issued,
      );
    },
    createNode(options) {
      const s = settingsFrom(name, options.params ?? {});
      // One invariant recorder per range for the whole cluster (createNode runs once per
      // simulated run): it watches every replica's log. The directory is not shared: each node
      // computes the cluster's first one itself and learns the rest.
      const recorders = new Map<string, InvariantRecorder>();
      const recordInvariants = options.invariants !== false;
      const mutant = options.mutant ?? null;
      // Two clocks differ by at most twice the bound each keeps to true time.
      const offset = clock === 'truetime' ? 2 * s.epsilonMs : s.maxOffsetMs;
      return (env) => {
        const cluster = options.cluster ?? env.cluster;
        return new TxnDbNode(env as NodeEnv<Message>, {
          initial: initialDescriptors(DEFAULT_SPLITS, cluster),
          metaReplicas: metaReplicas(cluster),
          clock: (now) =>
            makeTxnClock(clock, now, {
              epsilonMs: s.epsilonMs,
              maxOffsetMs: s.maxOffsetMs,
              skipCommitWait: mutant === NO_COMMIT_WAIT.name,
            }),
          makeGroup: (groupEnv: NodeEnv<RaftMsg>, id, sm) => {
            let recorder = recorders.get(id);
            if (recorder === undefined && recordInvariants) {
              recorder = new InvariantRecorder();
              recorders.set(id, recorder);
            }
            return new RaftNode(groupEnv, sm, {
              ...(recorder !== undefined ? { recorder } : {}),
              followerReads: false,
            });
          },
          ranges: {
            mvccMutant: mutant === IGNORE_UNCERTAINTY.name ? 'ignore-uncertainty' : null,
            leaseMutant: LEASE_MUTANTS.find((m) => m === mutant) ?? null,
            txnExpiryMs: 1_000,
            splitSize: s.splitSize,
            leaseMs: LEASE_BASE_MS + 2 * offset,
            leaseOffsetMs: offset,
          },
          coordinator: {
            heartbeatMs: 250,
            pushBackoffMs: 20,
            deadlineMs: 2_000,
            workload: s.workload,
          },
          rpcTimeoutMs: 100,
        });
      };
    },
    // Without commit wait the HLC promises no stale reads per key beyond serializability.
    ...(clock === 'hlc'
      ? { judge: (history: readonly HistoryOp[]) => judgeStaleReads(history) }
      : {}),
    checkMessage: txndbMessageProblem,
    labViews: txndbLabViews,
    checkInvariants(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
      for (const node of nodes.values()) {
        if (!(node instanceof TxnDbNode)) continue;
        for (const id of node.host.groups()) {
          const v = node.host.group(id)?.recorder?.violation;
          if (v !== undefined) return `range ${id}: ${v}`;
        }
      }
      return undefined;
    },
  };
}

export const spannerSystem = txnDbSystem('spanner', 'truetime');
export const cockroachSystem = txnDbSystem('cockroach', 'hlc');
