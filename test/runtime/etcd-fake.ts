/**
 * A small stand-in for `etcd-raft`, for testing the gRPC front end on its own: the first node
 * in cluster order is the leader and applies EtcdOps to a toy MVCC store (full history, no
 * persistence, no lease expiry); it sends each applied write to the others, which apply it
 * too (so every member has a WatchSource), and they answer clients "not leader" with a hint.
 */
import type { Json } from '../../src/core/json.js';
import type { ClientRequest, NodeEnv, ProtocolNode } from '../../src/core/node.js';
import type { SystemDefinition } from '../../src/core/system.js';
import {
  ETCD_ERRORS,
  type Compare,
  type EtcdErrorRes,
  type EtcdOp,
  type KeyValue,
  type RangeReq,
  type RangeRes,
  type RequestOp,
  type WatchEvent,
  type WatchSource,
} from '../../src/systems/etcd/etcd-ops.js';

function inRange(k: string, key: string, end: string | undefined): boolean {
  if (end === undefined || end === '') return k === key;
  if (end === '\0') return k >= key;
  return k >= key && k < end;
}

export class FakeStore implements WatchSource {
  rev = 1;
  compacted = 0;
  readonly history: WatchEvent[] = [];
  readonly kvs = new Map<string, KeyValue>();
  readonly leases = new Map<number, { ttl: number; keys: Set<string> }>();
  private nextLease = 100;
  private readonly listeners = new Set<(e: readonly WatchEvent[], reset: boolean) => void>();

  revision(): number {
    return this.rev;
  }
  compactRevision(): number {
    return this.compacted;
  }
  eventsSince(
    from: number,
    key: string,
    end?: string,
    limit = Infinity,
  ): readonly WatchEvent[] | 'compacted' {
    if (from <= this.compacted) return 'compacted';
    const all = this.history.filter(
      (e) => e.kv.mod_revision >= from && inRange(e.kv.key, key, end),
    );
    // Up to `limit` events, then the rest of the revision the limit fell in.
    const cut = all.findIndex(
      (e, i) => i >= limit && e.kv.mod_revision !== all[i - 1]?.kv.mod_revision,
    );
    return cut < 0 ? all : all.slice(0, cut);
  }
  subscribe(l: (e: readonly WatchEvent[], reset: boolean) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  range(req: RangeReq): RangeRes | EtcdErrorRes {
    return this.exec({ f: 'Range', ...req }, []) as RangeRes | EtcdErrorRes;
  }

  private at(rev: number): Map<string, KeyValue> {
    if (rev === 0 || rev === this.rev) return this.kvs;
    const m = new Map<string, KeyValue>();
    for (const e of this.history) {
      if (e.kv.mod_revision > rev) break;
      if (e.type === 'PUT') m.set(e.kv.key, e.kv);
      else m.delete(e.kv.key);
    }
    return m;
  }

  /** Applies `op`; `notify` false = as if it came inside a snapshot (see reset()). */
  apply(op: EtcdOp, notify = true): Json {
    const pending: WatchEvent[] = [];
    const result = this.exec(op, pending);
    if (pending.length > 0) {
      this.history.push(...pending);
      if (notify) for (const l of this.listeners) l(pending, false);
    }
    return result as Json;
  }

  /** Tells the listeners the store was replaced (as after installing a snapshot). */
  reset(): void {
    for (const l of this.listeners) l([], true);
  }

  private header(): { revision: number } {
    return { revision: this.rev };
  }

  private exec(op: EtcdOp | ({ f: string } & Record<string, unknown>), ev: WatchEvent[]): unknown {
    const o = op as EtcdOp;
    switch (o.f) {
      case 'Range': {
        const rev = o.revision ?? 0;
        if (rev > 0 && rev <= this.compacted) return { error: ETCD_ERRORS.compacted.text };
        if (rev > this.rev) return { error: ETCD_ERRORS.futureRev.text };
        const kvs = [...this.at(rev).values()]
          .filter((kv) => inRange(kv.key, o.key, o.range_end))
          .sort((a, b) => (a.key < b.key ? -1 : 1));
        const limited = o.limit ? kvs.slice(0, o.limit) : kvs;
        return {
          header: this.header(),
          kvs: o.count_only ? [] : limited,
          more: limited.length < kvs.length,
          count: kvs.length,
        };
      }
      case 'Put': {
        if (o.lease && !this.leases.has(o.lease)) return { error: ETCD_ERRORS.leaseNotFound.text };
        const prev = this.kvs.get(o.key);
        const next = ev.length === 0 ? this.rev + 1 : this.rev;
        const kv: KeyValue = {
          key: o.key,
          value: o.value,
          create_revision: prev?.create_revision ?? next,
          mod_revision: next,
          version: (prev?.version ?? 0) + 1,
          lease: o.lease ?? 0,
        };
        this.rev = next;
        this.kvs.set(o.key, kv);
        if (kv.lease) this.leases.get(kv.lease)?.keys.add(kv.key);
        ev.push(prev ? { type: 'PUT', kv, prev_kv: prev } : { type: 'PUT', kv });
        return o.prev_kv && prev
          ? { header: this.header(), prev_kv: prev }
          : { header: this.header() };
      }
      case 'DeleteRange': {
        const gone = [...this.kvs.values()].filter((kv) => inRange(kv.key, o.key, o.range_end));
        if (gone.length > 0) {
          const next = ev.length === 0 ? this.rev + 1 : this.rev;
          this.rev = next;
          for (const kv of gone) {
            this.kvs.delete(kv.key);
            ev.push({
              type: 'DELETE',
              kv: { ...kv, mod_revision: next, value: '', version: 0, create_revision: 0 },
              prev_kv: kv,
            });
          }
        }
        return {
          header: this.header(),
          deleted: gone.length,
          prev_kvs: o.prev_kv ? gone : [],
        };
      }
      case 'Txn': {
        const ok = o.compare.every((c) => this.compare(c));
        const responses = (ok ? o.success : o.failure).map((r: RequestOp) => {
          if ('request_range' in r)
            return { response_range: this.exec({ f: 'Range', ...r.request_range }, ev) };
          if ('request_put' in r)
            return { response_put: this.exec({ f: 'Put', ...r.request_put }, ev) };
          if ('request_delete_range' in r) {
            return {
              response_delete_range: this.exec({ f: 'DeleteRange', ...r.request_delete_range }, ev),
            };
          }
          return { response_txn: this.exec({ f: 'Txn', ...r.request_txn }, ev) };
        });
        return { header: this.header(), succeeded: ok, responses };
      }
      case 'Compact':
        if (o.revision <= this.compacted) return { error: ETCD_ERRORS.compacted.text };
        if (o.revision > this.rev) return { error: ETCD_ERRORS.futureRev.text };
        this.compacted = o.revision;
        return { header: this.header() };
      case 'LeaseGrant': {
        const ID = o.ID || this.nextLease++;
        if (this.leases.has(ID)) return { error: ETCD_ERRORS.leaseExists.text };
        this.leases.set(ID, { ttl: o.TTL, keys: new Set() });
        return { header: this.header(), ID, TTL: o.TTL };
      }
      case 'LeaseRevoke': {
        const l = this.leases.get(o.ID);
        if (!l) return { error: ETCD_ERRORS.leaseNotFound.text };
        this.leases.delete(o.ID);
        for (const k of l.keys) {
          if (this.kvs.get(k)?.lease === o.ID) this.exec({ f: 'DeleteRange', key: k }, ev);
        }
        return { header: this.header() };
      }
      case 'LeaseKeepAlive': {
        const l = this.leases.get(o.ID);
        return { header: this.header(), ID: o.ID, TTL: l ? l.ttl : 0 };
      }
      case 'LeaseTimeToLive': {
        const l = this.leases.get(o.ID);
        return {
          header: this.header(),
          ID: o.ID,
          TTL: l ? l.ttl : -1,
          grantedTTL: l ? l.ttl : 0,
          keys: l && o.keys ? [...l.keys] : [],
        };
      }
      case 'LeaseLeases':
        return { header: this.header(), leases: [...this.leases.keys()].map((ID) => ({ ID })) };
      default:
        return { error: 'etcdserver: unknown operation' };
    }
  }

  private compare(c: Compare): boolean {
    const kv = this.kvs.get(c.key);
    const actual =
      c.target === 'VALUE'
        ? (kv?.value ?? '')
        : c.target === 'VERSION'
          ? (kv?.version ?? 0)
          : c.target === 'CREATE'
            ? (kv?.create_revision ?? 0)
            : c.target === 'MOD'
              ? (kv?.mod_revision ?? 0)
              : (kv?.lease ?? 0);
    if (c.target === 'VALUE' && kv === undefined) return false;
    const x = actual as number | string;
    const y = c.operand;
    switch (c.result) {
      case 'EQUAL':
        return x === y;
      case 'NOT_EQUAL':
        return x !== y;
      case 'GREATER':
        return x > y;
      default:
        return x < y;
    }
  }
}

class FakeNode implements ProtocolNode {
  readonly watchSource = new FakeStore();
  readonly term = 1;
  private readonly sessions = new Map<string, { seq: number; result: Json }>();

  /** `delayMs` > 0: the leader answers that much later (so calls overlap). */
  constructor(
    private readonly env: NodeEnv,
    private readonly delayMs = 0,
  ) {}

  private get leader(): string {
    return this.env.cluster[0] as string;
  }
  start(): void {}
  onTimer(_name: string, data?: Json): void {
    const d = data as { id: number; value: Json };
    this.env.reply(d.id, { ok: true, value: d.value });
  }
  onMessage(_from: string, msg: { type: string; op?: Json }): void {
    if (msg.type === 'apply') this.watchSource.apply(msg.op as unknown as EtcdOp);
  }
  onClientRequest(r: ClientRequest): void {
    if (this.env.id !== this.leader) {
      this.env.reply(r.id, { ok: false, error: 'not leader', definite: true, leader: this.leader });
      return;
    }
    const op = r.op as unknown as EtcdOp;
    if (typeof op !== 'object' || op === null || typeof op.f !== 'string') {
      this.env.reply(r.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    const s = this.sessions.get(r.client);
    if (s !== undefined && s.seq === r.seq)
      return this.env.reply(r.id, { ok: true, value: s.result });
    const before = this.watchSource.rev;
    const result = this.watchSource.apply(op);
    this.sessions.set(r.client, { seq: r.seq, result });
    if (this.watchSource.rev !== before || op.f === 'Compact' || op.f.startsWith('Lease')) {
      for (const p of this.env.peers) this.env.send(p, { type: 'apply', op: r.op } as never);
    }
    if (this.delayMs > 0) this.env.setTimer(this.delayMs, 'reply', { id: r.id, value: result });
    else this.env.reply(r.id, { ok: true, value: result });
  }
  inspect(): Record<string, Json> {
    return {
      role: this.env.id === this.leader ? 'leader' : 'follower',
      term: 1,
      leader: this.leader,
      commit: this.watchSource.rev,
      applied: this.watchSource.rev,
    };
  }
}

export const fakeEtcdSystem: SystemDefinition = {
  name: 'etcd-fake',
  description: 'a toy MVCC store behind a fixed leader (tests only)',
  workload: 'custom',
  mutants: [],
  defaultNodes: 3,
  minNodes: 1,
  params: [{ name: 'delay', description: 'ms before the leader answers' }],
  createNode: (o) => (env) => new FakeNode(env, Number(o.params?.delay ?? 0)),
};
