/**
 * A three-node cockroach cluster in the simulator, driven one request at a time: the tests of
 * interactive transactions choose each request after seeing the last answer, which the
 * simulator's workload (one op per client, chosen before) cannot do. Nodes are built as
 * txndb.ts builds them, with the coordinator's and gateway's options open to the test (their
 * mutants among them).
 */
import type { Json } from '../../../src/core/json.js';
import type { ClientReply, Message, NodeEnv } from '../../../src/core/node.js';
import { COCKROACH_DEFAULT_MAX_OFFSET_MS } from '../../../src/protocols/clocks/hybrid-logical-clock.js';
import type { RaftMsg } from '../../../src/protocols/raft/messages.js';
import { RaftNode } from '../../../src/protocols/raft/raft-node.js';
import { Simulator } from '../../../src/sim/simulator.js';
import type { CoordinatorSettings } from '../../../src/systems/txndb/coordinator.js';
import { initialDescriptors, metaReplicas } from '../../../src/systems/txndb/range-directory.js';
import { makeTxnClock } from '../../../src/systems/txndb/txn-clock.js';
import {
  DEFAULT_SESSION_SETTINGS,
  type SessionSettings,
  type StepReply,
} from '../../../src/systems/txndb/txn-sessions.js';
import { DEFAULT_SPLITS } from '../../../src/systems/txndb/txn-workload.js';
import { TxnDbNode } from '../../../src/systems/txndb/txndb-node.js';
import { DEFAULT_SPLIT_SIZE } from '../../../src/systems/txndb/txndb.js';

export const NODES = ['n1', 'n2', 'n3'] as const;

export interface HarnessOptions {
  readonly seed?: number;
  readonly coordinator?: Partial<CoordinatorSettings>;
  readonly sessions?: Partial<SessionSettings>;
}

export class TxnHarness {
  readonly sim: Simulator;
  private seq = 0;

  constructor(o: HarnessOptions = {}) {
    const offset = COCKROACH_DEFAULT_MAX_OFFSET_MS;
    this.sim = new Simulator({
      seed: o.seed ?? 1,
      nodeIds: NODES,
      factory: (env) =>
        new TxnDbNode(env as NodeEnv<Message>, {
          initial: initialDescriptors(DEFAULT_SPLITS, NODES),
          metaReplicas: metaReplicas(NODES),
          clock: (now) =>
            makeTxnClock('hlc', now, {
              epsilonMs: 7,
              maxOffsetMs: COCKROACH_DEFAULT_MAX_OFFSET_MS,
              skipCommitWait: false,
            }),
          makeGroup: (groupEnv: NodeEnv<RaftMsg>, _id, sm) =>
            new RaftNode(groupEnv, sm, { followerReads: false }),
          // As txndb.ts builds a cockroach node (lease of 1 s + twice the max offset).
          ranges: {
            mvccMutant: null,
            leaseMutant: null,
            txnExpiryMs: 1_000,
            splitSize: DEFAULT_SPLIT_SIZE,
            leaseMs: 1_000 + 2 * offset,
            leaseOffsetMs: offset,
          },
          coordinator: {
            heartbeatMs: 250,
            pushBackoffMs: 20,
            deadlineMs: 2_000,
            workload: 'rw-register',
            ...o.coordinator,
          },
          sessions: { ...DEFAULT_SESSION_SETTINGS, ...o.sessions },
          rpcTimeoutMs: 100,
        }),
    });
    this.sim.start();
    // Every range elects a leader.
    this.runFor(2_000);
  }

  get now(): number {
    return this.sim.now;
  }

  runFor(ms: number): void {
    this.sim.runUntil(this.sim.now + ms);
  }

  node(id: string): TxnDbNode {
    const n = this.sim.node(id);
    if (!(n instanceof TxnDbNode)) throw new Error(`${id} is not a running txndb node`);
    return n;
  }

  /** Sends `op` to `node` through the client port and runs until it is answered. */
  request(
    node: string,
    op: Json,
    limitMs = 10_000,
  ): ClientReply & { code?: string; reason?: string } {
    let reply: ClientReply | undefined;
    this.sim.request(node, 'c', ++this.seq, op, (r) => (reply = r));
    return this.until(() => reply, limitMs);
  }

  /** Runs until `answer` gives a value (10 ms at a time), or throws past `limitMs`. */
  until<T>(answer: () => T | undefined, limitMs = 10_000): T {
    const end = this.sim.now + limitMs;
    for (;;) {
      const v = answer();
      if (v !== undefined) return v;
      if (this.sim.now >= end) throw new Error(`no answer within ${limitMs} ms`);
      this.runFor(10);
    }
  }

  /** Runs an in-process session call (`step`, `commit`, `rollback`) until it answers. */
  settle(call: (done: (r: StepReply) => void) => void): StepReply {
    let reply: StepReply | undefined;
    call((r) => (reply = r));
    return this.until(() => reply);
  }

  /** The value of each key, read in a one-shot transaction on `node`. */
  read(node: string, ...keys: string[]): Json[] {
    const r = this.request(node, { f: 'txn', value: keys.map((k) => ['r', k, null]) });
    if (!r.ok) throw new Error(`read failed: ${r.error}`);
    return (r.value as Json[][]).map((m) => m[2]!);
  }

  metric(name: string): number {
    return this.sim.metrics.get(name)?.length ?? 0;
  }
}
