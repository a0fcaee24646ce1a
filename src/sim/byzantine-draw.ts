/**
 * Byzantine replicas as one more swarm feature, for systems that tolerate them
 * (SystemDefinition.byzantine): some seeds run with between one and the tolerated number of
 * faulty replicas, all following one strategy. A Byzantine-fault-tolerant protocol's safety
 * argument is about exactly these replicas (its quorums are sized so two of them share an honest
 * one), so a swarm that never draws them leaves that argument untested: a crash-only nemesis
 * cannot make two quorums disagree when every replica in their overlap is honest.
 *
 * Drawn from a stream of its own (`swarm:byzantine`), so every other part of a seed's mix is what
 * it was before this feature existed.
 */
import type { SystemDefinition } from '../core/system.js';
import { streamFor } from '../core/random.js';

export interface ByzantineSettings {
  /** How many replicas are faulty, 1 … the tolerated number for the cluster's size. */
  readonly count: number;
  readonly strategy: string;
}

/** Seeds with faulty replicas: half, so the other half still shows what crashes alone do. */
const BYZANTINE_CHANCE = 0.5;

export function drawByzantine(
  system: SystemDefinition,
  seed: number,
  nodes: number,
): ByzantineSettings | null {
  const b = system.byzantine;
  if (b === undefined) return null;
  const r = streamFor(seed, 'swarm:byzantine');
  const on = r.chance(BYZANTINE_CHANCE);
  const tolerated = b.tolerated(nodes);
  // Both draws are made either way, so the strategy does not depend on the cluster's size.
  const count = 1 + r.int(Math.max(1, tolerated));
  const strategy = r.pick(b.strategies);
  return on && tolerated > 0 ? { count, strategy } : null;
}

/** The system parameters a run with `settings` takes (none when there are no faulty replicas). */
export function byzantineParams(
  system: SystemDefinition,
  settings: ByzantineSettings | null,
): Readonly<Record<string, string>> | undefined {
  if (settings === null) return undefined;
  if (system.byzantine === undefined) {
    throw new Error(`${system.name} declares no Byzantine replicas, yet a mix drew some`);
  }
  return system.byzantine.params(settings.count, settings.strategy);
}

/** `3×collude`, for the failing-seed line. */
export function describeByzantine(settings: ByzantineSettings): string {
  return `${settings.count}×${settings.strategy}`;
}
