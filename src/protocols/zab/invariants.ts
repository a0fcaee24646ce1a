/**
 * Zab's safety properties (Junqueira, Reed, Serafini, "Zab: High-performance broadcast for
 * primary-backup systems", DSN 2011: integrity, total order, agreement, local and global
 * primary order, primary integrity), checked incrementally as a run goes: every server of
 * one simulated cluster reports what it does to one shared recorder, which compares each new
 * fact with what it has seen, at O(1) per event (a leader's establishment costs one scan).
 *
 *  - One established leader per epoch (the premise of primary order).
 *  - Integrity: a server delivers only a transaction some leader broadcast at that zxid, and no
 *    two proposals share a zxid.
 *  - Total order and agreement: each server's deliveries, from its start, are a prefix of one
 *    sequence: the k-th transaction anyone delivers is the same for all. Deliveries by one
 *    server are in strictly increasing zxid order (local primary order), so no gaps and no
 *    reordering can hide.
 *  - Primary integrity: a leader of epoch e broadcasts only after delivering every transaction
 *    of an earlier epoch that anyone delivered; and no one later delivers an earlier epoch's
 *    transaction past the point where an established later leader started broadcasting.
 *
 * A restarted server delivers again from the first transaction (its state machine is rebuilt
 * from the log it is synced to), so it reports positions from 1 again. The recorder only
 * observes; nothing a server does depends on it.
 */
import type { NodeId } from '../../core/node.js';
import type { Txn } from './messages.js';
import { compareZxid, zxidKey, type Zxid } from './zxid.js';

export function txnDigest(txn: Txn): string {
  return JSON.stringify([txn.client, txn.seq, txn.op]);
}

export class ZabRecorder {
  violation: string | undefined;
  private readonly leaders = new Map<number, NodeId>();
  private readonly proposals = new Map<string, string>();
  /** The global delivery sequence: position (from 1) → `zxid|digest`, and who delivered first. */
  private readonly sequence: { readonly fact: string; readonly z: Zxid; readonly by: NodeId }[] =
    [];
  /** Established leaders: epoch and how many transactions each had delivered by then. */
  private readonly starts: { readonly epoch: number; readonly delivered: number }[] = [];

  private fail(message: string): void {
    this.violation ??= message;
  }

  established(epoch: number, id: NodeId, delivered: number): void {
    const other = this.leaders.get(epoch);
    if (other !== undefined && other !== id) {
      this.fail(`one leader per epoch: ${other} and ${id} both established epoch ${epoch}`);
      return;
    }
    this.leaders.set(epoch, id);
    this.starts.push({ epoch, delivered });
    for (let p = delivered + 1; p <= this.sequence.length; p++) {
      const s = this.sequence[p - 1];
      if (s !== undefined && s.z[0] < epoch) {
        this.fail(
          `primary integrity: ${id} starts epoch ${epoch} after ${delivered} deliveries, but ` +
            `${s.by} delivered ${zxidKey(s.z)} of an earlier epoch at position ${p}`,
        );
        return;
      }
    }
  }

  proposed(z: Zxid, txn: Txn): void {
    const key = zxidKey(z);
    const digest = txnDigest(txn);
    const seen = this.proposals.get(key);
    if (seen === undefined) this.proposals.set(key, digest);
    else if (seen !== digest) this.fail(`integrity: two proposals at zxid ${key}`);
  }

  /** `id` delivered `txn` at `z` as its `position`-th delivery, after `prev`. */
  delivered(id: NodeId, position: number, z: Zxid, prev: Zxid, txn: Txn): void {
    const key = zxidKey(z);
    const digest = txnDigest(txn);
    if (this.proposals.get(key) !== digest) {
      this.fail(`integrity: ${id} delivered ${digest} at ${key}, which no leader broadcast there`);
      return;
    }
    if (compareZxid(z, prev) <= 0) {
      this.fail(`primary order: ${id} delivered ${key} after ${zxidKey(prev)}`);
      return;
    }
    const fact = `${key}|${digest}`;
    const seen = this.sequence[position - 1];
    if (seen === undefined) {
      if (position !== this.sequence.length + 1) {
        this.fail(`total order: ${id} delivered its ${position}-th transaction with a gap`);
        return;
      }
      this.sequence.push({ fact, z, by: id });
      for (const s of this.starts) {
        if (s.epoch > z[0] && position > s.delivered) {
          this.fail(
            `primary integrity: ${id} delivered ${key} at position ${position}, after epoch ` +
              `${s.epoch} was established with ${s.delivered} deliveries`,
          );
          return;
        }
      }
    } else if (seen.fact !== fact) {
      this.fail(
        `agreement: ${id} delivered ${fact} as transaction ${position}, ${seen.by} delivered ${seen.fact}`,
      );
    }
  }
}
