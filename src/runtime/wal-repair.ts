/**
 * `truthkit wal repair`: cutting a damaged write-ahead log on purpose. A node refuses to start on
 * a corrupt record (it may hold an acknowledged write, so dropping it silently would be a lie);
 * an operator who accepts the loss cuts the log at that record with this, and is told exactly
 * what goes: the damaged record and every intact record after it. The original file is kept
 * beside the log so nothing is destroyed that a person might still want to read.
 */
import { closeSync, copyFileSync, fsyncSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StoreOp } from '../core/storage.js';
import {
  fsyncDir,
  HEADER,
  LOCK_FILE,
  parseOp,
  readRecord,
  recoverWal,
  releaseLock,
  takeLock,
  WAL_FILE,
  WalCorruptionError,
  type WalDamage,
} from './wal.js';

/** What a cut loses, in the terms of the store: keys whose puts go, log entries that go. */
export interface LostRecords {
  /** Intact records after the damaged one (all lost with it). */
  readonly records: number;
  /** Keys whose puts were in those records (their older values come back). */
  readonly keys: readonly string[];
  /** Log entries appended by those records. */
  readonly entries: number;
  /** Other ops (deletes, truncations, compactions) in them. */
  readonly otherOps: number;
}

export type RepairReport =
  | { readonly file: string; readonly repaired: false; readonly records: number }
  | {
      readonly file: string;
      readonly repaired: true;
      readonly damage: WalDamage;
      readonly reason: string;
      readonly cutAt: number;
      readonly bytesCut: number;
      /** The whole file as it was, kept for a person to read. */
      readonly backup: string;
      readonly lost: LostRecords;
      /** Records left in the log after the cut. */
      readonly records: number;
    };

/** Thrown when the log cannot be repaired by a cut (it is not a truthkit log at all). */
export class WalRepairError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalRepairError';
  }
}

/** The intact records from `from` on, found by sliding over damage a byte at a time. */
function lostAfter(buf: Buffer, from: number): LostRecords {
  const keys = new Set<string>();
  let records = 0;
  let entries = 0;
  let otherOps = 0;
  let p = from + 1; // the damaged record itself holds nothing readable
  while (p + HEADER < buf.length) {
    const r = readRecord(buf, p);
    if (!('end' in r)) {
      p++;
      continue;
    }
    const op: StoreOp | undefined = parseOp(buf.subarray(p + HEADER, r.end));
    if (op !== undefined) {
      records++;
      if (op.kind === 'put') keys.add(op.key);
      else if (op.kind === 'append') entries += op.entries.length;
      else otherOps++;
    }
    p = r.end;
  }
  return { records, keys: [...keys].sort(), entries, otherOps };
}

/**
 * Repairs the log in `dir` (a node's data directory, or the log file itself): nothing when it
 * recovers as it is (a torn tail is cut by every open anyway); otherwise keeps a copy of the
 * file, cuts it at the first damaged record, and says what was lost. Refuses while a live
 * process holds the directory.
 */
export function repairWal(dirOrFile: string): RepairReport {
  const file = dirOrFile.endsWith(WAL_FILE) ? dirOrFile : join(dirOrFile, WAL_FILE);
  const dir = dirname(file);
  const lock = join(dir, LOCK_FILE);
  takeLock(lock);
  try {
    let damage: WalCorruptionError;
    try {
      return { file, repaired: false, records: recoverWal(file).records };
    } catch (e) {
      if (!(e instanceof WalCorruptionError)) throw e;
      damage = e;
    }
    if (damage.code === 'bad-magic') {
      throw new WalRepairError(`${file} is not a truthkit write-ahead log: nothing to cut`);
    }
    const buf = readFileSync(file);
    const lost = lostAfter(buf, damage.offset);
    const backup = `${file}.damaged-at-${damage.offset}`;
    copyFileSync(file, backup);
    const fd = openSync(file, 'r+');
    try {
      ftruncateSync(fd, damage.offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    fsyncDir(dir);
    // What is left must now recover cleanly: everything before the first damage was intact.
    const left = recoverWal(file);
    return {
      file,
      repaired: true,
      damage: damage.code,
      reason: damage.reason,
      cutAt: damage.offset,
      bytesCut: buf.length - damage.offset,
      backup,
      lost,
      records: left.records,
    };
  } finally {
    releaseLock(lock);
  }
}
