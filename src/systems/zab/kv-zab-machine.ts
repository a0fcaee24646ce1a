/**
 * The key-value store a Zab ensemble replicates for `kv-zab`. Every operation, reads included,
 * is a transaction: a get is applied in zxid order like a write, so its answer is linearizable
 * (the checker's `kv` model judges the whole history). Each client's latest sequence number and
 * result are part of the replicated state, so a request proposed twice (a retry after a leader
 * change) takes effect once, on every server.
 */
import { applyKv, isKvOp, type KvOp } from '../../core/kv.js';
import type { Json } from '../../core/json.js';
import type { Txn } from '../../protocols/zab/messages.js';
import type { ZabStateMachine } from '../../protocols/zab/state-machine.js';

export class KvZabMachine implements ZabStateMachine {
  private readonly data = new Map<string, string>();
  private readonly sessions = new Map<string, { readonly seq: number; readonly result: Json }>();
  private applied = 0;

  valid(op: Json): boolean {
    return isKvOp(op);
  }

  apply(txn: Txn): Json {
    const s = this.sessions.get(txn.client);
    // Applied already (a retry proposed twice): answer from the session, change nothing.
    if (s !== undefined && txn.seq <= s.seq) return txn.seq === s.seq ? s.result : null;
    if (!isKvOp(txn.op)) return null;
    this.applied++;
    const result = applyKv(this.data, txn.op as KvOp);
    this.sessions.set(txn.client, { seq: txn.seq, result });
    return result;
  }

  recall(client: string, seq: number): { readonly result: Json } | undefined {
    const s = this.sessions.get(client);
    return s !== undefined && s.seq === seq ? { result: s.result } : undefined;
  }

  summary(): Record<string, Json> {
    return { keys: this.data.size, appliedOps: this.applied };
  }
}
