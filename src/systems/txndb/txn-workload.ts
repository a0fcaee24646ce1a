/**
 * The transactional database's workload: Elle's list-append or read-write-register transactions
 * (Kingsbury & Alvaro, VLDB 2020) over keys spread across every range, so most transactions
 * with more than one micro-op cross ranges. Written values are unique across the run, as Elle
 * requires: they encode the client, its transaction count and the micro-op's place.
 */
import type { Json } from '../../core/json.js';
import type { Random } from '../../core/random.js';

export type TxnWorkload = 'list-append' | 'rw-register';

/** Twelve keys, split by the default ranges into three ranges of four. */
export const TXN_KEYS: readonly string[] = Array.from(
  { length: 12 },
  (_, i) => `k${String(i).padStart(2, '0')}`,
);
export const DEFAULT_SPLITS: readonly string[] = ['k04', 'k08'];

const MAX_MOPS = 4;
const VALUE_SLOTS = 10;
const CLIENT_SLOTS = 10_000;

export function nextTxn(
  workload: TxnWorkload,
  random: Random,
  process: number,
  issued: number,
): Json {
  if (process >= CLIENT_SLOTS) throw new RangeError(`client ${process} is beyond the value space`);
  const n = 1 + random.int(MAX_MOPS);
  const mops: Json[] = [];
  for (let i = 0; i < n; i++) {
    // A third of the micro-ops land on three hot keys (one per range), so transactions meet.
    const key = random.chance(1 / 3) ? TXN_KEYS[4 * random.int(3)]! : random.pick(TXN_KEYS);
    const value = (issued * CLIENT_SLOTS + process) * VALUE_SLOTS + i + 1;
    if (random.chance(0.5)) mops.push([workload === 'list-append' ? 'append' : 'w', key, value]);
    else mops.push(['r', key, null]);
  }
  return { f: 'txn', value: mops };
}
