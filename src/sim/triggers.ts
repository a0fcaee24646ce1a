/**
 * Event-triggered faults: a fault that fires on what a node just did rather than on the clock.
 * "Crash the node right after it sends a vote-resp", "isolate it right after it sends an
 * append", "pause it right after it logs 'became leader'", "crash it right after a sync
 * completes". The clock-driven nemesis hits such windows — between a reply and the sync that
 * should have preceded it, between an append and its replication — only by luck; a trigger
 * aims at them.
 *
 * The nemesis stays generic: it sees only NodeActivity (message types sent, syncs, log lines),
 * never a protocol's internals, and it picks what to wait for from what the run has shown so
 * far. One trigger is armed at a time; when a matching event passes its chance, the action
 * hits the node that did it after a short delay (the action is scheduled, never applied inside
 * the node's handler), and is healed after a drawn time or once another node logs a drawn line
 * (e.g. "restart only after an election"). Every draw comes from the seed's `triggers` stream.
 */
import type { NodeId } from '../core/node.js';
import { streamFor, type Random } from '../core/random.js';
import type { NodeActivity } from './activity.js';
import type { SimEvent } from './event-queue.js';
import type { FaultState } from './faults.js';
import type { Simulator } from './simulator.js';

export const TRIGGER_EVENTS = ['send', 'sync', 'log'] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

export const TRIGGER_ACTIONS = ['crash', 'pause', 'isolate'] as const;
export type TriggerAction = (typeof TRIGGER_ACTIONS)[number];

/** How a triggered fault ends: after a time, or when another node logs a line seen before. */
export const TRIGGER_HEALS = ['at-once', 'timed', 'after-log'] as const;
export type TriggerHeal = (typeof TRIGGER_HEALS)[number];

export interface TriggerSettings {
  /** Which kinds of activity may arm a trigger (at least one). */
  readonly events: readonly TriggerEvent[];
  /** Which actions a fired trigger may take (at least one). */
  readonly actions: readonly TriggerAction[];
  readonly heals: readonly TriggerHeal[];
  /** Chance that a matching event fires the armed trigger (so it is not always the first). */
  readonly chance: number;
  /** The action lands this long after the event, ms (uniform; 0 = right after the handler). */
  readonly delayMs: readonly [number, number];
  /** A `timed` heal comes this long after the action, ms. */
  readonly holdMs: readonly [number, number];
  /** Pause between a heal and arming the next trigger, ms. */
  readonly gapMs: readonly [number, number];
  /** How many triggers are armed independently at once (1–4). */
  readonly slots: number;
}

export class TriggerSettingsError extends Error {}

function checkRange(name: string, [lo, hi]: readonly [number, number]): void {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo >= 0 && hi >= lo)) {
    throw new TriggerSettingsError(`triggers: ${name} must be 0 ≤ lo ≤ hi, got [${lo}, ${hi}]`);
  }
}

export function checkTriggerSettings(s: TriggerSettings): void {
  if (s.events.length === 0 || s.actions.length === 0 || s.heals.length === 0) {
    throw new TriggerSettingsError('triggers: need at least one event, action and heal');
  }
  if (!(s.chance > 0 && s.chance <= 1)) {
    throw new TriggerSettingsError(`triggers: chance must be in (0, 1], got ${s.chance}`);
  }
  if (!Number.isInteger(s.slots) || s.slots < 1 || s.slots > 4) {
    throw new TriggerSettingsError(`triggers: slots must be 1–4, got ${s.slots}`);
  }
  checkRange('delayMs', s.delayMs);
  checkRange('holdMs', s.holdMs);
  checkRange('gapMs', s.gapMs);
}

/** What an armed trigger waits for. */
interface Armed {
  readonly event: TriggerEvent;
  /** For `send`: the message type; for `log`: the line; for `sync`: null (any). */
  readonly what: string | null;
  readonly action: TriggerAction;
  readonly heal: TriggerHeal;
  /** For `after-log`: the line another node must log. */
  readonly healOn: string | null;
}

/** An `after-log` heal that never sees its line still ends: the fault window is not forever. */
const AFTER_LOG_LIMIT_MS = 2000;

/**
 * Several triggers armed at once (`slots` in the settings), each with its own stream and fault
 * source, so that two events can be aimed at in one run: a vote's sender crashed while the
 * leader it elected is cut off, say.
 */
export class TriggerNemesis {
  private readonly slots: TriggerSlot[] = [];

  constructor(sim: Simulator, faults: FaultState, settings: TriggerSettings) {
    checkTriggerSettings(settings);
    for (let i = 0; i < settings.slots; i++) {
      this.slots.push(new TriggerSlot(sim, faults, settings, i));
    }
    this.sim = sim;
  }

  private readonly sim: Simulator;

  start(): void {
    this.sim.observer = (a) => {
      for (const s of this.slots) s.observe(a);
    };
    for (const s of this.slots) s.start();
  }

  finish(): void {
    this.sim.observer = undefined;
    for (const s of this.slots) s.finish();
  }
}

class TriggerSlot {
  private readonly random: Random;
  private readonly source: string;
  /** Message types and log lines seen so far, in first-seen order (deterministic). */
  private readonly sentTypes: string[] = [];
  private readonly logLines: string[] = [];
  private readonly seenTypes = new Set<string>();
  private readonly seenLines = new Set<string>();
  private armed: Armed | null = null;
  /** The node a fired trigger holds, and the line that heals it (after-log). */
  private holding: { node: NodeId; fired: boolean; healOn: string | null } | null = null;
  private readonly pending = new Set<SimEvent>();
  private finished = false;

  constructor(
    private readonly sim: Simulator,
    private readonly faults: FaultState,
    private readonly settings: TriggerSettings,
    slot: number,
  ) {
    this.random = streamFor(sim.seed, slot === 0 ? 'triggers' : `triggers:${slot}`);
    this.source = slot === 0 ? 'trigger' : `trigger:${slot}`;
  }

  start(): void {
    this.later(this.range(this.settings.gapMs), () => this.arm());
  }

  /** Heals the held node and stops arming: the recovery window begins. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const ev of this.pending) ev.cancelled = true;
    this.pending.clear();
    this.armed = null;
    if (this.holding !== null) {
      this.holding = null;
      this.faults.heal(this.source);
      this.sim.note(this.source, 'heal', 'final heal');
    }
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

  observe(a: NodeActivity): void {
    if (a.kind === 'send' && !this.seenTypes.has(a.type)) {
      this.seenTypes.add(a.type);
      this.sentTypes.push(a.type);
    } else if (a.kind === 'log' && !this.seenLines.has(a.message)) {
      this.seenLines.add(a.message);
      this.logLines.push(a.message);
    }
    const h = this.holding;
    if (h !== null) {
      if (
        h.fired &&
        h.healOn !== null &&
        a.kind === 'log' &&
        a.node !== h.node &&
        a.message === h.healOn
      ) {
        h.healOn = null;
        this.later(0, () => this.heal(`${a.node} logged '${a.message}'`));
      }
      return;
    }
    const armed = this.armed;
    if (armed === null || a.kind !== armed.event) return;
    if (a.kind === 'send' && a.type !== armed.what) return;
    if (a.kind === 'log' && a.message !== armed.what) return;
    if (!this.random.chance(this.settings.chance)) return;
    this.armed = null;
    this.holding = {
      node: a.node,
      fired: false,
      healOn: armed.heal === 'after-log' ? armed.healOn : null,
    };
    const delay = this.range(this.settings.delayMs);
    const what = armed.what === null ? armed.event : `${armed.event} ${armed.what}`;
    this.later(delay, () => this.fire(a.node, armed, what));
  }

  /** Picks what to wait for from what the run has shown so far. */
  private arm(): void {
    const r = this.random;
    const s = this.settings;
    let event = r.pick(s.events);
    if (event === 'log' && this.logLines.length === 0) event = 'send';
    if (event === 'send' && this.sentTypes.length === 0) event = 'sync';
    const what =
      event === 'send' ? r.pick(this.sentTypes) : event === 'log' ? r.pick(this.logLines) : null;
    let heal = r.pick(s.heals);
    if (heal === 'after-log' && this.logLines.length === 0) heal = 'timed';
    const healOn = heal === 'after-log' ? r.pick(this.logLines) : null;
    this.armed = { event, what, action: r.pick(s.actions), heal, healOn };
  }

  private fire(node: NodeId, armed: Armed, what: string): void {
    if (this.holding !== null) this.holding.fired = true;
    switch (armed.action) {
      case 'crash':
        this.faults.crash(this.source, [node]);
        break;
      case 'pause':
        this.faults.pause(this.source, [node]);
        break;
      case 'isolate': {
        const links: [NodeId, NodeId][] = [];
        for (const o of this.sim.nodeIds) if (o !== node) links.push([node, o], [o, node]);
        this.faults.cut(this.source, links);
        break;
      }
    }
    const until =
      armed.heal === 'at-once'
        ? 'healed at once'
        : armed.heal === 'timed'
          ? 'healed after a time'
          : `healed once another node logs '${armed.healOn}'`;
    this.sim.note(this.source, 'fault', `${armed.action} ${node} after ${what}; ${until}`);
    if (armed.heal === 'at-once') this.later(0, () => this.heal('at once'));
    else if (armed.heal === 'timed')
      this.later(this.range(this.settings.holdMs), () => this.heal(''));
    else this.later(AFTER_LOG_LIMIT_MS, () => this.heal('no such line: time limit'));
  }

  private heal(why: string): void {
    if (this.holding === null) return;
    this.holding = null;
    for (const ev of this.pending) ev.cancelled = true;
    this.pending.clear();
    this.faults.heal(this.source);
    this.sim.note(this.source, 'heal', why);
    this.later(this.range(this.settings.gapMs), () => this.arm());
  }
}
