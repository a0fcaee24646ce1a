/**
 * Fetches parked until their partitions have enough bytes (Kafka's fetch purgatory). A parked
 * fetch is re-tried only when a partition it reads advances its high watermark, and answered by a
 * timer when its maxWait passes: a consumer waiting on an empty partition costs one request per
 * maxWait, not a busy loop.
 */
export interface ParkedFetch {
  /** Partition keys ("topic\0partition") whose progress may complete it. */
  readonly keys: readonly string[];
  /** Tries the fetch: true when it answered (enough bytes, or an error). */
  readonly attempt: () => boolean;
  /** Answers with whatever there is (maxWait passed, or the broker closes). */
  readonly expire: () => void;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class FetchWaiters {
  private readonly byKey = new Map<string, Set<ParkedFetch>>();
  private readonly timers = new Map<ParkedFetch, NodeJS.Timeout>();

  park(fetch: ParkedFetch, maxWaitMs: number): void {
    for (const k of fetch.keys) {
      let set = this.byKey.get(k);
      if (set === undefined) this.byKey.set(k, (set = new Set()));
      set.add(fetch);
    }
    this.timers.set(
      fetch,
      setTimeout(() => {
        this.remove(fetch);
        fetch.expire();
      }, maxWaitMs),
    );
  }

  /** The high watermark of `key` moved (or the partition went away): re-try its fetches. */
  progressed(key: string): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    for (const f of [...set]) {
      if (f.attempt()) this.remove(f);
    }
  }

  /** Answers every parked fetch now. */
  expireAll(): void {
    for (const f of [...this.timers.keys()]) {
      this.remove(f);
      f.expire();
    }
  }

  get size(): number {
    return this.timers.size;
  }

  private remove(f: ParkedFetch): void {
    const t = this.timers.get(f);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(f);
    for (const k of f.keys) {
      const set = this.byKey.get(k);
      set?.delete(f);
      if (set?.size === 0) this.byKey.delete(k);
    }
  }
}
