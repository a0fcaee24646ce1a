/**
 * InstallSnapshot in chunks (§5.3). The leader serializes its latest snapshot once and sends
 * it to a lagging follower one chunk at a time, each answered with how much the follower has;
 * a lost chunk or answer is resent from the follower's offset on the next heartbeat. The
 * follower installs the snapshot only once the last chunk arrived, and answers "installed"
 * only after the install is durable.
 */
import type { Json } from '../../core/json.js';
import type { Membership, Snapshot } from './messages.js';

/** The leader's transfer of one snapshot to one follower. */
export class SnapshotSender {
  /** Offset the follower last reported having: where the next chunk starts. */
  acked = 0;
  /** Local time the last chunk went out. */
  sentAt = -Infinity;
  /** The `received` that acknowledges the chunk sent last (-1 before the first). */
  private expected = -1;

  constructor(
    readonly snapshot: Snapshot,
    readonly serialized: string,
  ) {}

  chunk(chunkSize: number): { offset: number; chunk: string; done: boolean } {
    const end = Math.min(this.serialized.length, this.acked + chunkSize);
    this.expected = end;
    return {
      offset: this.acked,
      chunk: this.serialized.slice(this.acked, end),
      done: end === this.serialized.length,
    };
  }

  /**
   * Records the follower's answer; true when it acknowledges the chunk sent last, so the next
   * one should go now. Any other answer (a duplicate, a late one, a follower that restarted)
   * only moves `acked`, for the resend on the next heartbeat. Sending a chunk for every
   * answer would let duplicated answers multiply the chunks in flight without bound — TFTP's
   * Sorcerer's Apprentice bug, which a duplicating network turns into a message storm.
   */
  answered(received: number): boolean {
    this.acked = received;
    return received === this.expected;
  }
}

/** The follower's half: reassembles chunks of one snapshot. */
export class SnapshotReceiver {
  private parts: string[] = [];
  private length = 0;
  private key = '';

  /**
   * Takes one chunk. Returns the complete snapshot when this chunk finished it, otherwise
   * null; `received` then says which offset to ask for next.
   */
  take(
    term: number,
    index: number,
    snapTerm: number,
    config: Membership,
    offset: number,
    chunk: string,
    done: boolean,
  ): Snapshot | { readonly malformed: string } | null {
    const key = `${term}/${index}/${snapTerm}`;
    if (key !== this.key || offset === 0) {
      // A new transfer (or a restart of one): only its first chunk can begin it.
      this.reset();
      this.key = key;
      if (offset !== 0) return null;
    }
    if (offset !== this.length) return null;
    this.parts.push(chunk);
    this.length += chunk.length;
    if (!done) return null;
    const text = this.parts.join('');
    this.reset();
    let data: Json;
    try {
      data = JSON.parse(text) as Json;
    } catch {
      return { malformed: 'its chunks do not join into JSON' };
    }
    return { index, term: snapTerm, config, data };
  }

  get received(): number {
    return this.length;
  }

  reset(): void {
    this.key = '';
    this.parts = [];
    this.length = 0;
  }
}
