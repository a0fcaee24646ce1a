/**
 * Maintenance.HashKV: a hash of a member's MVCC keys up to a revision, which every member that
 * has applied that revision (and the same compaction) computes alike — what etcd's corruption
 * check compares across members. etcd hashes the key bucket's records (every retained version
 * at or below the revision) with CRC-32C; this hashes the same information as the store keeps
 * it — the state at the compacted revision, then every event after it up to the revision —
 * with SHA-256, cut to etcd's uint32. It reads the member's store through its WatchSource only
 * (a Range at the compacted revision, the events since), so it does not depend on how the
 * machine's snapshots are laid out.
 */
import { createHash } from 'node:crypto';
import type { KeyValue, WatchSource } from '../../systems/etcd/etcd-ops.js';

export interface KvHash {
  readonly hash: number;
  readonly compactRevision: number;
  /** The revision hashed up to (the current one when 0 was asked for). */
  readonly revision: number;
}

function kvText(kv: KeyValue): string {
  return JSON.stringify([
    kv.key,
    kv.create_revision,
    kv.mod_revision,
    kv.version,
    kv.value,
    kv.lease,
  ]);
}

/**
 * The hash of the store's keys up to `revision` (0 = now), or etcd's refusal: 'future' past
 * the current revision, 'compacted' at or below the compacted one (etcd's HashByRev refuses
 * the compacted revision itself, unlike Range).
 */
export function hashKV(source: WatchSource, revision: number): KvHash | 'future' | 'compacted' {
  const current = source.revision();
  const compacted = source.compactRevision();
  if (revision > current) return 'future';
  if (revision > 0 && revision <= compacted) return 'compacted';
  const upTo = revision === 0 ? current : revision;
  const h = createHash('sha256');
  if (compacted > 0) {
    const base = source.range({ key: '\0', range_end: '\0', revision: compacted });
    if (!('kvs' in base)) throw new Error(`hashKV: the compacted revision is unreadable`);
    for (const kv of base.kvs) h.update(`base ${kvText(kv)}\n`, 'utf8');
  }
  const events = source.eventsSince(compacted + 1, '\0', '\0');
  if (events === 'compacted') throw new Error('hashKV: compacted while hashing');
  for (const e of events) {
    if (e.kv.mod_revision > upTo) break;
    h.update(`${e.type} ${kvText(e.kv)}\n`, 'utf8');
  }
  return { hash: h.digest().readUInt32BE(0), compactRevision: compacted, revision: upTo };
}
