/**
 * `vector-size`: the seed's pattern table says to avoid vector clocks beyond ten nodes and when
 * space is constrained. What grows is one entry per actor that writes a key, so it is measured
 * as writers grow — 3, 5, 10, 20, 50 — in two places:
 *
 * 1. The simulated Dynamo store, from its real peer messages (`put`, `get-reply`, `repair`,
 *    `handoff`, `ae-push`: every message carrying a key's state): one client per node, all on
 *    one key, each doing read-then-write rounds through a coordinator. Its clocks' actors are
 *    servers (the coordinator's id), as in Dynamo and Riak; with `clocks=dvv` (dotted version
 *    vectors) and `clocks=vv` (one version vector per key). Two coordinator policies: each
 *    client's own node (every node becomes an actor of the key) and, as Dynamo did (SOSP 2007,
 *    §4.4: a write is coordinated by one of the top N nodes of the key's preference list), a
 *    node of the preference list.
 * 2. The clock modules directly, for what the store cannot run — a version vector with one entry
 *    per writing client (its actors are servers) — beside a per-server version vector and a
 *    DVVSet on the same interleaving of the same clients' reads and writes, against one
 *    object coordinated by one of three servers.
 *
 * Clock bytes: the JSON of a state's clock with the values left out (a DVV store's context and
 * its siblings' dots; a version vector; a DVVSet's ids and counters with a count of values).
 */
import type { Json } from '../core/json.js';
import type { ClientReply, Message, NodeEnv, NodeFactory, NodeId } from '../core/node.js';
import { streamFor, type Random } from '../core/random.js';
import {
  dvvsetNew,
  dvvsetUpdate,
  dvvsetValues,
  DVVSET_EMPTY,
  type DvvSet,
} from '../protocols/clocks/dotted-version-vector.js';
import type { VersionVector } from '../protocols/clocks/version-vector.js';
import { vvObjectPut, VV_OBJECT_EMPTY, type VvObject } from '../protocols/clocks/vv-object.js';
import { Simulator } from '../sim/simulator.js';
import { roundMs } from '../sim/stats.js';
import { dynamoSystem } from '../systems/dynamo/dynamo.js';
import { Ring } from '../systems/dynamo/ring.js';
import type { Experiment, PlotSeries } from './experiment.js';

export const WRITERS = [3, 5, 10, 20, 50] as const;
const N = 3;
const VNODES = 8;
const KEY = 'cart';

export type StoreClocks = 'dvv' | 'vv';
export type Coordinator = 'own-node' | 'preference-list';

export interface ClockFigures {
  /** Most entries (actors, plus dots beyond a gap) in one clock. */
  readonly maxEntries: number;
  /** Most distinct actors (ids) in one clock. */
  readonly maxActors: number;
  /** Mean bytes of clock per state carried (per message, or per put in the module model). */
  readonly meanClockBytes: number;
  /** Most siblings in one state. */
  readonly maxSiblings: number;
}

export interface StoreFigures extends ClockFigures {
  readonly messages: number;
  readonly stateMessages: number;
  /** Clock bytes over all bytes of peer messages. */
  readonly clockShare: number;
  readonly ops: number;
  readonly failed: number;
}

const bytes = (x: unknown): number => JSON.stringify(x).length;

interface ClockOf {
  readonly entries: number;
  readonly actors: number;
  readonly bytes: number;
  readonly siblings: number;
}

/** The clock of a store state: a DVV store `{ctx, entries}` or a vv object `{vv, values}`. */
export function storeClock(state: Json): ClockOf | undefined {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return undefined;
  const s = state as { ctx?: { vv?: VersionVector; cloud?: Json[] }; entries?: Json[] };
  if (s.ctx !== undefined && Array.isArray(s.entries)) {
    const dots = s.entries.map((e) => (e as { dot?: Json }).dot ?? null);
    const cloud = s.ctx.cloud ?? [];
    const ids = new Set([
      ...Object.keys(s.ctx.vv ?? {}),
      ...cloud.map((d) => (Array.isArray(d) ? String(d[0]) : '')),
    ]);
    return {
      entries: Object.keys(s.ctx.vv ?? {}).length + cloud.length,
      actors: ids.size,
      bytes: bytes(s.ctx) + bytes(dots),
      siblings: s.entries.length,
    };
  }
  const o = state as { vv?: VersionVector; values?: Json[] };
  if (o.vv !== undefined && Array.isArray(o.values)) {
    const entries = Object.keys(o.vv).length;
    return { entries, actors: entries, bytes: bytes(o.vv), siblings: o.values.length };
  }
  return undefined;
}

/** The key states a dynamo peer message carries. */
function statesIn(msg: Message): Json[] {
  const m = msg as { type?: string; state?: Json; entries?: [string, Json][] };
  if (m.type === 'ae-push') return (m.entries ?? []).map(([, s]) => s);
  return m.state !== undefined && m.state !== null ? [m.state] : [];
}

export interface StoreSettings {
  readonly seed: number;
  readonly writers: number;
  readonly clocks: StoreClocks;
  readonly coordinator: Coordinator;
  readonly rounds: number;
}

/** One store run: `writers` nodes, a client on each, `rounds` read-then-write rounds each. */
export function measureStore(s: StoreSettings): StoreFigures {
  const ids: NodeId[] = Array.from({ length: s.writers }, (_, i) => `n${i + 1}`);
  const params = { n: String(N), r: '2', w: '2', clocks: s.clocks, vnodes: String(VNODES) };
  const inner = dynamoSystem.createNode({ params, cluster: ids });
  let messages = 0;
  let stateMessages = 0;
  let allBytes = 0;
  let clockBytes = 0;
  let maxEntries = 0;
  let maxActors = 0;
  let maxSiblings = 0;
  // Every peer message is seen on its way out: the clocks the store really sends.
  const factory: NodeFactory = (env: NodeEnv) => {
    const watched: NodeEnv = Object.create(env) as NodeEnv;
    watched.send = (to: NodeId, msg: Message): void => {
      messages++;
      allBytes += bytes(msg);
      const states = statesIn(msg);
      if (states.length > 0) stateMessages++;
      for (const st of states) {
        const c = storeClock(st);
        if (c === undefined) continue;
        clockBytes += c.bytes;
        maxEntries = Math.max(maxEntries, c.entries);
        maxActors = Math.max(maxActors, c.actors);
        maxSiblings = Math.max(maxSiblings, c.siblings);
      }
      env.send(to, msg);
    };
    return inner(watched);
  };
  const sim = new Simulator({ seed: s.seed, nodeIds: ids, factory });
  const prefs = new Ring(ids, VNODES).preferenceList(KEY, N);
  const random = streamFor(s.seed, 'experiment:vector-size');
  let ops = 0;
  let failed = 0;
  let running = s.writers;
  const client = (c: number, round: number): void => {
    if (round === s.rounds) {
      if (--running === 0) sim.stop();
      return;
    }
    const at = (): NodeId =>
      s.coordinator === 'own-node' ? (ids[c] as NodeId) : random.pick(prefs);
    ops++;
    sim.request(at(), `c${c}`, 2 * round, { f: 'get', key: KEY }, (got: ClientReply) => {
      const ctx = got.ok ? ((got.value as { ctx?: Json } | null)?.ctx ?? null) : null;
      if (!got.ok) failed++;
      ops++;
      const put = { f: 'put', key: KEY, value: `${c}.${round}`, ctx };
      sim.request(at(), `c${c}`, 2 * round + 1, put, (done: ClientReply) => {
        if (!done.ok) failed++;
        client(c, round + 1);
      });
    });
  };
  sim.start();
  for (let c = 0; c < s.writers; c++) sim.schedule(5 + random.range(0, 10), () => client(c, 0));
  sim.runUntil(60_000);
  if (sim.failure !== undefined) throw new Error(`vector-size run failed: ${sim.failure.message}`);
  if (running !== 0) throw new Error(`vector-size run: ${running} clients still running`);
  return {
    messages,
    stateMessages,
    maxEntries,
    maxActors,
    maxSiblings,
    meanClockBytes: stateMessages === 0 ? 0 : clockBytes / stateMessages,
    clockShare: allBytes === 0 ? 0 : clockBytes / allBytes,
    ops,
    failed,
  };
}

export type ModuleClock = 'vv-per-client' | 'vv-per-server' | 'dvvset';
export const MODULE_CLOCKS: readonly ModuleClock[] = ['vv-per-client', 'vv-per-server', 'dvvset'];
const SERVERS = ['s1', 's2', 's3'];

function dvvsetClockBytes(d: DvvSet): number {
  return bytes(d.entries.map(([id, n, vals]) => [id, n, vals.length]));
}

/**
 * The clock modules alone: `writers` clients, `rounds` writes each, in one random interleaving
 * of reads and writes (a client reads, others may write, then it writes over what it read),
 * each write coordinated by one of three servers. The per-client vector's actor is the client;
 * the per-server vector's and the DVVSet's, the server.
 */
export function measureModules(
  writers: number,
  rounds: number,
  random: Random,
): Record<ModuleClock, ClockFigures> {
  let perClient: VvObject = VV_OBJECT_EMPTY;
  let perServer: VvObject = VV_OBJECT_EMPTY;
  let dvv: DvvSet = DVVSET_EMPTY;
  const read: ({ c: VersionVector; s: VersionVector; d: VersionVector } | null)[] = Array.from(
    { length: writers },
    () => null,
  );
  const left = Array.from({ length: writers }, () => rounds);
  const fig = {
    'vv-per-client': { entries: 0, bytes: 0, siblings: 0 },
    'vv-per-server': { entries: 0, bytes: 0, siblings: 0 },
    dvvset: { entries: 0, bytes: 0, siblings: 0 },
  };
  let puts = 0;
  const note = (k: ModuleClock, entries: number, b: number, siblings: number): void => {
    const f = fig[k];
    f.entries = Math.max(f.entries, entries);
    f.bytes += b;
    f.siblings = Math.max(f.siblings, siblings);
  };
  for (;;) {
    const active = left.flatMap((n, c) => (n > 0 ? [c] : []));
    if (active.length === 0) break;
    const c = random.pick(active);
    const ctx = read[c];
    if (ctx === undefined || ctx === null) {
      read[c] = { c: perClient.vv, s: perServer.vv, d: dvvJoin(dvv) };
      continue;
    }
    const value = `${c}.${left[c]}`;
    const server = random.pick(SERVERS);
    perClient = vvObjectPut(ctx.c, perClient, `c${c}`, value);
    perServer = vvObjectPut(ctx.s, perServer, server, value);
    dvv = dvvsetUpdate(dvvsetNew(ctx.d, value), dvv, server);
    read[c] = null;
    left[c] = (left[c] as number) - 1;
    puts++;
    note(
      'vv-per-client',
      Object.keys(perClient.vv).length,
      bytes(perClient.vv),
      perClient.values.length,
    );
    note(
      'vv-per-server',
      Object.keys(perServer.vv).length,
      bytes(perServer.vv),
      perServer.values.length,
    );
    note('dvvset', dvv.entries.length, dvvsetClockBytes(dvv), dvvsetValues(dvv).length);
  }
  const out = {} as Record<ModuleClock, ClockFigures>;
  for (const k of MODULE_CLOCKS) {
    const f = fig[k];
    out[k] = {
      maxEntries: f.entries,
      maxActors: f.entries,
      meanClockBytes: f.bytes / puts,
      maxSiblings: f.siblings,
    };
  }
  return out;
}

function dvvJoin(d: DvvSet): VersionVector {
  const out: Record<string, number> = {};
  for (const [id, n] of d.entries) out[id] = n;
  return out;
}

export interface VectorSizeVerdict {
  /** Per-client vectors hold one entry per writer at every size. */
  readonly perClientGrows: boolean;
  /** In the store with every node coordinating, actors grow with nodes (≥ 10 at 50 nodes). */
  readonly ownNodeGrows: boolean;
  /** In the store coordinated within the preference list, actors stay at most N at 50 nodes. */
  readonly preferenceListBounded: boolean;
}

/**
 * The seed's claim is about nodes. It holds where every node (or client) writes the key; it
 * fails where, as in Dynamo, only the key's N replicas coordinate its writes: there a 50-node
 * store's clocks are no bigger than a 3-node store's. Refuted as stated when both are measured.
 */
export function vectorSizeVerdict(v: VectorSizeVerdict): 'supported' | 'refuted' {
  return v.perClientGrows && v.ownNodeGrows && !v.preferenceListBounded ? 'supported' : 'refuted';
}

export const vectorSizeExperiment: Experiment = {
  name: 'vector-size',
  claim:
    'Vector clocks should be avoided beyond 10 nodes and where space is constrained: their ' +
    'size grows with the number of nodes',
  sources: [
    {
      kind: 'seed',
      section: 'Truth Patterns Summary',
      quote: 'VECTOR CLOCKS   • Track causality      • > 10 nodes',
      note:
        'the table’s AVOID WHEN column for vector clocks: “> 10 nodes”, and on the next line ' +
        '“Space constrained”',
    },
    {
      kind: 'paper',
      cite: 'G. DeCandia et al., "Dynamo: Amazon’s Highly Available Key-value Store", SOSP 2007',
      where:
        'Section 4.4 (a write is handled by one of the top N nodes of the preference list, so ' +
        'the vector clock stays small; truncation past a threshold, say 10 pairs)',
    },
    {
      kind: 'paper',
      cite:
        'N. Preguiça, C. Baquero, P. S. Almeida, V. Fonte, R. Gonçalves, "Dotted Version ' +
        'Vectors: Logical Clocks for Optimistic Replication", 2010',
      where:
        'Sections 1–2 (per-client ids grow with clients; per-server ids lose or swell siblings)',
    },
  ],
  run({ seed, quick }) {
    const rounds = quick ? 3 : 5;
    const moduleRounds = quick ? 5 : 10;
    const rows: Json[] = [];
    const storeSeries = new Map<string, { x: number; y: number }[]>();
    const moduleSeries = new Map<string, { x: number; y: number }[]>();
    const actorSeries = new Map<string, { x: number; y: number }[]>();
    const push = (
      m: Map<string, { x: number; y: number }[]>,
      name: string,
      x: number,
      y: number,
    ) => {
      if (!m.has(name)) m.set(name, []);
      m.get(name)?.push({ x, y });
    };
    const modRandom = streamFor(seed, 'experiment:vector-size:modules');
    const at = new Map<string, StoreFigures>();
    let perClientGrows = true;
    for (const writers of WRITERS) {
      for (const clocks of ['dvv', 'vv'] as const) {
        for (const coordinator of ['own-node', 'preference-list'] as const) {
          const f = measureStore({ seed: seed + writers, writers, clocks, coordinator, rounds });
          at.set(`${clocks}/${coordinator}/${writers}`, f);
          const name = `store ${clocks}, coordinator: ${coordinator}`;
          push(storeSeries, name, writers, roundMs(f.meanClockBytes));
          push(actorSeries, name, writers, f.maxActors);
          rows.push({
            part: 'store',
            writers,
            clocks,
            coordinator,
            ops: f.ops,
            failed: f.failed,
            messages: f.messages,
            stateMessages: f.stateMessages,
            maxActors: f.maxActors,
            maxEntries: f.maxEntries,
            meanClockBytes: roundMs(f.meanClockBytes),
            clockShare: roundMs(f.clockShare),
            maxSiblings: f.maxSiblings,
          });
        }
      }
      const m = measureModules(writers, moduleRounds, modRandom);
      perClientGrows &&= m['vv-per-client'].maxEntries === writers;
      for (const k of MODULE_CLOCKS) {
        const f = m[k];
        push(moduleSeries, `modules ${k}`, writers, roundMs(f.meanClockBytes));
        push(actorSeries, `modules ${k}`, writers, f.maxActors);
        rows.push({
          part: 'modules',
          writers,
          clocks: k,
          maxActors: f.maxActors,
          maxEntries: f.maxEntries,
          meanClockBytes: roundMs(f.meanClockBytes),
          maxSiblings: f.maxSiblings,
        });
      }
    }
    const big = WRITERS[WRITERS.length - 1] as number;
    const ownNodeGrows = (['dvv', 'vv'] as const).every(
      (c) => (at.get(`${c}/own-node/${big}`)?.maxActors ?? 0) >= 10,
    );
    const preferenceListBounded = (['dvv', 'vv'] as const).every(
      (c) => (at.get(`${c}/preference-list/${big}`)?.maxActors ?? Infinity) <= N,
    );
    const v = { perClientGrows, ownNodeGrows, preferenceListBounded };
    const toSeries = (m: Map<string, { x: number; y: number }[]>): PlotSeries[] =>
      [...m].map(([name, points]) => ({ name, role: 'measured', points }));
    return {
      rows,
      measured: {
        ...v,
        rule:
          'supported when clocks grow with the nodes in every setting measured; refuted when a ' +
          `store whose writes are coordinated within the key's preference list keeps at most ` +
          `N = ${N} actors per clock at ${big} nodes while per-client vectors hold one entry ` +
          'per writer (size follows the actors that write a key, not the nodes)',
        rounds,
        moduleRounds,
      },
      verdict: vectorSizeVerdict(v),
      plots: [
        {
          title: 'Most actors in one clock vs nodes (= writing clients)',
          x: { label: 'writers', log: true },
          y: { label: 'actors (ids) in the largest clock' },
          series: toSeries(actorSeries),
        },
        {
          title: 'Clock bytes per state-carrying message in the Dynamo store vs nodes (= writers)',
          x: { label: 'nodes, one writing client each', log: true },
          y: { label: 'mean clock bytes per message' },
          series: toSeries(storeSeries),
        },
        {
          title: 'Clock bytes per write, clock modules alone, vs writing clients (3 servers)',
          x: { label: 'writing clients', log: true },
          y: { label: 'mean clock bytes per write' },
          series: toSeries(moduleSeries),
        },
      ],
    };
  },
};
