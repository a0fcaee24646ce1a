/**
 * Followers' fetches a leader holds because it had nothing new for them (Kafka's delayed fetch
 * in the purgatory, for replica fetches with replica.fetch.wait.max.ms): at most one per
 * follower and partition (a newer fetch replaces the older, whose answer the follower would
 * ignore). Each is answered when the leader appends to the partition — after the current turn,
 * so every batch appended in it goes in one answer — or when its wait runs out, or at once when
 * the replica stops leading. Answering is the leader's own Fetch handling run again then
 * (`answer`), so a held fetch gets exactly what a fetch arriving at that moment would.
 */
import type { Json } from '../../core/json.js';
import type { NodeId, TimerId } from '../../core/node.js';
import type { FetchMsg } from './messages.js';

/** A held fetch's wait ran out. */
export const FETCH_WAIT_TIMER = 'isr-fetch-wait';
/** Held fetches of a partition that was appended to are answered. */
export const FETCH_WAKE_TIMER = 'isr-fetch-wake';

/** Each removes one rule; test/protocols/isr/long-poll.test.ts catches each. */
export const PARKING_MUTANTS = [
  /** A held fetch is answered only when its wait runs out, not when the leader appends. */
  'no-held-fetch-wake',
] as const;
export type ParkingMutant = (typeof PARKING_MUTANTS)[number];

export interface ParkingHost {
  setTimer(delayMs: number, name: string, data: Json): TimerId;
  cancelTimer(id: TimerId): void;
  /** Answers `msg` from `from` as the replica would now (and may hold it again). */
  answer(from: NodeId, msg: FetchMsg): void;
}

interface Held {
  readonly msg: FetchMsg;
  readonly timer: TimerId;
}

export class ParkedFetches {
  private readonly held = new Map<string, Map<NodeId, Held>>();
  private readonly waking = new Set<string>();

  constructor(
    private readonly host: ParkingHost,
    private readonly mutant?: ParkingMutant,
  ) {
    if (mutant !== undefined && !PARKING_MUTANTS.includes(mutant)) {
      throw new RangeError(`unknown parked-fetch mutant ${String(mutant)}`);
    }
  }

  /** Fetches held now (for tests and inspection). */
  get size(): number {
    let n = 0;
    for (const m of this.held.values()) n += m.size;
    return n;
  }

  /** Holds `msg` for up to its maxWaitMs. */
  park(from: NodeId, msg: FetchMsg, waitMs: number): void {
    let m = this.held.get(msg.partition);
    if (m === undefined) {
      m = new Map();
      this.held.set(msg.partition, m);
    }
    const old = m.get(from);
    if (old !== undefined) this.host.cancelTimer(old.timer);
    const timer = this.host.setTimer(waitMs, FETCH_WAIT_TIMER, {
      partition: msg.partition,
      from,
      fetchId: msg.fetchId,
    });
    m.set(from, { msg, timer });
  }

  /** The leader appended to `partition`: its held fetches are answered after this turn. */
  appended(partition: string): void {
    if (this.mutant === 'no-held-fetch-wake') return;
    if (this.waking.has(partition) || (this.held.get(partition)?.size ?? 0) === 0) return;
    this.waking.add(partition);
    this.host.setTimer(0, FETCH_WAKE_TIMER, { partition });
  }

  /** Answers every fetch held on `partition` now. */
  release(partition: string): void {
    const m = this.held.get(partition);
    if (m === undefined) return;
    this.held.delete(partition);
    for (const [from, h] of m) {
      this.host.cancelTimer(h.timer);
      this.host.answer(from, h.msg);
    }
  }

  /** Returns true when the timer was one of these. */
  onTimer(name: string, data: Json | undefined): boolean {
    if (name !== FETCH_WAIT_TIMER && name !== FETCH_WAKE_TIMER) return false;
    const d = data as { partition?: Json; from?: Json; fetchId?: Json } | undefined;
    if (typeof d?.partition !== 'string') return true;
    if (name === FETCH_WAKE_TIMER) {
      this.waking.delete(d.partition);
      this.release(d.partition);
      return true;
    }
    const m = this.held.get(d.partition);
    const h = typeof d.from === 'string' ? m?.get(d.from) : undefined;
    if (m === undefined || h === undefined || h.msg.fetchId !== d.fetchId) return true;
    m.delete(d.from as NodeId);
    this.host.answer(d.from as NodeId, h.msg);
    return true;
  }
}
