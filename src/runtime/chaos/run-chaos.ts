/**
 * A chaos run: a fresh local cluster (src/runtime/cluster.ts) under the client load of load.ts
 * while the schedule of schedule.ts kills members with SIGKILL and restarts them from their
 * data, and (with partitions) cuts a minority's peer links off and heals them; then the load
 * stops, every member is up again, every key is read, the history is judged by the
 * linearizability checker and every acknowledged write is audited (audit.ts). The cluster is
 * torn down whatever happens, including an abort (Ctrl-C).
 *
 * With partitions the members dial each other through proxies this process runs
 * (partition-proxy.ts; cluster.json's `dial`); clients reach every member directly, so a
 * cut-off member still takes requests, as it would on a real network split.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkHistory, getModel, type Verdict } from '../../check/index.js';
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import { parseAddress } from '../kv-client.js';
import {
  clusterDown,
  clusterEndpoints,
  clusterStatus,
  clusterUp,
  killNode,
  restartNode,
  runningPid,
  type ClusterFile,
} from '../cluster.js';
import { auditWrites, type LostWrite } from './audit.js';
import { ChaosLoad } from './load.js';
import { cutAndHeal, cutOffAcks, type CutWindow } from './partition-fault.js';
import { PartitionProxies, type ProxyMutant } from './partition-proxy.js';
import { faultSchedule, type FaultSlot } from './schedule.js';
import { sleep } from './sleep.js';

export interface ChaosOptions {
  readonly system: string;
  readonly nodes: number;
  readonly kills: number;
  /** Partitions mixed with the kills (default 0: none, and no proxies). */
  readonly partitions?: number;
  readonly durationMs: number;
  readonly seed: number;
  /** A deliberately broken partition proxy (partition-proxy.ts), to show the run notices. */
  readonly proxyMutant?: ProxyMutant;
  /** The cluster's directory; a temporary one (removed afterwards) when absent. */
  readonly dir?: string;
  readonly mutant?: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly clients?: number;
  readonly keys?: number;
  /** The checker's budget. */
  readonly checkTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Progress lines (one per fault). */
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  readonly system: string;
  readonly nodes: number;
  readonly seed: number;
  readonly kills: number;
  /** Kills of the member serving writes at that moment (the Raft leader, kv-single's owner). */
  readonly servingKills: number;
  readonly restarts: number;
  /** Partitions cut and healed. */
  readonly partitions: number;
  /** Of those, the ones that stalled their links rather than severing them. */
  readonly stalledPartitions: number;
  /** Of those, the ones that cut the leader off from the majority. */
  readonly leaderPartitions: number;
  /** Of those, the ones during which the majority elected a new leader (the cut took). */
  readonly newLeaders: number;
  /** Writes invoked during a cut and acknowledged by a cut-off member before the heal (goal 0). */
  readonly cutOffAcks: number;
  readonly ops: { readonly ok: number; readonly fail: number; readonly unknown: number };
  readonly acknowledgedWrites: number;
  readonly lost: readonly LostWrite[];
  /** The checker's verdict on the whole history (final reads included). */
  readonly linearizable: Verdict;
  /** valid: linearizable and nothing lost; invalid: either failed; unknown: not decided. */
  readonly verdict: Verdict;
  /** Why the run could not be judged or went wrong outside the history (a member that would not restart, an abort). */
  readonly problems: readonly string[];
  readonly wallMs: number;
  readonly history: readonly HistoryOp[];
}

export class ChaosAbortedError extends Error {
  readonly code = 'aborted';
  constructor() {
    super('chaos run interrupted');
    this.name = 'ChaosAbortedError';
  }
}

/** The current Raft leader, when a member says it is one. */
async function currentLeader(dir: string): Promise<string | undefined> {
  for (const s of await clusterStatus(dir)) {
    const node = (s.status as { node?: { role?: Json } } | null)?.node;
    if (node?.role === 'leader') return s.id;
  }
  return undefined;
}

/**
 * How much longer than drawn a cut of the leader is held while the majority shows no new leader
 * (an election there takes ~0.5 s; a loaded machine may take longer).
 */
const CONFIRM_MS = 3000;

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const slots = faultSchedule({
    seed: o.seed,
    kills: o.kills,
    partitions: o.partitions ?? 0,
    durationMs: o.durationMs,
    nodes: o.nodes,
  });
  const temporary = o.dir === undefined;
  const dir = o.dir !== undefined ? resolve(o.dir) : mkdtempSync(join(tmpdir(), 'truthkit-chaos-'));
  const log = o.log ?? ((): void => {});
  const problems: string[] = [];
  const aborted = (): boolean => o.signal?.aborted === true;
  let up = false;
  let proxies: PartitionProxies | undefined;
  try {
    if ((o.partitions ?? 0) > 0) {
      proxies = await PartitionProxies.start({
        ids: Array.from({ length: o.nodes }, (_, i) => `n${i + 1}`),
        ...(o.proxyMutant !== undefined ? { mutant: o.proxyMutant } : {}),
      });
    }
    const c = await clusterUp({
      dir,
      nodes: o.nodes,
      system: o.system,
      ...(o.mutant !== undefined ? { mutant: o.mutant } : {}),
      ...(o.params !== undefined ? { params: o.params } : {}),
      ...(proxies !== undefined ? { dial: proxies.dial() } : {}),
    });
    up = true;
    proxies?.setUpstreams(new Map(c.nodes.map((n) => [n.id, parseAddress(n.peer)])));
    const load = new ChaosLoad({
      endpoints: clusterEndpoints(dir),
      clients: o.clients ?? 4,
      keys: o.keys ?? 5,
      seed: o.seed,
      attemptTimeoutMs: 500,
      deadlineMs: 2000,
      pauseMs: 5,
    });
    load.start();
    let kills = 0;
    let restarts = 0;
    let servingKills = 0;
    let partitions = 0;
    let stalledPartitions = 0;
    let leaderPartitions = 0;
    let newLeaders = 0;
    const windows: CutWindow[] = [];
    const runStart = load.now();
    try {
      for (const [i, slot] of slots.entries()) {
        if (aborted()) break;
        const slotStart = load.now();
        await sleep(slot.atMs, o.signal);
        if (aborted()) break;
        const last = i === slots.length - 1;
        if (slot.fault === 'partition') {
          if (proxies === undefined) throw new Error('a partition slot without proxies');
          let cutAt = 0;
          let healAt = 0;
          const cut = await cutAndHeal({
            dir,
            proxies,
            members: c.nodes.map((n) => n.id),
            slot,
            confirmMs: CONFIRM_MS,
            ...(o.signal !== undefined ? { signal: o.signal } : {}),
            onCut: (minority, leaderCut) => {
              cutAt = load.now();
              log(
                `partition ${i + 1}/${slots.length}: ${minority.join(' ')} cut off${leaderCut ? ' (the leader)' : ''}, ${slot.cut === 'stall' ? 'stalled' : 'severed'}, at ${Math.round(cutAt)} ms`,
              );
            },
            onHeal: () => (healAt = load.now()),
          });
          windows.push({ minority: cut.minority, from: cutAt, to: healAt });
          partitions++;
          if (slot.cut === 'stall') stalledPartitions++;
          if (cut.leaderCut) {
            leaderPartitions++;
            if (cut.newLeader !== undefined) newLeaders++;
            else if (!aborted()) {
              problems.push(
                `partition ${i + 1}: ${cut.before?.id ?? '?'} (leader in term ${cut.before?.term ?? '?'}) was cut off for ${Math.round(cut.cutMs)} ms and no other member became leader: did the cut take?`,
              );
            }
          }
          // The load ends with the last fault: with no kills, at the last heal.
          if (last) load.halt();
          if (!last) await sleep(slotStart + slot.slotMs - load.now(), o.signal);
          continue;
        }
        const { id: victim, serving } = await chooseVictim(dir, c, slot);
        // Kill while operations are in flight, as a crash would find them.
        for (let w = 0; load.inFlight === 0 && w < 100; w++) await sleep(1);
        if (await killNode(dir, victim)) {
          kills++;
          if (serving) servingKills++;
        }
        // The load ends with the last crash: writes acknowledged just before it are never
        // overwritten, so the final reads show whether the crash lost them. (Earlier losses are
        // overwritten by later writes; only the checker sees those.)
        if (last) load.halt();
        log(
          `kill ${i + 1}/${slots.length}: ${victim}${serving ? ' (serving)' : ''} at ${Math.round(load.now())} ms`,
        );
        await sleep(slot.downMs, o.signal);
        try {
          await restartNode(dir, victim);
          restarts++;
        } catch (e) {
          problems.push(`${victim} did not come back after kill ${i + 1}: ${(e as Error).message}`);
          break;
        }
        if (!last) await sleep(slotStart + slot.slotMs - load.now(), o.signal);
      }
      // Without kills the load runs for the whole duration.
      if (slots.length === 0) await sleep(runStart + o.durationMs - load.now(), o.signal);
    } finally {
      await load.stop();
    }
    if (aborted()) throw new ChaosAbortedError();

    // Heal: every member up (one that would not restart is tried once more), then read each key.
    for (const n of c.nodes) {
      if (runningPid(dir, n.id) !== undefined) continue;
      try {
        await restartNode(dir, n.id);
        restarts++;
      } catch (e) {
        problems.push(`${n.id} did not come back at the end: ${(e as Error).message}`);
      }
    }
    const finals = new Map<string, Json | undefined>();
    const reader = load.newClient(15_000);
    try {
      for (const key of load.keys) {
        const r = await load.record(reader, load.newProcess(), { f: 'get', key });
        finals.set(key, r.outcome === 'ok' ? r.value : undefined);
      }
    } finally {
      reader.close();
    }

    const history = load.history;
    const acrossCuts = cutOffAcks(history, windows);
    if (acrossCuts.length > 0) {
      const first = acrossCuts[0] as HistoryOp;
      problems.push(
        `${acrossCuts.length} write(s) invoked during a cut were acknowledged by a cut-off member before the heal (first: op ${first.id} at ${String(first.node)}): the cut let messages through, or a minority committed`,
      );
    }
    const audit = auditWrites(history, finals);
    for (const key of audit.unread) problems.push(`the final read of ${key} did not succeed`);
    const model = getModel('kv');
    if (model === undefined) throw new Error('the kv model is not registered');
    const check = checkHistory(history, model, { timeoutMs: o.checkTimeoutMs ?? 60_000 });
    const count = (outcome: string): number => history.filter((h) => h.outcome === outcome).length;
    const verdict: Verdict =
      check.verdict === 'invalid' || audit.lost.length > 0
        ? 'invalid'
        : check.verdict === 'unknown' || problems.length > 0
          ? 'unknown'
          : 'valid';
    return {
      system: o.system,
      nodes: o.nodes,
      seed: o.seed,
      kills,
      servingKills,
      restarts,
      partitions,
      stalledPartitions,
      leaderPartitions,
      newLeaders,
      cutOffAcks: acrossCuts.length,
      ops: { ok: count('ok'), fail: count('fail'), unknown: count('unknown') },
      acknowledgedWrites: audit.acknowledged,
      lost: audit.lost,
      linearizable: check.verdict,
      verdict,
      problems,
      wallMs: Date.now() - started,
      history,
    };
  } finally {
    if (up) await clusterDown(dir).catch(() => {});
    proxies?.close();
    if (temporary) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The slot's victim and whether it is the member clients depend on now: a Raft leader, or
 * (with no leader, as in kv-single) the first member, which is kv-single's owner.
 */
async function chooseVictim(
  dir: string,
  c: ClusterFile,
  slot: FaultSlot,
): Promise<{ id: string; serving: boolean }> {
  const serving = (await currentLeader(dir)) ?? (c.nodes[0] as { id: string }).id;
  const id =
    slot.victim.kind === 'leader'
      ? serving
      : (c.nodes[slot.victim.index % c.nodes.length] as { id: string }).id;
  return { id, serving: id === serving };
}
