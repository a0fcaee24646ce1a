/**
 * The judge's rules for multi, sync and the lock's fencing, from the history alone.
 *
 *  - **Multi atomicity**: a multi answered OK applied every op it was asked (one result per op,
 *    all 0, as ZooKeeper's MultiResponse); one refused names one failing op, every op before it
 *    0 and every op after it RUNTIMEINCONSISTENCY (-2), and applied nothing — or, refused before
 *    any op ran (its session gone), no per-op results at all.
 *  - **Sync**: a sync's answer comes from a state that holds every write acknowledged before the
 *    sync was invoked, by any client: its zxid is above theirs. The client's next read is then at
 *    least as new, which the per-client order rule (zk-judge.ts) checks.
 *  - **Fencing**: the protected resource's accepted acts, in zxid order (the log's), carry tokens
 *    that never go down: no holder acts after a holder with a higher token, so no two holders'
 *    acts interleave on the resource, however their locks lapsed.
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';

const OK = 0;
const RUNTIMEINCONSISTENCY = -2;

/** Every op that goes through the log, and so takes a zxid of its own. */
export const LOGGED = new Set([
  'connect',
  'close',
  'create',
  'createEphemeral',
  'setData',
  'delete',
  'multi',
  'sync',
  'createSeq',
  'createAs',
  'unlock',
  'fence',
]);

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (r: Json | undefined, name: string): number | undefined => {
  const v = isObj(r) ? r[name] : undefined;
  return typeof v === 'number' ? v : undefined;
};

export function multiProblem(op: HistoryOp): string | undefined {
  if (op.f !== 'multi' || op.outcome !== 'ok') return undefined;
  const asked = Array.isArray(op.value) ? op.value.length : 0;
  const code = num(op.result, 'code');
  const raw = isObj(op.result) ? op.result.results : undefined;
  const results = Array.isArray(raw) ? raw : [];
  const head = `multi atomicity: op ${op.id} (client ${op.process}, ${asked} ops)`;
  if (code === OK) {
    if (results.length !== asked || results.some((r) => r !== OK)) {
      return `${head} answered OK with per-op results [${results.join(', ')}]: not all of it applied`;
    }
    return undefined;
  }
  if (results.length === 0) return undefined;
  const failing = results.findIndex((r) => r !== OK);
  const wellFormed =
    results.length === asked &&
    failing >= 0 &&
    results[failing] === code &&
    results.slice(failing + 1).every((r) => r === RUNTIMEINCONSISTENCY);
  return wellFormed
    ? undefined
    : `${head} answered ${code} with per-op results [${results.join(', ')}]`;
}

export function syncProblem(history: readonly HistoryOp[]): string | undefined {
  const writes = history
    .filter((op) => op.outcome === 'ok' && LOGGED.has(op.f) && op.f !== 'sync')
    .flatMap((op) => {
      const z = num(op.result, 'zxid');
      return z === undefined ? [] : [{ op, zxid: z }];
    })
    .sort((a, b) => a.op.complete - b.op.complete);
  const syncs = history
    .filter((op) => op.f === 'sync' && op.outcome === 'ok' && num(op.result, 'code') === OK)
    .sort((a, b) => a.invoke - b.invoke);
  let i = 0;
  let newest: { op: HistoryOp; zxid: number } | undefined;
  for (const s of syncs) {
    while (i < writes.length && (writes[i] as { op: HistoryOp }).op.complete < s.invoke) {
      const w = writes[i++] as { op: HistoryOp; zxid: number };
      if (newest === undefined || w.zxid > newest.zxid) newest = w;
    }
    const z = num(s.result, 'zxid') ?? 0;
    if (newest !== undefined && newest.zxid > z) {
      return (
        `sync: op ${s.id} (client ${s.process}, at ${s.node ?? '?'}) was answered from zxid ${z}, ` +
        `but op ${newest.op.id} (${newest.op.f}, client ${newest.op.process}) was acknowledged at ` +
        `zxid ${newest.zxid} before the sync was invoked`
      );
    }
  }
  return undefined;
}

export function fencingProblem(history: readonly HistoryOp[]): {
  readonly problem?: string;
  readonly accepted: number;
  readonly refused: number;
} {
  const acts = history.filter((op) => op.f === 'fence' && op.outcome === 'ok' && isObj(op.result));
  const accepted = acts
    .filter((op) => isObj(op.result) && op.result.accepted === true)
    .sort((a, b) => (num(a.result, 'zxid') ?? 0) - (num(b.result, 'zxid') ?? 0));
  const refused = acts.length - accepted.length;
  let top: HistoryOp | undefined;
  for (const op of accepted) {
    const token = typeof op.value === 'number' ? op.value : -1;
    const topToken = top !== undefined && typeof top.value === 'number' ? top.value : -1;
    if (top !== undefined && token < topToken) {
      return {
        problem:
          `fencing: the resource accepted client ${op.process}'s act with token ${token} ` +
          `(op ${op.id}, zxid ${num(op.result, 'zxid')}) after client ${top.process}'s with ` +
          `token ${topToken} (op ${top.id}, zxid ${num(top.result, 'zxid')}): two holders acted`,
        accepted: accepted.length,
        refused,
      };
    }
    if (top === undefined || token > topToken) top = op;
  }
  return { accepted: accepted.length, refused };
}
