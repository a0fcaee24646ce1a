/**
 * A seeded in-memory transactional database, to generate histories for the checker's tests and
 * bench: clients run transactions of a few micro-ops concurrently, one step at a time, under a
 * chosen isolation level. `serializable` applies each transaction atomically at its commit
 * step (inside its call, so it is strictly serializable); the weaker levels are the checker's
 * own mutants — histories it must find anomalies in.
 *
 * - `snapshot-isolation`: reads from a snapshot taken at the first step; at commit a
 *   transaction aborts if another committed a write to a key it writes since (first committer
 *   wins). Allows write skew (G2-item), nothing weaker.
 * - `read-committed`: each read sees the latest committed state (plus the transaction's own
 *   writes); writes are buffered and installed at commit. Allows lost updates, G-single, G2.
 * - `read-uncommitted`: writes are installed at once and rolled back on abort. Allows G1a,
 *   G1b and the rest.
 */
import type { HistoryOp, HistoryOpDraft } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import { streamFor } from '../../core/random.js';
import type { MicroOp, TxnValue, TxnWorkload } from './txn-history.js';

export const ISOLATIONS = [
  'serializable',
  'snapshot-isolation',
  'read-committed',
  'read-uncommitted',
] as const;
export type Isolation = (typeof ISOLATIONS)[number];

export interface GenerateOptions {
  readonly seed: number;
  readonly workload: TxnWorkload;
  readonly isolation: Isolation;
  /** Transactions in the history. */
  readonly txns: number;
  /** Concurrent clients. Default 5. */
  readonly processes?: number;
  /** Keys in use at once; a key retires after `writesPerKey` writes. Defaults 6 and 16. */
  readonly activeKeys?: number;
  readonly writesPerKey?: number;
  /** Most micro-ops in a transaction (at least 1). Default 4. */
  readonly maxMops?: number;
  /** Chance a transaction's outcome is recorded as unknown (it commits or not, at random). */
  readonly unknownRate?: number;
  /** Chance a transaction aborts on its own at commit. */
  readonly abortRate?: number;
}

type Stored = TxnValue | readonly TxnValue[] | null;

interface Running {
  readonly id: number;
  readonly process: number;
  readonly invoke: number;
  readonly mops: MicroOp[];
  readonly done: [MicroOp[0], string, Json][];
  /** Buffered writes: a register's last value, or the values appended to a list. */
  readonly writes: Map<string, Stored>;
  /** Keys written in place (read-uncommitted), with the value each had before. */
  readonly undo: Map<string, Stored>;
  snapshot: number;
  pc: number;
}

interface Version {
  readonly ts: number;
  readonly value: Stored;
}

export function generateTxnHistory(options: GenerateOptions): HistoryOp[] {
  const rng = streamFor(options.seed, `txn-db:${options.isolation}`);
  const processes = options.processes ?? 5;
  const activeKeys = options.activeKeys ?? 6;
  const writesPerKey = options.writesPerKey ?? 16;
  const maxMops = options.maxMops ?? 4;
  const list = options.workload === 'list-append';
  const iso = options.isolation;

  const versions = new Map<string, Version[]>();
  const latest = (key: string, atOrBefore = Number.POSITIVE_INFINITY): Version => {
    const vs = versions.get(key);
    if (vs)
      for (let i = vs.length - 1; i >= 0; i--)
        if ((vs[i] as Version).ts <= atOrBefore) return vs[i] as Version;
    return { ts: -1, value: list ? [] : null };
  };
  let clock = 0;
  const install = (key: string, value: Stored): void => {
    let vs = versions.get(key);
    if (!vs) versions.set(key, (vs = []));
    vs.push({ ts: clock, value });
  };

  let nextKey = 0;
  const keys: { name: string; writes: number; nextValue: number }[] = [];
  const freshKey = () => ({ name: String(nextKey++), writes: 0, nextValue: 1 });
  for (let i = 0; i < activeKeys; i++) keys.push(freshKey());
  const plan = (): MicroOp[] => {
    const mops: MicroOp[] = [];
    const n = 1 + rng.int(maxMops);
    for (let i = 0; i < n; i++) {
      const slot = rng.int(keys.length);
      const k = keys[slot] as (typeof keys)[number];
      if (rng.chance(0.5)) mops.push(['r', k.name, null]);
      else {
        mops.push([list ? 'append' : 'w', k.name, k.nextValue++]);
        if (++k.writes >= writesPerKey) keys[slot] = freshKey();
      }
    }
    return mops;
  };

  const ops: HistoryOpDraft[] = [];
  const running = new Map<number, Running>();
  let started = 0;
  let time = 0;
  while (started < options.txns || running.size > 0) {
    time++;
    const p = rng.int(processes);
    const t = running.get(p);
    if (!t) {
      if (started >= options.txns) continue;
      running.set(p, {
        id: started++,
        process: p,
        invoke: time,
        mops: plan(),
        done: [],
        writes: new Map(),
        undo: new Map(),
        snapshot: clock,
        pc: 0,
      });
      continue;
    }
    const serial = iso === 'serializable';
    if (!serial && t.pc < t.mops.length) {
      step(t, t.mops[t.pc++] as MicroOp);
      continue;
    }
    // Commit (or abort), then record the outcome.
    running.delete(p);
    let committed = !rng.chance(options.abortRate ?? 0);
    if (committed && serial) for (const m of t.mops) step(t, m);
    if (committed && iso === 'snapshot-isolation')
      for (const key of t.writes.keys()) if (latest(key).ts > t.snapshot) committed = false;
    const unknown = rng.chance(options.unknownRate ?? 0);
    if (unknown && rng.chance(0.5)) committed = false;
    clock++;
    if (committed && iso !== 'read-uncommitted')
      for (const [key, v] of t.writes)
        install(key, list ? [...(latest(key).value as TxnValue[]), ...(v as TxnValue[])] : v);
    if (!committed && iso === 'read-uncommitted')
      for (const [key, v] of t.undo) rollback(key, v, t);
    ops.push({
      id: t.id,
      process: t.process,
      f: 'txn',
      value: t.mops,
      invoke: t.invoke,
      complete: time,
      outcome: unknown ? 'unknown' : committed ? 'ok' : 'fail',
      ...(committed && !unknown ? { result: t.done } : {}),
    });
  }

  function step(t: Running, [f, k, v]: MicroOp): void {
    const key = String(k);
    if (f === 'r') {
      const mine = t.writes.get(key);
      let seen: Stored;
      if (iso === 'read-uncommitted') seen = latest(key).value;
      else {
        const base = latest(key, iso === 'snapshot-isolation' ? t.snapshot : undefined).value;
        if (list) seen = [...(base as TxnValue[]), ...((mine ?? []) as TxnValue[])];
        else seen = mine !== undefined ? mine : base;
      }
      t.done.push(['r', key, (Array.isArray(seen) ? [...seen] : seen) as Json]);
      return;
    }
    const value = v as TxnValue;
    if (iso === 'read-uncommitted') {
      const before = latest(key).value;
      if (!t.undo.has(key)) t.undo.set(key, before);
      clock++;
      install(key, list ? [...(before as TxnValue[]), value] : value);
    } else {
      // Buffered until commit: a register's last value, or the values a list gets appended.
      t.writes.set(key, list ? [...((t.writes.get(key) ?? []) as TxnValue[]), value] : value);
    }
    t.done.push([f, key, value]);
  }

  /** Undoes an aborted in-place writer: its appends leave the list; a register gets back the
   * value it overwrote if it still holds the aborted one's. */
  function rollback(key: string, before: Stored, t: Running): void {
    const now = latest(key).value;
    const mine = new Set(
      t.mops.filter((m) => String(m[1]) === key && m[0] !== 'r').map((m) => m[2]),
    );
    clock++;
    if (list)
      install(
        key,
        (now as TxnValue[]).filter((x) => !mine.has(x)),
      );
    else if (mine.has(now as TxnValue)) install(key, before);
  }

  ops.sort((a, b) => a.invoke - b.invoke);
  return ops.map((op, id) => ({ ...op, id }));
}
