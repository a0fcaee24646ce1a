/**
 * A Zab server's durable state, through its node's storage: the last epoch it accepted (from a
 * LEADERINFO), its current epoch (the one whose leader's history it took at NEWLEADER) and the
 * proposal log in zxid order. Every change is written at once and made durable by the caller's
 * `sync` before anything that depends on it is acknowledged. Changes are ordered so that a crash
 * between them (the disk may keep any prefix of unsynced writes) leaves a state that claims no
 * more than it holds: the current epoch is written after the history it vouches for.
 */
import type { Json } from '../../core/json.js';
import type { DurableStore } from '../../core/storage.js';
import type { Entry } from './messages.js';
import { check } from './zab-assert.js';
import { compareZxid, zxidKey, ZXID_ZERO, type Zxid } from './zxid.js';

const ACCEPTED = 'zab/acceptedEpoch';
const CURRENT = 'zab/currentEpoch';

function isCount(x: Json | undefined): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function entryOf(x: Json | undefined, index: number): Entry {
  const o = x as Record<string, Json> | undefined;
  const z = o?.z;
  const txn = o?.txn as Record<string, Json> | undefined;
  check(
    Array.isArray(z) &&
      z.length === 2 &&
      isCount(z[0]) &&
      isCount(z[1]) &&
      typeof txn === 'object' &&
      txn !== null &&
      typeof txn.client === 'string' &&
      isCount(txn.seq) &&
      txn.op !== undefined,
    'stored-state-well-formed',
    `log entry ${index}`,
  );
  return x as unknown as Entry;
}

export class ZabHistory {
  acceptedEpoch = 0;
  currentEpoch = 0;
  private log: Entry[] = [];

  constructor(private readonly storage: DurableStore) {}

  /** Reads what the storage holds (after a restart; empty on a first start). */
  load(): void {
    const a = this.storage.get(ACCEPTED);
    const c = this.storage.get(CURRENT);
    check(a === undefined || isCount(a), 'stored-state-well-formed', 'acceptedEpoch');
    check(c === undefined || isCount(c), 'stored-state-well-formed', 'currentEpoch');
    this.acceptedEpoch = isCount(a) ? a : 0;
    this.currentEpoch = isCount(c) ? c : 0;
    this.log = [];
    for (let i = this.storage.firstIndex(); i <= this.storage.lastIndex(); i++) {
      this.log.push(entryOf(this.storage.entry(i), i));
    }
    for (let i = 1; i < this.log.length; i++) {
      check(
        compareZxid((this.log[i - 1] as Entry).z, (this.log[i] as Entry).z) < 0,
        'log-in-zxid-order',
        `stored entry ${i + 1}`,
      );
    }
  }

  get length(): number {
    return this.log.length;
  }

  at(position: number): Entry | undefined {
    return this.log[position - 1];
  }

  lastZxid(): Zxid {
    return this.log[this.log.length - 1]?.z ?? ZXID_ZERO;
  }

  /** The position (from 1) of `z` in the log, 0 for the zero zxid, or undefined if absent. */
  positionOf(z: Zxid): number | undefined {
    if (compareZxid(z, ZXID_ZERO) === 0) return 0;
    let lo = 0;
    let hi = this.log.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareZxid((this.log[mid] as Entry).z, z);
      if (c === 0) return mid + 1;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** The last position whose zxid is below `z` (0 if none). */
  positionBelow(z: Zxid): number {
    let p = this.log.length;
    while (p > 0 && compareZxid((this.log[p - 1] as Entry).z, z) >= 0) p--;
    return p;
  }

  /** Entries after `position`, in order. */
  after(position: number): Entry[] {
    return this.log.slice(position);
  }

  setAcceptedEpoch(epoch: number): void {
    this.acceptedEpoch = epoch;
    this.storage.put(ACCEPTED, epoch);
  }

  setCurrentEpoch(epoch: number): void {
    this.currentEpoch = epoch;
    this.storage.put(CURRENT, epoch);
  }

  append(entry: Entry): void {
    check(
      compareZxid(entry.z, this.lastZxid()) > 0,
      'log-in-zxid-order',
      `${zxidKey(entry.z)} after ${zxidKey(this.lastZxid())}`,
    );
    this.log.push(entry);
    this.storage.append(entry as unknown as Json);
  }

  /** Drops every entry after `position`. */
  truncateAfter(position: number): void {
    if (position >= this.log.length) return;
    this.log.length = position;
    this.storage.truncateAfter(this.storage.firstIndex() - 1 + position);
  }
}
