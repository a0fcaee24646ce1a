/**
 * The memo that makes the search practical: every (set of linearized operations, state) pair
 * already explored. Reaching the same pair again by a different order of operations can only
 * lead to the same dead ends, so the search skips it (Lowe's improvement to Wing & Gong).
 *
 * An open-addressing table over typed arrays: an entry's bitset lives in one shared pool, so
 * adding an entry allocates nothing but (occasionally) a bigger pool. A hit is confirmed by
 * comparing the bitset and the state exactly, so a hash collision costs time, never
 * correctness.
 */
export class SearchCache {
  /** Slot → entry index + 1 (0 = empty). */
  private slots: Int32Array;
  private hashes: Int32Array;
  private states: unknown[] = [];
  private bitsPool: Uint32Array;
  size = 0;

  constructor(
    /** Words per bitset. */
    private readonly words: number,
    private readonly equalStates: (a: unknown, b: unknown) => boolean,
    /** Operations in the partition: a first guess at how many entries it will need. */
    ops: number,
  ) {
    const entries = initialEntries(ops);
    this.slots = new Int32Array(2 * entries);
    this.hashes = new Int32Array(entries);
    this.bitsPool = new Uint32Array(entries * Math.max(1, words));
  }

  /** Entries there is room for before the arrays grow. */
  get capacity(): number {
    return this.hashes.length;
  }

  /** Records (bits, state) under `hash`; false when it was already there. */
  add(hash: number, bits: Uint32Array, state: unknown): boolean {
    const { slots, hashes, bitsPool, words } = this;
    const mask = slots.length - 1;
    let slot = (hash ^ (hash >>> 16)) & mask;
    for (let e = slots[slot] as number; e !== 0; e = slots[slot] as number) {
      const entry = e - 1;
      if (hashes[entry] === hash) {
        let same = true;
        const base = entry * words;
        for (let w = 0; w < words; w++) {
          if (bitsPool[base + w] !== bits[w]) {
            same = false;
            break;
          }
        }
        if (same && this.equalStates(this.states[entry], state)) return false;
      }
      slot = (slot + 1) & mask;
    }
    const entry = this.size++;
    if (entry >= hashes.length) this.growEntries();
    this.hashes[entry] = hash;
    this.states[entry] = state;
    this.bitsPool.set(bits, entry * words);
    slots[slot] = entry + 1;
    // Keep the table at most half full so probe sequences stay short.
    if (this.size * 2 > slots.length) this.growSlots();
    return true;
  }

  private growEntries(): void {
    const hashes = new Int32Array(this.hashes.length * 2);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const pool = new Uint32Array(this.bitsPool.length * 2);
    pool.set(this.bitsPool);
    this.bitsPool = pool;
  }

  private growSlots(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let entry = 0; entry < this.size; entry++) {
      const hash = this.hashes[entry] as number;
      let slot = (hash ^ (hash >>> 16)) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = entry + 1;
    }
    this.slots = slots;
  }
}

/**
 * Room for entries at the start: a search of n operations adds at least n entries when the
 * history is valid, so 2n rounded up to a power of two, between 16 and 512 (above that, the
 * doubling costs less than memory allocated and zeroed for searches that stop early). Most
 * partitions a simulator judges have tens of operations; a fixed 512 entries with their
 * bitsets was most of what such a partition allocated.
 */
export function initialEntries(ops: number): number {
  let entries = 16;
  while (entries < 2 * ops && entries < 512) entries *= 2;
  return entries;
}
