/**
 * Aimed faults: a trigger slot (triggers.ts) whose fault lands on the node that just acted and
 * on its clock together, as Jepsen's combined nemeses aim a partition and a clock bump at the
 * same primary. Alone, a clock fault on a node that is not cut off changes little, and a cut
 * with every clock right is what timeouts are tuned for; together they make the state a
 * clock-reliant rule must survive: a node cut off from the majority whose clock says that
 * hardly any time has passed (a VM live-migrated to another rack, its clock stepped back when
 * it lands), while the majority moves on.
 *
 * When it fires, every action drawn for the run applies to the node that did the armed event:
 *   - `minority`: it and peers drawn at random, ⌊(n−1)/2⌋ nodes in all, are cut off from the rest, so it keeps
 *     some peers (and the clients homed on them) while the majority can elect and commit;
 *   - `clock-back`: its clock steps back 0.5–5 s, as far as the `clock-jump` plan (nemesis.ts) moves one
 *     (it resynchronises when the fault heals).
 * It waits for an event as a plain trigger does (a kind from `events`, then a message type or
 * log line seen so far, uniformly), fires on the first match, and heals 0.3–3 s later. Every draw comes from the `triggers:aimed` stream,
 * so the other slots fire as they would without this one.
 */
import type { NodeId } from '../core/node.js';
import { streamFor, type Random } from '../core/random.js';
import type { NodeActivity } from './activity.js';
import type { SimEvent } from './event-queue.js';
import type { FaultState } from './faults.js';
import type { Simulator } from './simulator.js';

export const AIMED_ACTIONS = ['minority', 'clock-back'] as const;
export type AimedAction = (typeof AIMED_ACTIONS)[number];

/** How far `clock-back` steps the clock back, ms (uniform). */
const CLOCK_BACK_MS: readonly [number, number] = [500, 5000];

/**
 * How long an aimed fault lasts, ms (uniform): at least a few election timeouts of the systems
 * here, so that the majority notices and moves on while the node cut off does not; a shorter cut
 * looks like latency to everyone.
 */
const HOLD_MS: readonly [number, number] = [300, 3000];

/** What the slot needs of the trigger settings (triggers.ts TriggerSettings). */
export interface AimedSettings {
  readonly events: readonly ('send' | 'sync' | 'log')[];
  readonly aimed: readonly AimedAction[];
  readonly delayMs: readonly [number, number];
  readonly gapMs: readonly [number, number];
}

export function isAimedAction(a: string): a is AimedAction {
  return (AIMED_ACTIONS as readonly string[]).includes(a);
}

export class AimedSlot {
  private readonly random: Random;
  private readonly source = 'aimed';
  private readonly sentTypes: string[] = [];
  private readonly seenTypes = new Set<string>();
  private readonly logLines: string[] = [];
  private readonly seenLines = new Set<string>();
  /** The event waited for: `send` of a type, `log` of a line, or any `sync`. */
  private armed: { event: 'send' | 'sync' | 'log'; what: string | null } | null = null;
  private holding = false;
  private readonly pending = new Set<SimEvent>();
  private finished = false;

  constructor(
    private readonly sim: Simulator,
    private readonly faults: FaultState,
    private readonly settings: AimedSettings,
  ) {
    if (settings.aimed.length === 0) throw new Error('aimed triggers: no action to take');
    this.random = streamFor(sim.seed, 'triggers:aimed');
  }

  start(): void {
    this.later(this.range(this.settings.gapMs), () => this.arm());
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const ev of this.pending) ev.cancelled = true;
    this.pending.clear();
    this.armed = null;
    if (this.holding) {
      this.holding = false;
      this.faults.heal(this.source);
      this.sim.note(this.source, 'heal', 'final heal');
    }
  }

  observe(a: NodeActivity): void {
    if (a.kind === 'send' && !this.seenTypes.has(a.type)) {
      this.seenTypes.add(a.type);
      this.sentTypes.push(a.type);
    } else if (a.kind === 'log' && !this.seenLines.has(a.message)) {
      this.seenLines.add(a.message);
      this.logLines.push(a.message);
    }
    const armed = this.armed;
    if (this.holding || armed === null || a.kind !== armed.event) return;
    if (a.kind === 'send' && a.type !== armed.what) return;
    if (a.kind === 'log' && a.message !== armed.what) return;
    // The first match fires, as a probe does (triggers.ts): the uniform pick of what to wait for
    // spreads where it lands, and a per-event chance tuned for frequent events would all but
    // never fire on a rare one (a log line) in a short run.
    this.armed = null;
    this.holding = true;
    const what = armed.what === null ? armed.event : `${armed.event} ${armed.what}`;
    this.later(this.range(this.settings.delayMs), () => this.fire(a.node, what));
  }

  private range([lo, hi]: readonly [number, number]): number {
    return this.random.range(lo, hi);
  }

  private later(delay: number, run: () => void): void {
    const ev = this.sim.schedule(delay, () => {
      this.pending.delete(ev);
      run();
    });
    this.pending.add(ev);
  }

  private arm(): void {
    const r = this.random;
    let event = r.pick(this.settings.events);
    if (event === 'log' && this.logLines.length === 0) event = 'send';
    if (event === 'send' && this.sentTypes.length === 0) event = 'sync';
    const what =
      event === 'send' ? r.pick(this.sentTypes) : event === 'log' ? r.pick(this.logLines) : null;
    this.armed = { event, what };
  }

  private fire(node: NodeId, what: string): void {
    const parts: string[] = [];
    for (const action of this.settings.aimed) {
      if (action === 'minority') {
        const others = this.sim.nodeIds.filter((n) => n !== node);
        const side: NodeId[] = [node];
        // A minority in all (the node alone in 3 or 4): the rest can still elect and commit.
        const size = Math.max(1, Math.floor((this.sim.nodeIds.length - 1) / 2));
        while (side.length < size) side.push(...others.splice(this.random.int(others.length), 1));
        const links: [NodeId, NodeId][] = [];
        for (const x of side) for (const y of others) links.push([x, y], [y, x]);
        this.faults.cut(this.source, links);
        parts.push(`cut {${side.join(',')}} off`);
      } else {
        const back = this.range(CLOCK_BACK_MS);
        this.faults.clock(this.source, node, -back, 0);
        parts.push(`${node}'s clock back ${back.toFixed(0)}ms`);
      }
    }
    this.sim.note(this.source, 'fault', `${parts.join(', ')} after ${node}'s ${what}`);
    this.later(this.range(HOLD_MS), () => this.heal());
  }

  private heal(): void {
    this.holding = false;
    this.faults.heal(this.source);
    this.sim.note(this.source, 'heal', '');
    this.later(this.range(this.settings.gapMs), () => this.arm());
  }
}
