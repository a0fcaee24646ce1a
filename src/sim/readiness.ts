/**
 * The readiness judge: what a successful promotion promises. A system that takes members as
 * learners first (Raft's §4.2.1, etcd's `member promote`, ZooKeeper's observers) promotes one to
 * voter only once it holds the data, because from then on a majority may need its vote and its
 * copy: a voter with nothing costs the cluster a failure it was configured to tolerate. The
 * simulator cannot read a protocol's log, but it knows one thing that settles the question for
 * any protocol: a node whose data the admin erased, and that has been handed no message since,
 * holds nothing of the cluster's. A promotion of such a node that the system reports done broke
 * the promise, whatever the protocol.
 *
 * Why a judge of the promise and not of availability: a learner promoted too early only slows
 * commits until it catches up, and in simulated runs it catches up within a round trip or two
 * once it is up and connected (docs/simulator.md, Membership changes, measured); the stall is
 * visible only while the learner is down or cut off, and then the cluster's own faults explain
 * it. A learner that has heard nothing cannot be caught up, on any protocol, so the judge has no
 * false alarm to tune away.
 */
import type { NodeId } from '../core/node.js';
import type { Simulator } from './simulator.js';

export class ReadinessWatch {
  /** Per wiped node: when, and how many messages it had been handed by then. */
  private readonly wiped = new Map<NodeId, { at: number; received: number }>();
  private readonly broken: string[] = [];

  constructor(private readonly sim: Simulator) {}

  /** The admin erased `node`'s data: it holds nothing until it is handed something. */
  wipe(node: NodeId): void {
    this.wiped.set(node, { at: this.sim.now, received: this.sim.receivedBy(node) });
  }

  /** The system reported `node` promoted (by `by`). */
  promoted(node: NodeId, by: NodeId): void {
    const w = this.wiped.get(node);
    if (w === undefined || this.sim.receivedBy(node) > w.received) return;
    this.broken.push(
      `${by} promoted ${node} at ${round(this.sim.now)} ms, though ${node} had been handed no ` +
        `message since its data was wiped at ${round(w.at)} ms`,
    );
  }

  /** The promotions that broke the promise, in order. */
  unready(): readonly string[] {
    return this.broken;
  }
}

const round = (ms: number): number => Number(ms.toFixed(3));

export function judgeReadiness(unready: readonly string[]): {
  verdict: 'valid' | 'invalid';
  message: string;
} {
  const first = unready[0];
  if (first === undefined) {
    return { verdict: 'valid', message: 'every promoted learner had heard from the cluster' };
  }
  const more = unready.length > 1 ? ` (and ${unready.length - 1} more)` : '';
  return { verdict: 'invalid', message: `promotion of a learner holding nothing: ${first}${more}` };
}
