/**
 * `kv-async`: every node applies writes locally, answers at once and gossips the new value to
 * the others, who keep the version with the highest (Lamport time, node) stamp. Fast and
 * available under partitions — and not linearizable: reads can be stale and concurrent writes
 * can be lost. It exists as bait for the linearizability checker.
 */
import { applyKv, isKvOp } from '../../core/kv.js';
import type { Json } from '../../core/json.js';
import type { ClientRequest, NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import { kvAsyncMessageProblem } from './message-schemas.js';

interface Versioned {
  readonly value: string | null;
  readonly time: number;
  readonly node: number;
}

type Msg = { readonly type: 'update'; readonly key: string } & Versioned;

const newer = (a: Versioned, b: Versioned | undefined): boolean =>
  b === undefined || a.time > b.time || (a.time === b.time && a.node > b.node);

class KvAsyncNode implements ProtocolNode<Msg> {
  private readonly data = new Map<string, Versioned>();
  private lamport = 0;
  private readonly me: number;

  constructor(private readonly env: NodeEnv<Msg>) {
    this.me = env.cluster.indexOf(env.id);
  }

  start(): void {
    for (const k of this.env.storage.keys('kv:')) {
      const v = this.env.storage.get(k) as unknown as Versioned;
      this.data.set(k.slice(3), v);
      this.lamport = Math.max(this.lamport, v.time);
    }
  }

  onClientRequest(request: ClientRequest): void {
    const op = request.op;
    if (!isKvOp(op)) {
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    const before = this.data.get(op.key)?.value ?? null;
    const view = new Map<string, string>();
    if (before !== null) view.set(op.key, before);
    const result = applyKv(view, op);
    const after = view.get(op.key) ?? null;
    if (op.f !== 'get' && !(op.f === 'cas' && result === false)) {
      const v: Versioned = { value: after, time: ++this.lamport, node: this.me };
      this.store(op.key, v);
      for (const p of this.env.peers) this.env.send(p, { type: 'update', key: op.key, ...v });
    }
    this.env.reply(request.id, { ok: true, value: result });
  }

  onMessage(_from: NodeId, msg: Msg): void {
    this.lamport = Math.max(this.lamport, msg.time);
    const v: Versioned = { value: msg.value, time: msg.time, node: msg.node };
    if (newer(v, this.data.get(msg.key))) this.store(msg.key, v);
  }

  onTimer(): void {}

  private store(key: string, v: Versioned): void {
    this.data.set(key, v);
    this.env.storage.put(`kv:${key}`, v as unknown as Json);
  }

  inspect() {
    return { keys: this.data.size, lamport: this.lamport };
  }
}

export const kvAsyncSystem: SystemDefinition = {
  name: 'kv-async',
  description: 'every node answers locally and replicates in the background (not linearizable)',
  workload: 'kv',
  model: 'kv',
  mutants: [],
  defaultNodes: 5,
  minNodes: 1,
  createNode: () => (env) => new KvAsyncNode(env as NodeEnv<Msg>),
  checkMessage: kvAsyncMessageProblem,
};
