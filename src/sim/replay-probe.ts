/**
 * The replay probe: a trigger slot (triggers.ts) that reboots a node right after it sends a
 * message, then delivers again, a while after the restart, the messages it received just before
 * the crash — a peer's retransmission of a request the node had answered and, rebooted, may have
 * forgotten.
 *
 * A reply sent before its decision was durable is harmless unless the same question comes back
 * after the restart: then the node answers it afresh, from the state it recovered, and may say
 * the opposite. Paxos Commit's RM that voted Aborted and lost the vote in a crash votes Prepared
 * when the coordinator's prepare comes again after the lock that made it refuse was released:
 * two values in ballot 0 (`paxos-commit` `forget-abort-vote`). The network's duplication
 * delivers its copy within one latency draw of the original, before any reboot; the plain
 * triggers' crashes come at the wrong instant or keep the node down past the copies. Real
 * networks do this: a sender whose connection reset retransmits what it had not seen answered,
 * and a queue redelivers what it had not seen acknowledged.
 *
 * It waits for a send of a type seen so far (picked uniformly), fires on the first match,
 * reboots the sender at once (crashed after its handler, restarted at the same instant, so what
 * it had not synced is lost), and `delayMs` later hands it copies of what it received in the
 * last RECENT_MS before the crash, from their senders, over the links as they are then (a cut
 * link drops its copy). Then it re-arms after the drawn gap. Every draw comes from the
 * `triggers:replay` stream and its faults are held under the source `replay`, so the other
 * slots fire as they would without it.
 */
import type { NodeId } from '../core/node.js';
import { copyJson } from '../core/json.js';
import { streamFor, type Random } from '../core/random.js';
import type { Delivery, NodeActivity } from './activity.js';
import type { SimEvent } from './event-queue.js';
import type { FaultState } from './faults.js';
import type { Simulator } from './simulator.js';

/** What the slot needs of the trigger settings (triggers.ts TriggerSettings). */
export interface ReplaySettings {
  /** How long after the restart the copies arrive, ms (uniform). */
  readonly delayMs: readonly [number, number];
}

/**
 * The messages replayed are those received this recently before the crash: the request the
 * node just answered and the few around it, not an old heartbeat.
 */
export const RECENT_MS = 20;

/** A type that does not come again in this long is given up for another (ms). */
const ARM_LIMIT_MS = 2000;

export class ReplaySlot {
  private readonly random: Random;
  private readonly source = 'replay';
  private readonly sentTypes: string[] = [];
  private readonly seenTypes = new Set<string>();
  /** What each node received lately, oldest first, pruned to RECENT_MS. */
  private readonly recent = new Map<NodeId, { at: number; delivery: Delivery }[]>();
  private armed: string | null = null;
  private holding = false;
  private readonly pending = new Set<SimEvent>();
  private finished = false;

  constructor(
    private readonly sim: Simulator,
    private readonly faults: FaultState,
    private readonly settings: ReplaySettings,
    private readonly gapMs: readonly [number, number],
  ) {
    this.random = streamFor(sim.seed, 'triggers:replay');
  }

  start(): void {
    this.sim.deliveryObserver = (d) => this.received(d);
    this.later(this.range(this.gapMs), () => this.arm());
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.sim.deliveryObserver = undefined;
    for (const ev of this.pending) ev.cancelled = true;
    this.pending.clear();
    this.armed = null;
    this.recent.clear();
    if (this.holding) {
      this.holding = false;
      this.faults.heal(this.source);
      this.sim.note(this.source, 'heal', 'final heal');
    }
  }

  observe(a: NodeActivity): void {
    if (a.kind !== 'send') return;
    if (!this.seenTypes.has(a.type)) {
      this.seenTypes.add(a.type);
      this.sentTypes.push(a.type);
    }
    if (this.holding || this.armed !== a.type) return;
    this.armed = null;
    this.holding = true;
    // After the handler: the rest of what it sends now goes out, and then it dies.
    this.later(0, () => this.fire(a.node, a.type));
  }

  private received(d: Delivery): void {
    let list = this.recent.get(d.to);
    if (list === undefined) this.recent.set(d.to, (list = []));
    const now = this.sim.now;
    while ((list[0]?.at ?? now) < now - RECENT_MS) list.shift();
    list.push({ at: now, delivery: { ...d, msg: copyJson(d.msg) } });
  }

  private range([lo, hi]: readonly [number, number]): number {
    return this.random.range(lo, hi);
  }

  private later(delay: number, run: () => void): SimEvent {
    const ev = this.sim.schedule(delay, () => {
      this.pending.delete(ev);
      run();
    });
    this.pending.add(ev);
    return ev;
  }

  private arm(): void {
    if (this.sentTypes.length === 0) {
      this.later(this.range(this.gapMs) + 1, () => this.arm());
      return;
    }
    const what = this.random.pick(this.sentTypes);
    this.armed = what;
    this.later(ARM_LIMIT_MS, () => {
      if (this.armed === what) this.arm();
    });
  }

  private fire(node: NodeId, type: string): void {
    const now = this.sim.now;
    const again = (this.recent.get(node) ?? [])
      .filter((r) => r.at >= now - RECENT_MS)
      .map((r) => r.delivery);
    this.recent.delete(node);
    const delay = this.range(this.settings.delayMs);
    this.faults.crash(this.source, [node]);
    this.sim.note(
      this.source,
      'fault',
      `reboot ${node} after its send ${type}; the ${again.length} message(s) it received in ` +
        `the last ${RECENT_MS}ms come again ${delay.toFixed(1)}ms later`,
    );
    this.later(0, () => {
      this.faults.heal(this.source);
      this.sim.note(this.source, 'heal', `restart ${node}`);
    });
    this.later(delay, () => {
      for (const d of again) this.sim.redeliver(d, 0);
      this.holding = false;
      this.later(this.range(this.gapMs), () => this.arm());
    });
  }
}
