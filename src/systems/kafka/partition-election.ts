/**
 * Who leads a partition when its leader must change: the first replica (in preference order)
 * that is in the ISR and unfenced — and, only with unclean election allowed, when no ISR member
 * is alive, the first unfenced replica outside it, whose log may lack committed records.
 */
import type { NodeId } from '../../core/node.js';

export interface Elected {
  readonly leader: NodeId | null;
  readonly isr: readonly NodeId[];
  readonly unclean: boolean;
}

export function electLeader(
  replicas: readonly NodeId[],
  isr: readonly NodeId[],
  live: (id: NodeId) => boolean,
  unclean: boolean,
): Elected {
  const clean = replicas.find((r) => isr.includes(r) && live(r));
  if (clean !== undefined) return { leader: clean, isr, unclean: false };
  if (unclean) {
    const any = replicas.find((r) => live(r));
    if (any !== undefined) return { leader: any, isr: [any], unclean: true };
  }
  return { leader: null, isr, unclean: false };
}
