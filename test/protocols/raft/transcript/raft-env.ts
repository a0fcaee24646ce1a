/**
 * The Raft transcript environment: a kv-raft cluster in the Simulator (constant 1 ms links, a
 * fixed seed, the safety invariants checked after every step) driven by transcript commands.
 * The commands and what they print are listed in docs/raft.md, "Transcript tests".
 *
 * Commands that let time pass print what happened meanwhile, in order: log lines of the nodes
 * (`n1: became leader term=1`), client replies, the messages of the types `trace-msgs` names,
 * and the first invariant violation, after which the simulator stays halted.
 */
import type { Json } from '../../../../src/core/json.js';
import type { ClientReply, NodeId } from '../../../../src/core/node.js';
import { JOIN_KEY, RaftNode } from '../../../../src/protocols/raft/raft-node.js';
import { Simulator } from '../../../../src/sim/simulator.js';
import type { TraceEvent } from '../../../../src/sim/trace.js';
import { kvRaftSystem } from '../../../../src/systems/kv/kv-raft.js';
import type { Command } from '../../../support/transcript/command.js';
import { CommandError } from '../../../support/transcript/errors.js';
import type { TranscriptEnv } from '../../../support/transcript/runner.js';
import {
  parseOp,
  renderLog,
  renderLogFields,
  renderMessage,
  renderOp,
  renderRaftState,
  renderReply,
  renderStatus,
} from './render.js';

/** Steps of virtual time between checks of a `run-until` condition: below any sync latency. */
const FINE_STEP_MS = 0.01;
/** `stabilize`: the cluster is stable once nothing it shows has changed for this long. */
const QUIET_MS = 300;

type Handler = (cmd: Command) => string[];

export class RaftTranscriptEnv implements TranscriptEnv {
  private simulator: Simulator | undefined;
  /** Directed links cut, as `from>to`. */
  private readonly cut = new Set<string>();
  /** Message types whose sends `trace-msgs` prints. */
  private traced = new Set<string>();
  private traceAll = false;
  /** Trace events already printed (or passed over). */
  private seen = 0;
  /** Trace events already counted by `msg-counts`. */
  private counted = 0;
  private failureShown = false;
  private clients = 0;
  /** Lines printed by the command running now. */
  private out: string[] = [];

  private readonly handlers: Record<string, Handler> = {
    'add-nodes': (c) => this.addNodes(c),
    campaign: (c) => this.campaign(c),
    propose: (c) => this.propose(c),
    call: (c) => this.call(c),
    partition: (c) => this.partition(c),
    cut: (c) => this.cutLinks(c),
    drop: (c) => this.dropNext(c),
    heal: (c) => this.heal(c),
    crash: (c) => this.crash(c),
    restart: (c) => this.restart(c),
    wipe: (c) => this.wipe(c),
    'clock-rate': (c) => this.clockRate(c),
    tick: (c) => this.tick(c),
    'fire-timer': (c) => this.fireTimer(c),
    'hold-syncs': (c) => this.holdSyncs(c),
    sync: (c) => this.sync(c),
    stabilize: (c) => this.stabilize(c),
    'run-until-leader': (c) => this.runUntilLeader(c),
    'run-until': (c) => this.runUntil(c),
    'trace-msgs': (c) => this.traceMsgs(c),
    'msg-counts': (c) => this.msgCounts(c),
    status: (c) => this.each(c, renderStatus),
    'raft-state': (c) => this.each(c, renderRaftState),
    log: (c) => this.log(c),
  };

  run(cmd: Command): readonly string[] {
    const handler = this.handlers[cmd.name];
    if (handler === undefined) {
      throw new CommandError(
        'unknown-command',
        `unknown command "${cmd.name}" (known: ${Object.keys(this.handlers).join(', ')})`,
      );
    }
    if (cmd.name !== 'add-nodes' && this.simulator === undefined) {
      cmd.fail('no cluster yet: start with add-nodes');
    }
    this.out = [];
    const printed = handler(cmd);
    return [...this.out, ...printed];
  }

  private get sim(): Simulator {
    if (this.simulator === undefined) throw new Error('no cluster');
    return this.simulator;
  }

  // ---- the cluster -------------------------------------------------------------------------

  /** `add-nodes <n> [seed=1] [mutant=<name>] [<kv-raft param>=<value> …]` */
  private addNodes(cmd: Command): string[] {
    if (this.simulator !== undefined) cmd.fail('the cluster exists already (one per transcript)');
    const n = cmd.number('node count', 1);
    const seed = cmd.keyNumber('seed', 1, 0);
    const mutant = cmd.key('mutant');
    const params = Object.fromEntries(cmd.unreadKeys());
    cmd.done();
    const nodeIds = Array.from({ length: n }, (_, i) => `n${i + 1}`);
    const factory = (() => {
      try {
        return kvRaftSystem.createNode({
          cluster: nodeIds,
          params,
          ...(mutant !== undefined ? { mutant } : {}),
        });
      } catch (e) {
        return cmd.fail(e instanceof Error ? e.message : String(e));
      }
    })();
    this.simulator = new Simulator({
      seed,
      nodeIds,
      factory,
      latency: { kind: 'constant', ms: 1 },
      keepTrace: true,
      tornWrites: false,
      checkInvariants: (nodes) => kvRaftSystem.checkInvariants?.(nodes),
    });
    this.sim.start();
    this.sim.runUntil(0);
    this.flush();
    return [];
  }

  private node(cmd: Command, what = 'node'): NodeId {
    const id = cmd.word(what);
    this.known(cmd, id);
    return id;
  }

  private known(cmd: Command, id: string): void {
    if (!this.sim.nodeIds.includes(id)) cmd.fail(`no node ${id} (${this.sim.nodeIds.join(' ')})`);
  }

  private raft(cmd: Command, id: NodeId): RaftNode {
    const n = this.sim.node(id);
    if (n === undefined) cmd.fail(`${id} is down`);
    if (!(n instanceof RaftNode)) throw new Error(`${id} is not a RaftNode`);
    return n;
  }

  // ---- what nodes are asked to do ------------------------------------------------------------

  /**
   * `campaign <node>`: the node starts a real election at once, as a leader's TimeoutNow makes
   * it (§3.10): no pre-vote, and voters do not refuse it for having heard from a leader.
   */
  private campaign(cmd: Command): string[] {
    const id = this.node(cmd);
    cmd.done();
    const n = this.raft(cmd, id);
    if (n.role === 'leader') cmd.fail(`${id} leads already`);
    this.sim.schedule(0, () => n.onMessage(id, { type: 'timeout-now', term: n.term }));
    this.advance(this.sim.now);
    return [];
  }

  /**
   * Sends `op` to `node`, as a new client unless `client` is given (with `seq`, default 1);
   * `onReply` prints the reply when it comes.
   */
  private send(
    node: NodeId,
    op: Json,
    onReply: (client: string, r: ClientReply) => void,
    client = `c${++this.clients}`,
    seq = 1,
  ): void {
    this.sim.request(node, client, seq, op, (r: ClientReply) => {
      this.flush();
      onReply(client, r);
    });
  }

  private printReply(node: NodeId): (client: string, r: ClientReply) => void {
    return (client, r) => this.out.push(renderReply(client, node, r));
  }

  /** `client=<name> seq=<n>`: who sends, for a retry under the same session. */
  private session(cmd: Command): { client?: string; seq: number } {
    const client = cmd.key('client');
    const seq = cmd.keyNumber('seq', 1, 1);
    return client !== undefined ? { client, seq } : { seq };
  }

  /**
   * `propose <node> <op> [count=n] [client=<name> seq=<n>]`: sends without waiting; `%i` in
   * the op's words counts 1..n. The replies of a batch (count > 1) print as one line once all
   * have come, when all are ok.
   */
  private propose(cmd: Command): string[] {
    const id = this.node(cmd);
    const count = cmd.keyNumber('count', 1, 1);
    const { client, seq } = this.session(cmd);
    const words = cmd.rest();
    cmd.done();
    if (count > 1 && client !== undefined) cmd.fail('client= names one client: no count=');
    const ops = Array.from({ length: count }, (_, i) =>
      parseOp(
        words.map((w) => w.replaceAll('%i', String(i + 1))),
        cmd.name,
      ),
    );
    if (count === 1) {
      this.send(id, ops[0] as Json, this.printReply(id), client, seq);
      return [];
    }
    const first = this.clients + 1;
    let ok = 0;
    let answered = 0;
    // Failures are counted by what they say, so a crash under many writes is one line.
    const failed = new Map<string, number>();
    for (const op of ops) {
      this.send(id, op, (c, r) => {
        answered++;
        if (r.ok) ok++;
        else {
          const what = renderReply(c, id, r).slice(`${id} → ${c}: `.length);
          failed.set(what, (failed.get(what) ?? 0) + 1);
        }
        if (answered === count) {
          const errors = [...failed].map(([what, n]) => `; ${n} ${what}`).join('');
          this.out.push(`${id} → c${first}..c${first + count - 1}: ${ok} of ${count} ok${errors}`);
        }
      });
    }
    return [];
  }

  /**
   * `call <node> <op> [within=2000] [client=<name> seq=<n>]`: proposes and runs until the
   * reply (or `within` ms).
   */
  private call(cmd: Command): string[] {
    const id = this.node(cmd);
    const within = cmd.keyNumber('within', 2000, 1, true);
    const { client, seq } = this.session(cmd);
    const op = parseOp(cmd.rest(), cmd.name);
    cmd.done();
    let answered = false;
    const print = this.printReply(id);
    this.send(
      id,
      op,
      (c, r) => {
        answered = true;
        print(c, r);
      },
      client,
      seq,
    );
    const end = this.sim.now + within;
    while (!answered && this.sim.now < end && !this.sim.halted) this.advance(this.sim.now + 1);
    this.flush();
    return answered ? [] : [`no reply to ${renderOp(op)} within ${within} ms`];
  }

  // ---- faults --------------------------------------------------------------------------------

  private applyCuts(): void {
    this.sim.setPartition([...this.cut].map((l) => l.split('>') as [NodeId, NodeId]));
  }

  /** `partition <nodes> | <nodes> …`: only nodes of one group talk; one not named is alone. */
  private partition(cmd: Command): string[] {
    const groups: string[][] = [[]];
    for (const w of cmd.rest()) {
      if (w === '|') groups.push([]);
      else (groups[groups.length - 1] as string[]).push(w);
    }
    cmd.done();
    if (groups.length < 2 || groups.some((g) => g.length === 0)) {
      cmd.fail('wants groups of nodes separated by |, e.g. partition n1 | n2 n3');
    }
    const groupOf = new Map<string, number>();
    groups.forEach((g, i) =>
      g.forEach((id) => {
        this.known(cmd, id);
        if (groupOf.has(id)) cmd.fail(`${id} named twice`);
        groupOf.set(id, i);
      }),
    );
    this.cut.clear();
    const ids = this.sim.nodeIds;
    for (const a of ids) {
      for (const b of ids) {
        if (a === b) continue;
        const ga = groupOf.get(a);
        if (ga === undefined || ga !== groupOf.get(b)) this.cut.add(`${a}>${b}`);
      }
    }
    this.applyCuts();
    return [];
  }

  /** `cut <from> -> <to> …`: blocks messages from one node to others, one way only. */
  private cutLinks(cmd: Command): string[] {
    const from = this.node(cmd, 'sender');
    if (cmd.word('->') !== '->') cmd.fail('wants cut <from> -> <to> …');
    const to = cmd.rest();
    cmd.done();
    if (to.length === 0) cmd.fail('names no receiver');
    for (const id of to) {
      this.known(cmd, id);
      if (id === from) cmd.fail(`${id} cannot be cut from itself`);
      this.cut.add(`${from}>${id}`);
    }
    this.applyCuts();
    return [];
  }

  /**
   * `drop <from> -> <to> <type> [within=1000]`: runs until `from` sends `to` a message of
   * `type`, and loses that one message (nothing else on the link).
   */
  private dropNext(cmd: Command): string[] {
    const from = this.node(cmd, 'sender');
    if (cmd.word('->') !== '->') cmd.fail('wants drop <from> -> <to> <type>');
    const to = this.node(cmd, 'receiver');
    const type = cmd.word('message type');
    const within = cmd.keyNumber('within', 1000, 1, true);
    cmd.done();
    if (to === from) cmd.fail(`${from} sends nothing to itself`);
    const sim = this.sim;
    let dropped = false;
    // The simulator tells its observer of a send before it looks at the link: the link is cut
    // for that one message, and whole again before the next send or delivery.
    sim.observer = (a) => {
      if (a.kind !== 'send') return;
      if (dropped) return this.applyCuts();
      if (a.node !== from || a.to !== to || a.type !== type) return;
      dropped = true;
      sim.setPartition([...[...this.cut].map((l) => l.split('>') as [NodeId, NodeId]), [from, to]]);
      sim.schedule(0, () => this.applyCuts());
    };
    try {
      if (this.until(within, () => dropped)) return [];
    } finally {
      sim.observer = undefined;
      this.applyCuts();
    }
    return sim.halted ? [] : [`${from} sent no ${type} to ${to} within ${within} ms`];
  }

  private heal(cmd: Command): string[] {
    cmd.done();
    this.cut.clear();
    this.applyCuts();
    return [];
  }

  /** `crash <node>`: prints how many of its writes were not yet durable, and so lost. */
  private crash(cmd: Command): string[] {
    const id = this.node(cmd);
    cmd.done();
    if (this.sim.status(id) === 'down') cmd.fail(`${id} is down already`);
    this.sim.crash(id);
    const ev = this.sim.trace.events?.at(-1);
    this.seen = this.sim.trace.events?.length ?? 0;
    if (ev?.e !== 'crash') throw new Error('a crash records a crash event');
    return [`${id} crashed: ${ev.lostWrites} unsynced write(s) lost`];
  }

  private restart(cmd: Command): string[] {
    const id = this.node(cmd);
    cmd.done();
    if (this.sim.status(id) !== 'down') cmd.fail(`${id} is not down`);
    this.sim.restart(id);
    this.advance(this.sim.now);
    return [];
  }

  /**
   * `wipe <node>`: the node is down and its disk erased, marked as a server joining a running
   * cluster (what a member restarted empty to rejoin is); `restart` brings it back as one.
   */
  private wipe(cmd: Command): string[] {
    const id = this.node(cmd);
    cmd.done();
    if (this.sim.status(id) !== 'down') this.sim.crash(id);
    // The whole data directory, as an operator's rm -rf: a compacted log's base goes with it.
    this.sim.disk(id).reset({ [JOIN_KEY]: true });
    this.seen = this.sim.trace.events?.length ?? 0;
    return [];
  }

  /** `clock-rate <node> <rate>`: its clock runs at `rate` × true speed from now on. */
  private clockRate(cmd: Command): string[] {
    const id = this.node(cmd);
    const rate = cmd.number('rate', 0, true);
    cmd.done();
    if (rate <= 0) cmd.fail('rate must be positive');
    this.sim.setClock(id, this.sim.localTime(id) - this.sim.now, rate - 1);
    return [];
  }

  // ---- time ----------------------------------------------------------------------------------

  /** Runs the simulator to `limit`, then prints what happened. */
  private advance(limit: number): void {
    this.sim.runUntil(limit);
    this.flush();
  }

  /** `fire-timer <node> <name>`: the node's pending timer of that name runs out now. */
  private fireTimer(cmd: Command): string[] {
    const id = this.node(cmd);
    const name = cmd.word('timer name');
    cmd.done();
    if (this.sim.status(id) !== 'up') cmd.fail(`${id} is not up`);
    if (!this.sim.fireTimer(id, name)) cmd.fail(`${id} has no pending ${name} timer`);
    this.advance(this.sim.now);
    return [];
  }

  /**
   * `hold-syncs <node> on|off`: on, the node's fsyncs wait for `sync <node>` (its writes are
   * not durable, and what waits on them does not happen, until then); off, they complete as
   * usual again, the waiting ones now.
   */
  private holdSyncs(cmd: Command): string[] {
    const id = this.node(cmd);
    const mode = cmd.word('on or off');
    cmd.done();
    if (mode !== 'on' && mode !== 'off') cmd.fail(`wants on or off, not ${mode}`);
    this.sim.holdSyncs(id, mode === 'on');
    this.advance(this.sim.now);
    return [];
  }

  /** `sync <node>`: completes the node's held fsyncs now, in the order it asked for them. */
  private sync(cmd: Command): string[] {
    const id = this.node(cmd);
    cmd.done();
    this.out.push(`${id}: ${this.sim.completeSyncs(id)} sync(s) completed`);
    this.advance(this.sim.now);
    return [];
  }

  private tick(cmd: Command): string[] {
    const ms = cmd.number('milliseconds', 0, true);
    cmd.done();
    this.advance(this.sim.now + ms);
    return [];
  }

  /** What `stabilize` watches: every node's role, term, indexes, configuration. */
  private fingerprint(): string {
    return this.sim.nodeIds
      .map((id) => {
        const n = this.sim.node(id);
        return n instanceof RaftNode ? `${renderStatus(id, n)} ${renderRaftState(id, n)}` : 'down';
      })
      .join('|');
  }

  /** `stabilize [within=3000]`: runs until nothing `status` shows changes for 300 ms. */
  private stabilize(cmd: Command): string[] {
    const within = cmd.keyNumber('within', 3000, 1, true);
    cmd.done();
    const end = this.sim.now + within;
    let last = this.fingerprint();
    let quietSince = this.sim.now;
    while (this.sim.now < end && !this.sim.halted) {
      this.advance(this.sim.now + 1);
      const now = this.fingerprint();
      if (now !== last) {
        last = now;
        quietSince = this.sim.now;
      } else if (this.sim.now - quietSince >= QUIET_MS) {
        return [];
      }
    }
    return this.sim.halted ? [] : [`not stable within ${within} ms`];
  }

  /** Runs in fine steps until `done()` (printing as it goes) or `within` ms; whether it did. */
  private until(within: number, done: () => boolean): boolean {
    const end = this.sim.now + within;
    while (this.sim.now < end && !this.sim.halted) {
      this.advance(Math.min(end, this.sim.now + FINE_STEP_MS));
      if (done()) return true;
    }
    return false;
  }

  /** The live leaders among `among`. */
  private leaders(among: readonly NodeId[]): RaftNode[] {
    return among.flatMap((id) => {
      const n = this.sim.node(id);
      return n instanceof RaftNode && n.role === 'leader' ? [n] : [];
    });
  }

  /** `run-until-leader [nodes…] [within=3000]`: until exactly one of them (or of all) leads. */
  private runUntilLeader(cmd: Command): string[] {
    const within = cmd.keyNumber('within', 3000, 1, true);
    const among = cmd.rest();
    cmd.done();
    for (const id of among) this.known(cmd, id);
    const ids = among.length > 0 ? among : [...this.sim.nodeIds];
    if (this.until(within, () => this.leaders(ids).length === 1)) {
      const l = this.leaders(ids)[0] as RaftNode;
      return [`${this.idOf(l)} leads term ${l.term}`];
    }
    return this.sim.halted ? [] : [`no single leader among ${ids.join(' ')} within ${within} ms`];
  }

  private idOf(n: RaftNode): NodeId {
    const id = [...this.sim.liveNodes()].find(([, m]) => m === n)?.[0];
    if (id === undefined) throw new Error('a live node has an id');
    return id;
  }

  /**
   * `run-until <node> recv|send <type> [within=1000]`: until the node is delivered (or sends)
   * a message of that type; it stops before the node's next disk sync completes.
   */
  private runUntil(cmd: Command): string[] {
    const id = this.node(cmd);
    const verb = cmd.word('recv or send');
    if (verb !== 'recv' && verb !== 'send') cmd.fail(`wants recv or send, not ${verb}`);
    const type = cmd.word('message type');
    const within = cmd.keyNumber('within', 1000, 1, true);
    cmd.done();
    const events = this.sim.trace.events as TraceEvent[];
    let from = events.length;
    const hit = (): boolean => {
      for (; from < events.length; from++) {
        const e = events[from] as TraceEvent;
        if (verb === 'recv' && e.e === 'deliver' && e.to === id && e.type === type) return true;
        if (verb === 'send' && e.e === 'send' && e.from === id && e.type === type) return true;
      }
      return false;
    };
    if (this.until(within, hit)) return [];
    return this.sim.halted ? [] : [`${id} did not ${verb} ${type} within ${within} ms`];
  }

  // ---- what is printed -----------------------------------------------------------------------

  /** `trace-msgs <type…>|all|off`: which messages time-passing commands print. */
  private traceMsgs(cmd: Command): string[] {
    const types = cmd.rest();
    cmd.done();
    if (types.length === 0) cmd.fail('wants message types, all, or off');
    this.traceAll = types.length === 1 && types[0] === 'all';
    this.traced =
      types.length === 1 && (types[0] === 'off' || this.traceAll) ? new Set() : new Set(types);
    return [];
  }

  /** `msg-counts`: messages sent by type since the last msg-counts (or the start). */
  private msgCounts(cmd: Command): string[] {
    cmd.done();
    const events = this.sim.trace.events as TraceEvent[];
    const counts = new Map<string, number>();
    for (; this.counted < events.length; this.counted++) {
      const e = events[this.counted] as TraceEvent;
      if (e.e === 'send') counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
    }
    return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([type, n]) => `${type} ${n}`);
  }

  /** Prints the trace events since the last flush that a reader wants, and a new failure. */
  private flush(): void {
    const events = this.sim.trace.events as TraceEvent[];
    for (; this.seen < events.length; this.seen++) {
      const e = events[this.seen] as TraceEvent;
      if (e.e === 'log') this.out.push(`${e.node}: ${e.msg}${renderLogFields(e.fields)}`);
      const shown = (type: string): boolean => this.traceAll || this.traced.has(type);
      if (e.e === 'send' && shown(e.type)) this.out.push(renderMessage(e.from, e.to, e.msg));
      if (e.e === 'drop' && shown(e.type)) {
        this.out.push(`  dropped ${e.from} → ${e.to} ${e.type} (${e.why})`);
      }
    }
    const f = this.sim.failure;
    if (f !== undefined && !this.failureShown) {
      this.failureShown = true;
      this.out.push(`FAILURE ${f.kind}: ${f.message}`);
    }
  }

  /** `status [nodes…]` / `raft-state [nodes…]`: one line per node (all by default). */
  private each(cmd: Command, render: (id: NodeId, n: RaftNode) => string): string[] {
    const ids = cmd.rest();
    cmd.done();
    for (const id of ids) this.known(cmd, id);
    return (ids.length > 0 ? ids : this.sim.nodeIds).map((id) => {
      const n = this.sim.node(id);
      if (n === undefined) return `${id} down`;
      if (!(n instanceof RaftNode)) throw new Error(`${id} is not a RaftNode`);
      return render(id, n);
    });
  }

  /** `log <node>`. */
  private log(cmd: Command): string[] {
    const id = this.node(cmd);
    cmd.done();
    return renderLog(id, this.raft(cmd, id));
  }
}
