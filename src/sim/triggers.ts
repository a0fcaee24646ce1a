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
import { AimedSlot, isAimedAction, type AimedAction } from './aimed-triggers.js';
import { ReplaySlot, type ReplaySettings } from './replay-probe.js';
import type { SimEvent } from './event-queue.js';
import type { FaultState } from './faults.js';
import type { Simulator } from './simulator.js';

export const TRIGGER_EVENTS = ['send', 'sync', 'log'] as const;
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number];

export const TRIGGER_ACTIONS = ['crash', 'pause', 'isolate'] as const;

/**
 * Probes: actions of a slot of their own (`probes` in the settings), armed only on sends, that
 * cut the cluster along who has seen what. The slot draws from its own stream, so a seed's
 * other triggers fire exactly as they would without it.
 *
 * `split` answers a message: when X sends to Y, X reboots (crashed and restarted at once, so
 * whatever it had not synced is lost) and the cluster is cut in two — Y with the nodes Y reached
 * lately, against X and everyone Y's recent messages did not reach. So a node that just answered
 * a request joins the side that never saw it: a voter that forgot its vote meets candidates that
 * never heard of the term, a follower that acknowledged an entry meets nodes that lack it.
 * Only a `send` carries a recipient; armed on another event, `split` isolates the node.
 */
/**
 * `sole-witness` probes whether an answer outlives a reboot. When Y sends a request of the armed
 * type, Y is cut off at once from all but ⌊n/2⌋ peers drawn at random, so only they see it. The first of them to answer Y is rebooted and
 * lands with the nodes that never saw the request, while Y and the other witnesses are cut off
 * as a minority: Y still gets the answer already on its way. A vote, a promise or an
 * acknowledgement answered before it was durable is then forgotten on the majority side while
 * Y acts on it (two leaders in one term, for Raft's `vote-not-durable`).
 */
export const PROBE_ACTIONS = ['split', 'sole-witness'] as const;
export type ProbeAction = (typeof PROBE_ACTIONS)[number];
export type TriggerAction = (typeof TRIGGER_ACTIONS)[number] | ProbeAction;

/** How a triggered fault ends: after a time, or when another node logs a line seen before. */
export const TRIGGER_HEALS = ['at-once', 'timed', 'after-log'] as const;
export type TriggerHeal = (typeof TRIGGER_HEALS)[number];

/** How the sole-witness probe picks and reboots its witnesses (witness-regime.ts). */
export interface WitnessSettings {
  readonly pick: 'broadcast';
  readonly reboot: 'first' | 'all';
}

export interface TriggerSettings {
  /** Which kinds of activity may arm a trigger (at least one). */
  readonly events: readonly TriggerEvent[];
  /** Which actions a fired trigger may take (at least one). */
  readonly actions: readonly (typeof TRIGGER_ACTIONS)[number][];
  /** Probe actions for one more slot (none when absent or empty); it shares heals and timing. */
  readonly probes?: readonly ProbeAction[];
  /** Aimed faults for one more slot (aimed-triggers.ts; none when absent or empty). */
  readonly aimed?: readonly AimedAction[];
  /** A replay probe for one more slot (replay-probe.ts; none when absent). */
  readonly replay?: ReplaySettings;
  readonly heals: readonly TriggerHeal[];
  /** Chance that a matching event fires the armed trigger (so it is not always the first). */
  readonly chance: number;
  /** The action lands this long after the event, ms (uniform; 0 = right after the handler). */
  readonly delayMs: readonly [number, number];
  /** A `timed` heal comes this long after the action, ms. */
  readonly holdMs: readonly [number, number];
  /** The probe slot's `timed` hold, ms, when it has one of its own (else `holdMs`). */
  readonly probeHoldMs?: readonly [number, number];
  /** How long a probe's reboot keeps the node down, ms (else 1–50). */
  readonly probeRebootMs?: readonly [number, number];
  /** Pause between a heal and arming the next trigger, ms. */
  readonly gapMs: readonly [number, number];
  /** How many triggers are armed independently at once (1–4; 0–4 with probes). */
  readonly slots: number;
  /** How `sole-witness` picks and reboots (witness-regime.ts); absent: the original probe. */
  readonly witness?: WitnessSettings;
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
  // No plain slot is allowed when probes or a replay are on: that slot alone (as in a test).
  const least = (s.probes ?? []).length > 0 || s.replay !== undefined ? 0 : 1;
  if (!Number.isInteger(s.slots) || s.slots < least || s.slots > 4) {
    throw new TriggerSettingsError(`triggers: slots must be ${least}–4, got ${s.slots}`);
  }
  for (const p of s.probes ?? []) {
    if (!PROBE_ACTIONS.includes(p)) throw new TriggerSettingsError(`triggers: no probe '${p}'`);
  }
  const w = s.witness;
  if (
    w !== undefined &&
    !(w.pick === 'broadcast' && (w.reboot === 'first' || w.reboot === 'all'))
  ) {
    throw new TriggerSettingsError(`triggers: bad witness settings ${JSON.stringify(w)}`);
  }
  for (const a of s.aimed ?? []) {
    if (!isAimedAction(a)) throw new TriggerSettingsError(`triggers: no aimed action '${a}'`);
  }
  checkRange('delayMs', s.delayMs);
  checkRange('holdMs', s.holdMs);
  if (s.probeHoldMs !== undefined) checkRange('probeHoldMs', s.probeHoldMs);
  if (s.probeRebootMs !== undefined) checkRange('probeRebootMs', s.probeRebootMs);
  checkRange('gapMs', s.gapMs);
  if (s.replay !== undefined) checkRange('replay.delayMs', s.replay.delayMs);
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

/** A `sole-witness` waiting for answers: the requester's request, the peers that saw it. */
interface Witness {
  readonly armed: Armed;
  readonly what: string;
  readonly saw: readonly NodeId[];
  readonly limit: SimEvent;
  /** With `reboot: 'all'`: the witnesses that answered (and were rebooted) so far. */
  readonly answered: NodeId[];
}

/** An `after-log` heal that never sees its line still ends: the fault window is not forever. */
const AFTER_LOG_LIMIT_MS = 2000;

/**
 * A node's message "reached" a peer lately when it was sent, unblocked, this recently: long
 * enough to cover a round of requests and their replies at the latencies swarm draws (≤ 10 ms a
 * hop), short enough that an old heartbeat does not count.
 */
const REACH_WINDOW_MS = 20;

/** A `split`'s reboot: the sender is restarted this long after it crashed, ms (uniform). */
const REBOOT_MS: readonly [number, number] = [1, 50];

/**
 * Several triggers armed at once (`slots` in the settings), each with its own stream and fault
 * source, so that two events can be aimed at in one run: a vote's sender crashed while the
 * leader it elected is cut off, say.
 */
export class TriggerNemesis {
  private readonly slots: Pick<TriggerSlot, 'observe' | 'start' | 'finish'>[] = [];

  constructor(sim: Simulator, faults: FaultState, settings: TriggerSettings) {
    checkTriggerSettings(settings);
    for (let i = 0; i < settings.slots; i++) {
      this.slots.push(new TriggerSlot(sim, faults, settings, i, []));
    }
    const probes = settings.probes ?? [];
    if (probes.length > 0) this.slots.push(new TriggerSlot(sim, faults, settings, -1, probes));
    const aimed = settings.aimed ?? [];
    if (aimed.length > 0) this.slots.push(new AimedSlot(sim, faults, { ...settings, aimed }));
    if (settings.replay !== undefined) {
      this.slots.push(new ReplaySlot(sim, faults, settings.replay, settings.gapMs));
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
  /** How many of each message type were sent so far (the keys are `sentTypes`). */
  private readonly typeCounts = new Map<string, number>();
  private readonly seenLines = new Set<string>();
  private armed: Armed | null = null;
  /** The node a fired trigger holds, and the line that heals it (after-log). */
  private holding: {
    node: NodeId;
    fired: boolean;
    healOn: string | null;
    /** A `sole-witness` waiting for an answer: the requester, the peers that saw its request. */
    witness: Witness | null;
  } | null = null;
  private readonly pending = new Set<SimEvent>();
  private finished = false;
  /** When each node last sent to each peer over an unblocked link: `from → to → time`. */
  private readonly reached = new Map<NodeId, Map<NodeId, number>>();
  /** Types some node sent to two or more peers at one instant, and each node's last send. */
  private readonly broadcastTypes = new Set<string>();
  private readonly lastSend = new Map<NodeId, { type: string; at: number; to: NodeId }>();

  constructor(
    private readonly sim: Simulator,
    private readonly faults: FaultState,
    private readonly settings: TriggerSettings,
    slot: number,
    /** Non-empty for the probe slot: the actions it takes, armed on sends only. */
    private readonly probes: readonly ProbeAction[],
  ) {
    const name = slot < 0 ? 'probe' : slot === 0 ? '' : `:${slot}`;
    this.random = streamFor(sim.seed, slot < 0 ? 'triggers:probe' : `triggers${name}`);
    this.source = slot < 0 ? 'probe' : `trigger${name}`;
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
    this.faults.heal(`${this.source}:reboot`);
    if (this.holding !== null) {
      this.holding = null;
      this.faults.heal(this.source);
      this.sim.note(this.source, 'heal', 'final heal');
    }
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

  observe(a: NodeActivity): void {
    if (a.kind === 'send' && !this.faults.blocks(a.node, a.to)) {
      let m = this.reached.get(a.node);
      if (m === undefined) this.reached.set(a.node, (m = new Map()));
      m.set(a.to, this.sim.now);
    }
    if (a.kind === 'send') {
      const last = this.lastSend.get(a.node);
      if (last?.type === a.type && last.at === this.sim.now && last.to !== a.to) {
        this.broadcastTypes.add(a.type);
      }
      this.lastSend.set(a.node, { type: a.type, at: this.sim.now, to: a.to });
      const n = this.typeCounts.get(a.type);
      if (n === undefined) this.sentTypes.push(a.type);
      this.typeCounts.set(a.type, (n ?? 0) + 1);
    } else if (a.kind === 'log' && !this.seenLines.has(a.message)) {
      this.seenLines.add(a.message);
      this.logLines.push(a.message);
    }
    const h = this.holding;
    if (h !== null) {
      const w = h.witness;
      if (w !== null && a.kind === 'send' && a.to === h.node && w.saw.includes(a.node)) {
        if (this.settings.witness?.reboot === 'all') return this.witnessAnswered(h.node, a.node, w);
        // The answer is already sent (the link was open): reboot the answerer after it.
        h.witness = null;
        w.limit.cancelled = true;
        this.pending.delete(w.limit);
        this.later(0, () => this.fireWitness(h.node, a.node, w));
        return;
      }
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
    // A probe fires on the first match: its rarity-weighted pick already spreads where it lands.
    if (this.probes.length === 0 && !this.random.chance(this.settings.chance)) return;
    this.armed = null;
    this.holding = {
      node: a.node,
      fired: false,
      healOn: armed.heal === 'after-log' ? armed.healOn : null,
      witness: null,
    };
    if (armed.action === 'sole-witness' && a.kind === 'send') {
      this.holding.witness = this.cutToWitnesses(a.node, armed, `send ${a.type}`);
      return;
    }
    const delay = this.range(this.settings.delayMs);
    const what = armed.what === null ? armed.event : `${armed.event} ${armed.what}`;
    const to = a.kind === 'send' ? a.to : null;
    this.later(delay, () => this.fire(a.node, to, armed, what));
  }

  /** Picks what to wait for from what the run has shown so far. */
  private arm(): void {
    const r = this.random;
    const s = this.settings;
    if (this.probes.length > 0) return this.armProbe();
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

  /**
   * A probe waits for a send of a rarely sent type. Healed at once, its cut would undo itself
   * before anyone acted on it, so an `at-once` heal is held for a drawn time instead.
   */
  private armProbe(): void {
    const r = this.random;
    if (this.settings.witness !== undefined) return this.armWitness();
    if (this.sentTypes.length === 0) {
      this.later(this.range(this.settings.gapMs) + 1, () => this.arm());
      return;
    }
    const what = this.pickType();
    let heal = r.pick(this.settings.heals);
    if (heal === 'at-once') heal = 'timed';
    if (heal === 'after-log' && this.logLines.length === 0) heal = 'timed';
    const healOn = heal === 'after-log' ? r.pick(this.logLines) : null;
    this.armed = { event: 'send', what, action: r.pick(this.probes), heal, healOn };
  }

  /**
   * The first step of `sole-witness`, applied inside the sender's handler so that the rest of the
   * same broadcast is already cut (this very send too, if its recipient is not drawn: the cut
   * lands before the simulator checks the link): `requester` keeps its links to ⌊n/2⌋ peers
   * drawn at random and loses the rest. Drawn, not the first recipient: the first is whoever
   * the protocol happens to list first, and a witness that refuses the request proves nothing.
   */
  private cutToWitnesses(requester: NodeId, armed: Armed, what: string): Witness {
    const others = this.sim.nodeIds.filter((n) => n !== requester);
    const saw: NodeId[] = [];
    const want = Math.floor(this.sim.nodeIds.length / 2);
    while (saw.length < want && others.length > 0) {
      saw.push(...others.splice(this.random.int(others.length), 1));
    }
    const links: [NodeId, NodeId][] = [];
    for (const o of this.sim.nodeIds) {
      if (o !== requester && !saw.includes(o)) links.push([requester, o], [o, requester]);
    }
    this.faults.cut(this.source, links);
    this.sim.note(
      this.source,
      'fault',
      `sole-witness: ${requester}'s ${what} reaches only {${saw.join(',')}}, waiting for an answer`,
    );
    const limit = this.later(AFTER_LOG_LIMIT_MS, () => this.heal('no answer: time limit'));
    return { armed, what, saw, limit, answered: [] };
  }

  /** The second step: the answerer reboots on the side that never saw the request. */
  private fireWitness(requester: NodeId, answerer: NodeId, w: Witness): void {
    if (this.holding === null) return;
    this.holding.fired = true;
    const side = [requester, ...w.saw.filter((n) => n !== answerer)];
    const links: [NodeId, NodeId][] = [];
    for (const a of side) {
      for (const b of this.sim.nodeIds) if (!side.includes(b)) links.push([a, b], [b, a]);
    }
    this.faults.cut(this.source, links);
    this.reboot(answerer);
    this.hold(w.armed, `sole-witness: reboot ${answerer}, cut {${side.join(',')}} off`, w.what);
  }

  /**
   * `armProbe` under witness settings (witness-regime.ts): `sole-witness` waits only for a type
   * some node has broadcast, so that its cut splits a quorum request rather than a unicast.
   */
  private armWitness(): void {
    const r = this.random;
    const action = r.pick(this.probes);
    const types =
      action === 'sole-witness'
        ? this.sentTypes.filter((t) => this.broadcastTypes.has(t))
        : this.sentTypes;
    if (types.length === 0) {
      this.later(this.range(this.settings.gapMs) + 1, () => this.arm());
      return;
    }
    const what = this.pickType(types);
    let heal = r.pick(this.settings.heals);
    if (heal === 'at-once' || (heal === 'after-log' && this.logLines.length === 0)) heal = 'timed';
    const healOn = heal === 'after-log' ? r.pick(this.logLines) : null;
    const armed: Armed = { event: 'send', what, action, heal, healOn };
    this.armed = armed;
    // A rare type may not come again (no election without faults): wait for another instead.
    this.later(AFTER_LOG_LIMIT_MS, () => {
      if (this.armed === armed) this.arm();
    });
  }

  /**
   * `reboot: 'all'`: each witness is rebooted as it answers and cut from the requester, so once
   * all have answered the requester is alone, and every node that saw the request rebooted.
   */
  private witnessAnswered(requester: NodeId, answerer: NodeId, w: Witness): void {
    if (w.answered.includes(answerer)) return;
    w.answered.push(answerer);
    const done = w.answered.length === w.saw.length;
    if (done && this.holding !== null) {
      this.holding.witness = null;
      w.limit.cancelled = true;
      this.pending.delete(w.limit);
    }
    // Scheduled, not applied here: the answer must still pass the link it was sent on.
    this.later(0, () => {
      if (this.holding === null) return;
      const open = w.saw.filter((n) => !w.answered.includes(n));
      const links: [NodeId, NodeId][] = [];
      for (const o of this.sim.nodeIds) {
        if (o !== requester && !open.includes(o)) links.push([requester, o], [o, requester]);
      }
      this.faults.cut(this.source, links);
      this.reboot(answerer);
      if (!done) return;
      this.holding.fired = true;
      const who = w.answered.join(',');
      this.hold(w.armed, `sole-witness: reboot {${who}}, cut ${requester} off`, w.what);
    });
  }

  /**
   * A message type to wait for, each weighted by how rarely it has been sent: heartbeats and
   * appends are the steady state and any chance hits them anyway, while the rare types (votes,
   * their replies) mark the transitions where a crash or a cut opens a window.
   */
  private pickType(types: readonly string[] = this.sentTypes): string {
    let total = 0;
    for (const t of types) total += 1 / (this.typeCounts.get(t) ?? 1);
    let x = this.random.next() * total;
    for (const t of types) {
      x -= 1 / (this.typeCounts.get(t) ?? 1);
      if (x < 0) return t;
    }
    const last = types[types.length - 1];
    if (last === undefined) throw new Error('triggers: no message type to wait for');
    return last;
  }

  private fire(node: NodeId, to: NodeId | null, armed: Armed, what: string): void {
    if (this.holding !== null) this.holding.fired = true;
    let detail = `${armed.action} ${node}`;
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
      case 'split': {
        const side = this.splitSide(node, to);
        const links: [NodeId, NodeId][] = [];
        for (const a of side) {
          for (const b of this.sim.nodeIds) if (!side.has(b)) links.push([a, b], [b, a]);
        }
        this.faults.cut(this.source, links);
        this.reboot(node);
        detail = `split: reboot ${node}, cut {${[...side].join(',')}} from the rest`;
        break;
      }
    }
    this.hold(armed, detail, what);
  }

  /** Notes the fault and schedules its heal as the armed trigger says. */
  private hold(armed: Armed, detail: string, what: string): void {
    const until =
      armed.heal === 'at-once'
        ? 'healed at once'
        : armed.heal === 'timed'
          ? 'healed after a time'
          : `healed once another node logs '${armed.healOn}'`;
    this.sim.note(this.source, 'fault', `${detail} after ${what}; ${until}`);
    if (armed.heal === 'at-once') this.later(0, () => this.heal('at once'));
    else if (armed.heal === 'timed') this.later(this.range(this.holdMs()), () => this.heal(''));
    else this.later(AFTER_LOG_LIMIT_MS, () => this.heal('no such line: time limit'));
  }

  private holdMs(): readonly [number, number] {
    const own = this.probes.length > 0 ? this.settings.probeHoldMs : undefined;
    return own ?? this.settings.holdMs;
  }

  /**
   * The side a `split` puts the recipient on: it and the nodes it reached within the window,
   * never the sender. With no recipient (not a send), the sender alone is the other side.
   */
  private splitSide(sender: NodeId, to: NodeId | null): Set<NodeId> {
    const side = new Set<NodeId>();
    if (to === null) {
      for (const n of this.sim.nodeIds) if (n !== sender) side.add(n);
      return side;
    }
    side.add(to);
    const since = this.sim.now - REACH_WINDOW_MS;
    for (const [peer, at] of this.reached.get(to) ?? []) {
      if (peer !== sender && at >= since) side.add(peer);
    }
    return side;
  }

  /** Crashes `node` and restarts it shortly, under a source of its own so the cut outlives it. */
  private reboot(node: NodeId): void {
    const source = `${this.source}:reboot`;
    this.faults.crash(source, [node]);
    this.later(this.range(this.settings.probeRebootMs ?? REBOOT_MS), () => {
      this.faults.heal(source);
      this.sim.note(source, 'heal', `restart ${node}`);
    });
  }

  private heal(why: string): void {
    if (this.holding === null) return;
    this.holding = null;
    for (const ev of this.pending) ev.cancelled = true;
    this.pending.clear();
    this.faults.heal(this.source);
    // A split's reboot not yet due ends with the rest (its restart was among the pending).
    this.faults.heal(`${this.source}:reboot`);
    this.sim.note(this.source, 'heal', why);
    this.later(this.range(this.settings.gapMs), () => this.arm());
  }
}
