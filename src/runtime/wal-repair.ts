/**
 * `truthkit wal repair`: cutting a damaged write-ahead log on purpose. A node refuses to start on
 * a corrupt record (it may hold an acknowledged write, so dropping it silently would be a lie);
 * an operator who accepts the loss cuts the log at that record with this, and is told exactly
 * what goes: the damaged record and every intact record after it. The original file is kept
 * beside the log so nothing is destroyed that a person might still want to read. A log found
 * shorter than its durable mark (cut or replaced after the fact) is accepted as it is by lowering
 * the mark, and the report says how many durable bytes that gives up.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { DurableMark, MARK_FILE, readMark } from './wal-mark.js';
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
  type DiskOp,
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

/** The first damaged record, cut with everything after it. */
export interface RepairCut {
  readonly damage: WalDamage;
  readonly reason: string;
  readonly at: number;
  readonly bytes: number;
  /** The whole file as it was, kept for a person to read. */
  readonly backup: string;
  readonly lost: LostRecords;
}

export interface RepairReport {
  readonly file: string;
  /** Whether anything was changed. */
  readonly repaired: boolean;
  readonly cut?: RepairCut;
  /**
   * The durable mark lowered to what the log holds: bytes that were durable are gone (the log
   * was cut or replaced before this repair), and starting anyway is accepted.
   */
  readonly markLowered?: { readonly from: number; readonly to: number };
  /** Records in the log after the repair. */
  readonly records: number;
}

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
    const op: DiskOp | undefined = parseOp(buf.subarray(p + HEADER, r.end));
    if (op !== undefined) {
      records++;
      // A value in parts goes with any one of its records (its end record completes it).
      if (
        op.kind === 'put' ||
        op.kind === 'part' ||
        op.kind === 'parts-end' ||
        op.kind === 'parts-file'
      )
        keys.add(op.key);
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
    if (!existsSync(file)) {
      throw new WalRepairError(
        `${file} is missing: there is nothing to repair (to start this member with no state, ` +
          'remove its data directory; a cluster member must then rejoin as a new member)',
      );
    }
    let left: ReturnType<typeof recoverWal>;
    let cut: RepairCut | undefined;
    try {
      left = recoverWal(file);
    } catch (e) {
      if (!(e instanceof WalCorruptionError)) throw e;
      if (e.code === 'bad-magic') {
        throw new WalRepairError(`${file} is not a truthkit write-ahead log: nothing to cut`);
      }
      // The damage is in a snapshot file, not the log: cutting the log cannot bring back the
      // entries the snapshot stood for (they were compacted away).
      if (e.code === 'missing-snapshot' || e.code === 'bad-snapshot') {
        throw new WalRepairError(
          `${e.message}; the log's entries before that snapshot are gone, so no cut of the log ` +
            'repairs it: restore the file, or remove this data directory and rejoin the member',
        );
      }
      cut = cutAt(file, e);
      // What is left must now recover cleanly: everything before the first damage was intact.
      left = recoverWal(file);
    }
    const markFile = join(dir, MARK_FILE);
    const mark = readMark(markFile);
    let markLowered: RepairReport['markLowered'];
    const markBytes = mark === undefined ? undefined : 'bad' in mark ? Infinity : mark.bytes;
    if (markBytes !== undefined && markBytes > left.validBytes) {
      const m = new DurableMark(markFile, left.validBytes, (e) => {
        throw e;
      });
      m.close();
      markLowered = { from: markBytes, to: left.validBytes };
    }
    return {
      file,
      repaired: cut !== undefined || markLowered !== undefined,
      ...(cut !== undefined ? { cut } : {}),
      ...(markLowered !== undefined ? { markLowered } : {}),
      records: left.records,
    };
  } finally {
    releaseLock(lock);
  }
}

/** Keeps a copy of the file, then cuts it at the damaged record `damage` names. */
function cutAt(file: string, damage: WalCorruptionError): RepairCut {
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
  fsyncDir(dirname(file));
  return {
    damage: damage.code,
    reason: damage.reason,
    at: damage.offset,
    bytes: buf.length - damage.offset,
    backup,
    lost,
  };
}
