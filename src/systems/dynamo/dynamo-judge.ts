/**
 * The dynamo system's judge. Strong eventual consistency: once the faults are over, the
 * replicas' anti-entropy joins every copy of a key with every other; the judge computes that
 * fixpoint from the live nodes' replicas and hints with the nodes' own merge (so a broken merge
 * is judged as the nodes would run it) and checks that it keeps every acknowledged update — no
 * acknowledged item lost from a cart, no counted increment missing, no acknowledged add gone —
 * and holds nothing never written. That the replicas really reach that fixpoint in virtual time
 * is checked too: the run settles (settleMs) with every fault healed before it is judged, and
 * the replicas of every key must then hold the same state. From the history: the session guarantees
 * (reported), and, where the store promises it (strict quorums with R + W > N), the
 * regular-register guarantee (judged).
 */
import type { HistoryOp } from '../../core/history.js';
import type { Json } from '../../core/json.js';
import type { NodeId, ProtocolNode } from '../../core/node.js';
import type { Judgement } from '../../core/system.js';
import { strictQuorum, type DynamoParams } from './dynamo-params.js';
import { DynamoNode } from './dynamo-node.js';
import { cartItems } from './dynamo-workload.js';
import { sessionViolations, type GuaranteeViolation, type ItemOp } from './session-guarantees.js';

/** Every key's state once every live copy has been joined, with the nodes' own merge. */
export function settledStates(nodes: ReadonlyMap<NodeId, ProtocolNode>): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const node of nodes.values()) {
    if (!(node instanceof DynamoNode)) continue;
    const copies: [string, Json][] = [...node.replicas()];
    for (const held of node.heldHints().values()) copies.push(...held);
    for (const [key, state] of copies) {
      const s = out.get(key);
      out.set(
        key,
        s === undefined ? node.kind.merge(node.kind.empty, state) : node.kind.merge(s, state),
      );
    }
  }
  return out;
}

/** Keys whose replicas (in their preference lists, live nodes only) do not all hold the same state. */
export function divergentKeys(nodes: ReadonlyMap<NodeId, ProtocolNode>, n: number): string[] {
  const out: string[] = [];
  const dynamo = [...nodes.values()].filter((x): x is DynamoNode => x instanceof DynamoNode);
  const first = dynamo[0];
  if (first === undefined) return out;
  const keys = new Set<string>();
  for (const d of dynamo) for (const k of d.replicas().keys()) keys.add(k);
  for (const key of [...keys].sort()) {
    const owners = first.ring.preferenceList(key, n);
    const states = new Set<string>();
    for (const [id, node] of nodes) {
      if (owners.includes(id) && node instanceof DynamoNode) {
        states.add(JSON.stringify(node.replicas().get(key) ?? null));
      }
    }
    if (states.size > 1) out.push(key);
  }
  return out;
}

function viewOf(state: Json, nodes: ReadonlyMap<NodeId, ProtocolNode>): Json {
  for (const node of nodes.values()) if (node instanceof DynamoNode) return node.kind.view(state);
  return null;
}

function resultValues(result: Json | undefined): string[] {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return [];
  const v = (result as { values?: Json }).values;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The cart history as item sets: a put writes its cart's items, a get reads its siblings'. */
export function cartOps(history: readonly HistoryOp[]): ItemOp[] {
  const out: ItemOp[] = [];
  for (const op of history) {
    if (op.key === undefined || (op.f !== 'get' && op.f !== 'put')) continue;
    const items =
      op.f === 'put'
        ? cartItems(typeof op.value === 'string' ? op.value : '')
        : resultValues(op.result).flatMap(cartItems);
    out.push({
      id: op.id,
      process: op.process,
      key: op.key,
      kind: op.f === 'get' ? 'read' : 'write',
      ok: op.outcome === 'ok',
      invoke: op.invoke,
      complete: op.complete,
      items: new Set(items),
    });
  }
  return out;
}

function describe(v: GuaranteeViolation): string {
  return `${v.guarantee}: read #${v.read} lacks item ${v.missing} of #${v.because}`;
}

function judgeCart(
  history: readonly HistoryOp[],
  settled: ReadonlyMap<string, Json>,
  nodes: ReadonlyMap<NodeId, ProtocolNode>,
  params: DynamoParams,
): Judgement {
  const ops = cartOps(history);
  // Items by the key they were written to: an item under another key came from nowhere.
  const written = new Set<string>();
  const at = (key: string, x: string): string => JSON.stringify([key, x]);
  for (const o of ops) if (o.kind === 'write') for (const x of o.items) written.add(at(o.key, x));
  const finalItems = new Map<string, Set<string>>();
  let maxSiblings = 0;
  for (const [key, state] of settled) {
    const values = resultValues(viewOf(state, nodes));
    maxSiblings = Math.max(maxSiblings, values.length);
    finalItems.set(key, new Set(values.flatMap(cartItems)));
  }
  const violations = sessionViolations(ops);
  const count = (g: string): number => violations.filter((v) => v.guarantee === g).length;
  const details: Json = {
    keys: settled.size,
    finalSiblingsMax: maxSiblings,
    readSiblingsMax: ops.reduce(
      (m, o) =>
        o.kind === 'read' && o.ok ? Math.max(m, resultValues(history[o.id]?.result).length) : m,
      0,
    ),
    sessionViolations: {
      'read-your-writes': count('read-your-writes'),
      'monotonic-reads': count('monotonic-reads'),
      'writes-follow-reads': count('writes-follow-reads'),
      regular: count('regular'),
    },
    regularJudged: strictQuorum(params),
    divergentAtEnd: divergentKeys(nodes, params.n).length,
  };
  for (const o of ops) {
    if (o.kind !== 'write' || !o.ok) continue;
    const have = finalItems.get(o.key) ?? new Set<string>();
    for (const x of o.items) {
      if (!have.has(x)) {
        return {
          verdict: 'invalid',
          message: `lost update: item ${x} of acknowledged put #${o.id} on ${o.key} is in no replica once all copies are merged`,
          details,
        };
      }
    }
  }
  for (const [key, items] of finalItems) {
    for (const x of items) {
      if (!written.has(at(key, x))) {
        return {
          verdict: 'invalid',
          message: `${key} holds item ${x} that no put wrote there`,
          details,
        };
      }
    }
  }
  for (const o of ops) {
    if (o.kind !== 'read' || !o.ok) continue;
    for (const x of o.items) {
      if (!written.has(at(o.key, x))) {
        return {
          verdict: 'invalid',
          message: `read #${o.id} of ${o.key} returned item ${x} that no put wrote there`,
          details,
        };
      }
    }
  }
  const regular = violations.find((v) => v.guarantee === 'regular');
  if (strictQuorum(params) && regular !== undefined) {
    return {
      verdict: 'invalid',
      message: `stale read under R + W > N: ${describe(regular)}`,
      details,
    };
  }
  return {
    verdict: 'valid',
    message:
      `no acknowledged item lost across ${settled.size} key(s); ` +
      (strictQuorum(params)
        ? 'every read regular'
        : 'regular reads not promised (sloppy or R + W ≤ N)'),
    details,
  };
}

function num(x: Json | undefined): number {
  return typeof x === 'number' ? x : 0;
}

function judgeCrdt(
  history: readonly HistoryOp[],
  settled: ReadonlyMap<string, Json>,
  nodes: ReadonlyMap<NodeId, ProtocolNode>,
  params: DynamoParams,
): Judgement {
  const details: Json = {
    keys: settled.size,
    divergentAtEnd: divergentKeys(nodes, params.n).length,
  };
  const byKey = new Map<string, HistoryOp[]>();
  for (const op of history) {
    if (op.key === undefined || op.f === 'get') continue;
    const g = byKey.get(op.key);
    if (g === undefined) byKey.set(op.key, [op]);
    else g.push(op);
  }
  const keys = new Set([...byKey.keys(), ...settled.keys()]);
  for (const key of [...keys].sort()) {
    const ops = byKey.get(key) ?? [];
    const state = settled.get(key);
    const value =
      state === undefined ? null : ((viewOf(state, nodes) as { value?: Json }).value ?? null);
    const bad = (what: string): Judgement => ({
      verdict: 'invalid',
      message: `${key}: ${what}`,
      details,
    });
    const sum = (f: string, acked: boolean): number =>
      ops
        .filter((o) => o.f === f && (o.outcome === 'ok' || (!acked && o.outcome === 'unknown')))
        .reduce((s, o) => s + num(o.value), 0);
    switch (params.type) {
      case 'gcounter':
      case 'pncounter': {
        const v = num(value);
        const lo = sum('inc', true) - sum('dec', false);
        const hi = sum('inc', false) - sum('dec', true);
        if (v < lo || v > hi)
          return bad(
            `counter reads ${v}, outside [${lo}, ${hi}] of the acknowledged and possible updates`,
          );
        break;
      }
      case 'lww':
      case 'mvreg': {
        const written = new Set(
          ops.filter((o) => o.outcome !== 'fail').map((o) => JSON.stringify(o.value ?? null)),
        );
        const values =
          params.type === 'lww'
            ? value === null
              ? []
              : [value]
            : Array.isArray(value)
              ? value
              : [];
        for (const v of values)
          if (!written.has(JSON.stringify(v)))
            return bad(`holds ${JSON.stringify(v)}, never written`);
        if (values.length === 0 && ops.some((o) => o.outcome === 'ok'))
          return bad('empty after an acknowledged write');
        break;
      }
      case 'orset':
      case '2pset': {
        const present = new Set(Array.isArray(value) ? value.map((v) => String(v)) : []);
        const removed = new Set(
          ops.filter((o) => o.f === 'remove' && o.outcome !== 'fail').map((o) => String(o.value)),
        );
        const added = new Set(
          ops.filter((o) => o.f === 'add' && o.outcome !== 'fail').map((o) => String(o.value)),
        );
        for (const o of ops) {
          const e = String(o.value);
          if (o.f === 'add' && o.outcome === 'ok' && !removed.has(e) && !present.has(e)) {
            return bad(`acknowledged add #${o.id} of ${e} lost (never removed)`);
          }
          if (params.type === '2pset' && o.f === 'remove' && o.outcome === 'ok' && present.has(e)) {
            return bad(`${e} present after acknowledged remove #${o.id}`);
          }
        }
        for (const e of present) if (!added.has(e)) return bad(`holds ${e}, never added`);
        break;
      }
      case 'register':
        throw new RangeError('a register is judged as a cart');
    }
  }
  return {
    verdict: 'valid',
    message: `every ${params.type} converges to a state that keeps the acknowledged updates`,
    details,
  };
}

export function judgeDynamo(
  history: readonly HistoryOp[],
  nodes: ReadonlyMap<NodeId, ProtocolNode>,
  params: DynamoParams,
): Judgement {
  const settled = settledStates(nodes);
  const judged =
    params.type === 'register'
      ? judgeCart(history, settled, nodes, params)
      : judgeCrdt(history, settled, nodes, params);
  if (judged.verdict !== 'valid') return judged;
  // The run settled (settleMs) with every fault healed: the replicas themselves must agree now,
  // not only their join.
  const divergent = divergentKeys(nodes, params.n);
  if (divergent.length === 0) return judged;
  return {
    verdict: 'invalid',
    message:
      `not converged: the replicas of ${divergent.length} key(s) still differ ` +
      `${settleMs(params)} ms after the last operation, every fault healed ` +
      `(${divergent.slice(0, 3).join(', ')}${divergent.length > 3 ? ', …' : ''})`,
    ...(judged.details !== undefined ? { details: judged.details } : {}),
  };
}

/**
 * How long a run goes on after its last operation before it is judged: enough anti-entropy
 * rounds (ae-ms apart) for every replica to have exchanged with every other, and for held
 * hints to be handed off.
 */
export function settleMs(params: DynamoParams): number {
  return Math.max(3_000, 20 * params.aeMs);
}
