/**
 * A server's watches and how their notifications reach its clients. Watches are server-local,
 * as ZooKeeper's are: each server keeps those its own clients set, and queues, as it applies each
 * txn, the notifications the txn triggers (coordination/watches.ts decides which). The sim's
 * clients only hear from a server in answer to a request, so a session's queued notifications
 * ride on the next answer the server gives it, listed before the answer's result (`events`):
 * since every txn up to the answer's zxid has been applied, every notification those txns
 * triggered is in that list, which is ZooKeeper's ordering guarantee (a client sees the event
 * before any state that follows the change).
 */
import type { Json } from '../../core/json.js';
import type { Txn } from '../coordination/txns.js';
import { txnEvents, WatchManager, type WatchEvent } from '../coordination/watches.js';

/**
 * Deliberately broken rules, which the judge must catch:
 *  - `one-shot-stays` (the coordination code's): a one-shot watch is not removed when it fires;
 *  - `late-notify`: a session's notifications ride on the answer after the one they are due
 *    before, so the client sees the changed state first.
 */
export type DeliveryMutant = 'one-shot-stays' | 'late-notify';

export class WatchDelivery {
  readonly watches: WatchManager;
  /** `late-notify`: notifications held back from the answer they were due before. */
  private readonly held = new Map<number, WatchEvent[]>();

  constructor(private readonly mutant?: DeliveryMutant) {
    this.watches = new WatchManager(mutant === 'one-shot-stays' ? mutant : undefined);
  }

  /** Queues what an applied txn triggers; a session that ended takes its watches with it. */
  applied(txn: Txn): void {
    this.watches.trigger(txnEvents(txn));
    if (txn.body.type === 'closeSession') {
      this.watches.removeSession(txn.body.session);
      this.held.delete(txn.body.session);
    }
  }

  /**
   * `value` with the notifications due before it for `session`, and `inc` (the server's
   * incarnation, so the judge knows which watches the answering server still holds) when it
   * carries notifications or `tag` is set.
   */
  deliver(session: number, value: Json, inc: number, tag: boolean): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    if (session === 0) return tag ? { ...value, inc } : value;
    let due = this.watches.take(session);
    if (this.mutant === 'late-notify') {
      const late = this.held.get(session) ?? [];
      this.held.set(session, due);
      due = late;
    }
    if (due.length === 0) return tag ? { ...value, inc } : value;
    const events: Json = due.map((e) => ({ type: e.type, path: e.path, zxid: e.zxid }));
    return { ...value, events, inc };
  }
}
