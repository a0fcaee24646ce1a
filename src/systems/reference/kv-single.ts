/**
 * `kv-single`: the first node owns all data; the others forward to it. The owner writes each
 * operation as one log record (so the data change and its dedup entry survive or vanish
 * together), syncs, and only then answers. Forwarders resend until answered; the owner
 * answers a resend from its dedup table instead of applying twice. Linearizable — as long as
 * nobody acknowledges before the sync, which is exactly what the `ack-before-sync` mutant does.
 */
import { applyKv, isKvOp, isKvWrite, type KvOp, type KvResult } from '../../core/kv.js';
import type { Json } from '../../core/json.js';
import type {
  ClientReply,
  ClientRequest,
  NodeEnv,
  NodeId,
  ProtocolNode,
  TimerId,
} from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import { kvSingleMessageProblem } from './message-schemas.js';

type Msg =
  | { readonly type: 'forward'; readonly client: string; readonly seq: number; readonly op: KvOp }
  | {
      readonly type: 'result';
      readonly client: string;
      readonly seq: number;
      readonly result: KvResult;
    };

interface LogRecord {
  readonly client: string;
  readonly seq: number;
  readonly op: KvOp;
}

const RESEND_MS = 100;
/** How long the ack-before-sync mutant lets acknowledged writes sit unsynced. */
const LAZY_SYNC_MS = 100;

class KvSingleNode implements ProtocolNode<Msg> {
  private readonly owner: NodeId;
  private readonly data = new Map<string, string>();
  /** Results of applied writes by `client/seq`, so a resent forward is not applied twice. */
  private readonly applied = new Map<string, KvResult>();
  /** Forwarders waiting for the owner, by `client/seq`. */
  private readonly waiting = new Map<string, { requests: number[]; timer: TimerId }>();
  private appliedOps = 0;
  private lazySyncPending = false;

  constructor(
    private readonly env: NodeEnv<Msg>,
    private readonly ackBeforeSync: boolean,
  ) {
    this.owner = env.cluster[0] as NodeId;
  }

  private get isOwner(): boolean {
    return this.env.id === this.owner;
  }

  start(): void {
    if (!this.isOwner) return;
    const s = this.env.storage;
    for (let i = s.firstIndex(); i <= s.lastIndex(); i++) {
      const rec = s.entry(i) as unknown as LogRecord;
      this.applied.set(`${rec.client}/${rec.seq}`, applyKv(this.data, rec.op));
      this.appliedOps++;
    }
  }

  onClientRequest(request: ClientRequest): void {
    const op = request.op;
    if (!isKvOp(op)) {
      this.env.reply(request.id, { ok: false, error: 'malformed operation', definite: true });
      return;
    }
    if (this.isOwner) {
      this.execute(request.client, request.seq, op, (result) =>
        this.env.reply(request.id, { ok: true, value: result }),
      );
      return;
    }
    const key = `${request.client}/${request.seq}`;
    const w = this.waiting.get(key);
    if (w !== undefined) {
      w.requests.push(request.id);
      return;
    }
    const timer = this.env.setTimer(RESEND_MS, 'resend', {
      client: request.client,
      seq: request.seq,
      op: op as unknown as Json,
    });
    this.waiting.set(key, { requests: [request.id], timer });
    this.env.send(this.owner, { type: 'forward', client: request.client, seq: request.seq, op });
  }

  onMessage(from: NodeId, msg: Msg): void {
    if (msg.type === 'forward') {
      if (!this.isOwner) return;
      this.execute(msg.client, msg.seq, msg.op, (result) =>
        this.env.send(from, { type: 'result', client: msg.client, seq: msg.seq, result }),
      );
      return;
    }
    const key = `${msg.client}/${msg.seq}`;
    const w = this.waiting.get(key);
    if (w === undefined) return;
    this.waiting.delete(key);
    this.env.cancelTimer(w.timer);
    const reply: ClientReply = { ok: true, value: msg.result };
    for (const id of w.requests) this.env.reply(id, reply);
  }

  onTimer(name: string, data: Json | undefined): void {
    if (name === 'lazy-sync') {
      this.env.storage.sync(() => {});
      this.lazySyncPending = false;
      return;
    }
    const d = data as { client: string; seq: number; op: KvOp };
    const w = this.waiting.get(`${d.client}/${d.seq}`);
    if (w === undefined) return;
    w.timer = this.env.setTimer(RESEND_MS, 'resend', data);
    this.env.send(this.owner, { type: 'forward', client: d.client, seq: d.seq, op: d.op });
  }

  /** Applies (or recalls) the operation on the owner; answers once it is durable. */
  private execute(client: string, seq: number, op: KvOp, answer: (r: KvResult) => void): void {
    const key = `${client}/${seq}`;
    let result: KvResult;
    if (isKvWrite(op) && this.applied.has(key)) {
      result = this.applied.get(key) as KvResult;
    } else {
      result = applyKv(this.data, op);
      if (isKvWrite(op)) {
        this.applied.set(key, result);
        this.appliedOps++;
        const record: LogRecord = { client, seq, op };
        this.env.storage.append(record as unknown as Json);
      }
    }
    if (this.ackBeforeSync) {
      // The mutant's shortcut, as in `appendfsync everysec`: answer now, sync in a while.
      answer(result);
      if (!this.lazySyncPending) {
        this.lazySyncPending = true;
        this.env.setTimer(LAZY_SYNC_MS, 'lazy-sync');
      }
      return;
    }
    // Reads wait too: they may have seen writes that are not yet durable.
    this.env.storage.sync(() => answer(result));
  }

  inspect() {
    return {
      role: this.isOwner ? 'owner' : 'forwarder',
      keys: this.data.size,
      appliedOps: this.appliedOps,
      waiting: this.waiting.size,
    };
  }
}

export const kvSingleSystem: SystemDefinition = {
  name: 'kv-single',
  description: 'one node owns the data and syncs before answering; the others forward to it',
  workload: 'kv',
  model: 'kv',
  mutants: [
    {
      name: 'ack-before-sync',
      description:
        'the owner answers at once and syncs every 100 ms, so a crash loses acknowledged writes',
    },
  ],
  defaultNodes: 3,
  minNodes: 1,
  checkMessage: kvSingleMessageProblem,
  createNode: (options) => (env) =>
    new KvSingleNode(env as NodeEnv<Msg>, options.mutant === 'ack-before-sync'),
};
