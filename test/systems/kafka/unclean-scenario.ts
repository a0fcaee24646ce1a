/**
 * A scripted run in which partition t-0 loses every ISR member while a replica outside the ISR
 * is alive: five nodes; at 1 s one follower of t-0 is cut off from the other two replicas (it
 * stays in touch with the rest), so it falls out of the ISR; at 2.5 s the cut heals and, at that
 * instant, the partition's leader and its other follower crash for good. The controller fences
 * them; with ISR-only election t-0 stays without a leader, with unclean election the lagging
 * replica leads and the acknowledged records it never fetched are gone: it takes new writes at
 * their offsets (min.insync.replicas is 1 here, so it may lead alone).
 */
import type { NodeId } from '../../../src/core/node.js';
import { judgeSession, type SessionJudgement } from '../../../src/sim/checked-run.js';
import { Session } from '../../../src/sim/run.js';
import { KafkaNode } from '../../../src/systems/kafka/kafka-node.js';
import { kafkaSystem } from '../../../src/systems/kafka/kafka.js';

export interface UncleanOutcome {
  readonly judged: SessionJudgement;
  readonly failure: string | null;
  readonly leaderAfter: NodeId | null;
  readonly uncleanElections: number;
}

export function uncleanScenario(options: {
  readonly seed: number;
  readonly mutant?: string;
  readonly params?: Readonly<Record<string, string>>;
}): UncleanOutcome {
  const session = new Session({
    system: kafkaSystem,
    seed: options.seed,
    nodes: 5,
    nemesis: 'none',
    workload: { ops: 900 },
    ...(options.mutant !== undefined ? { mutant: options.mutant } : {}),
    // min.insync.replicas 1, so the partition's new leader takes writes on its own.
    params: { 'min-isr': '1', ...options.params },
  });
  const any = (): KafkaNode => {
    for (const n of session.sim.liveNodes().values()) if (n instanceof KafkaNode) return n;
    throw new Error('no live node');
  };
  session.runUntil(1000);
  const p = any().machine.partition('t-0');
  if (p === undefined || p.leader === null) throw new Error('t-0 has no leader at 1 s');
  const leader = p.leader;
  const [keep, lag] = p.replicas.filter((r) => r !== leader) as [NodeId, NodeId];
  session.act({
    kind: 'partition',
    blocked: [
      [lag, leader],
      [leader, lag],
      [lag, keep],
      [keep, lag],
    ],
  });
  session.runUntil(2500);
  session.act({ kind: 'heal' });
  session.act({ kind: 'crash', node: leader });
  session.act({ kind: 'crash', node: keep });
  session.runToEnd();
  const judged = judgeSession(session);
  const after = any();
  return {
    judged,
    failure: session.result().failure?.message ?? null,
    leaderAfter: after.machine.partition('t-0')?.leader ?? null,
    uncleanElections: after.machine.uncleanElections,
  };
}
