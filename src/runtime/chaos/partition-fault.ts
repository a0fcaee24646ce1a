/**
 * One partition of a chaos run: cut a minority off through the proxies (partition-proxy.ts),
 * hold the cut for the slot's drawn time, heal. While a cut separates the Raft leader from the
 * majority, the run watches the majority's members: one of them must become leader in a later
 * term (check-quorum makes the cut-off leader step down, its followers stop hearing from it and
 * elect another). That is the run's evidence that its cuts take — a proxy that forwarded
 * everything would show none — so the cut is held up to `confirmMs` longer for it.
 *
 * A second sign, read from the history afterwards: no write invoked after a cut began may be
 * acknowledged by a cut-off member before the heal (cutOffAcks). Committing needs a majority,
 * which the cut-off side lacks, so such an acknowledgement means the cut let messages through
 * or the system committed without a quorum.
 */
import { performance } from 'node:perf_hooks';
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import { clusterStatus } from '../cluster.js';
import type { PartitionProxies } from './partition-proxy.js';
import type { FaultSlot } from './schedule.js';
import { sleep } from './sleep.js';

export interface Leader {
  readonly id: NodeId;
  readonly term: number;
}

export interface CutResult {
  readonly minority: readonly NodeId[];
  /** The leader when the cut began, if a member said it was one. */
  readonly before: Leader | undefined;
  /** Whether the cut separated that leader from the majority. */
  readonly leaderCut: boolean;
  /** A majority member that became leader in a later term during the cut. */
  readonly newLeader: Leader | undefined;
  /** From the cut to the heal. */
  readonly cutMs: number;
}

/** Every member that says it leads, with its term (a cut-off leader may still say so). */
async function leaders(dir: string): Promise<Leader[]> {
  const out: Leader[] = [];
  for (const s of await clusterStatus(dir)) {
    const node = (s.status as { node?: { role?: Json; term?: Json } } | null)?.node;
    if (node?.role === 'leader' && typeof node.term === 'number') {
      out.push({ id: s.id, term: node.term });
    }
  }
  return out;
}

/** The leader of the highest term among those that say they lead. */
export async function currentLeaderTerm(dir: string): Promise<Leader | undefined> {
  let best: Leader | undefined;
  for (const l of await leaders(dir)) if (best === undefined || l.term > best.term) best = l;
  return best;
}

/** The slot's minority: its victim (the leader, or a drawn member), then its further draws. */
export function minorityOf(
  members: readonly NodeId[],
  slot: FaultSlot,
  leader: NodeId | undefined,
): NodeId[] {
  const first =
    slot.victim.kind === 'leader'
      ? (leader ?? (members[0] as NodeId))
      : (members[slot.victim.index % members.length] as NodeId);
  const minority = [first];
  for (const draw of slot.others) {
    const rest = members.filter((m) => !minority.includes(m));
    minority.push(rest[draw % rest.length] as NodeId);
  }
  if (minority.length * 2 >= members.length) {
    throw new RangeError(`a minority of ${minority.length} in ${members.length} members is none`);
  }
  return minority;
}

export async function cutAndHeal(o: {
  readonly dir: string;
  readonly proxies: PartitionProxies;
  readonly members: readonly NodeId[];
  readonly slot: FaultSlot;
  /** How much longer a cut of the leader is held while no new leader shows. */
  readonly confirmMs: number;
  readonly signal?: AbortSignal;
  /** Called once the cut is in place. */
  readonly onCut?: (minority: readonly NodeId[], leaderCut: boolean) => void;
  /** Called just before the heal. */
  readonly onHeal?: () => void;
}): Promise<CutResult> {
  const before = await currentLeaderTerm(o.dir);
  const minority = minorityOf(o.members, o.slot, before?.id);
  const leaderCut = before !== undefined && minority.includes(before.id);
  o.proxies.partition(minority, o.slot.cut ?? 'sever');
  const t0 = performance.now();
  o.onCut?.(minority, leaderCut);
  let newLeader: Leader | undefined;
  try {
    for (;;) {
      const elapsed = performance.now() - t0;
      const waiting = leaderCut && newLeader === undefined;
      const left = o.slot.downMs + (waiting ? o.confirmMs : 0) - elapsed;
      if (left <= 0) break;
      if (o.signal?.aborted === true) break;
      if (waiting && before !== undefined) {
        newLeader = (await leaders(o.dir)).find(
          (l) => !minority.includes(l.id) && l.term > before.term,
        );
      }
      await sleep(Math.min(100, left), o.signal);
    }
  } finally {
    o.onHeal?.();
    o.proxies.heal();
  }
  return { minority, before, leaderCut, newLeader, cutMs: performance.now() - t0 };
}

/** A cut as the history's clock saw it: in place from `from` until `to` (just before the heal). */
export interface CutWindow {
  readonly minority: readonly NodeId[];
  readonly from: number;
  readonly to: number;
}

/**
 * The writes (ok puts, ok cas that swapped) that a cut-off member acknowledged during a cut
 * although they were invoked after it began.
 */
export function cutOffAcks(history: readonly HistoryOp[], cuts: readonly CutWindow[]): HistoryOp[] {
  return history.filter(
    (op) =>
      op.outcome === 'ok' &&
      (op.f === 'put' || (op.f === 'cas' && op.result === true)) &&
      op.node !== undefined &&
      cuts.some(
        (c) => c.minority.includes(op.node as NodeId) && op.invoke >= c.from && op.complete <= c.to,
      ),
  );
}
