/**
 * Starting a member from a snapshot file (`truthkit node|cluster up --from-snapshot FILE`), as
 * `etcdctl snapshot restore` makes a new member's data directory from one. The file is checked
 * (snapshot-file.ts) and copied into the new member's data directory; at every start of that
 * member, before its node starts, its state machine is restored from the copy, and its log
 * replays on top. Once Raft has taken a snapshot of its own it restores that over the copy.
 * Every member of the new cluster must start from the same file: their logs begin at index 1
 * from the same state, as etcd's restored members begin from the same database.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../../core/json.js';
import { fsyncDir, WAL_FILE } from '../wal.js';
import { decodeSnapshot, type SnapshotMeta } from './snapshot-file.js';
import { machineSnapshotOf, restoreStoreState } from './store-state.js';

/** The copy of the snapshot a restored member keeps in its data directory. */
export const SEED_FILE = 'restored-from.snapshot';

/** Why --from-snapshot cannot be used here (a data directory that already has a log). */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

/** Reads and checks a snapshot file (throws SnapshotFileError, one line). */
export function readSnapshotFile(file: string): { meta: SnapshotMeta; state: Json; bytes: Buffer } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new RestoreRefusedError(`--from-snapshot: ${(e as Error).message}`);
  }
  return { ...decodeSnapshot(bytes, file), bytes };
}

/**
 * The restore to run on the node before it starts, or undefined when the member was not made
 * from a snapshot. With `fromSnapshot`, the data directory must hold no log yet: the file is
 * checked, then copied in (written, fsynced, renamed, directory fsynced).
 */
export function seedFor(
  dataDir: string,
  fromSnapshot: string | undefined,
): ((node: unknown) => void) | undefined {
  const seed = join(dataDir, SEED_FILE);
  let snapshot: Json;
  if (fromSnapshot !== undefined) {
    if (existsSync(join(dataDir, WAL_FILE))) {
      throw new RestoreRefusedError(
        `--from-snapshot: ${dataDir} already holds a write-ahead log (a restore makes a new member)`,
      );
    }
    const read = readSnapshotFile(fromSnapshot);
    snapshot = machineSnapshotOf(read.state, fromSnapshot);
    mkdirSync(dataDir, { recursive: true });
    const tmp = `${seed}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      for (let off = 0; off < read.bytes.length;) off += writeSync(fd, read.bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, seed);
    fsyncDir(dataDir);
  } else if (existsSync(seed)) {
    snapshot = machineSnapshotOf(decodeSnapshot(readFileSync(seed), seed).state, seed);
  } else {
    return undefined;
  }
  return (node) => restoreStoreState(node, snapshot);
}
