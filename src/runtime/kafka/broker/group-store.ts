/**
 * The group coordinator on one broker: GroupCoordinator (pure, src/systems/kafka) driven by the
 * wall clock, its records kept in the internal topic `__consumer_offsets` (one partition, a
 * SegmentLog like any other), one record per Kafka record: key the record's compaction key
 * (recordKey), value its JSON. The coordinator's contract is kept: each outcome's records are
 * appended and fsync'd before any of its answers is released, and outcomes are persisted in the
 * order the coordinator produced them (appends are synchronous; fsync rounds finish in order).
 *
 * On open every record is replayed, then the log is compacted when superseded records outnumber
 * live ones (and there are at least COMPACT_MIN_RECORDS): the live records are written to a fresh
 * log beside it, fsync'd, and swapped in by directory rename. Compaction runs only on open, so a
 * long-running broker's `__consumer_offsets` grows until its next start.
 *
 * Deferred answers (a JoinGroup held until the rebalance completes, a follower's SyncGroup held
 * for the leader's) are promises keyed by request id; a tick timer set to the coordinator's
 * nextDeadline() releases what time decides (session expiry, rebalance timeouts).
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readRecordBatches, buildRecordBatch } from '../record-batch.js';
import { SegmentLog } from '../segment-log.js';
import { fsyncDirectory } from '../segment-checkpoint.js';
import {
  GroupCoordinator,
  type GroupCoordinatorOptions,
} from '../../../systems/kafka/group-coordinator.js';
import {
  parseGroupRecord,
  recordKey,
  type GroupRecord,
} from '../../../systems/kafka/group-records.js';
import type { GroupOutcome, GroupResponse } from '../../../systems/kafka/group-types.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
export const OFFSETS_DIR = `${OFFSETS_TOPIC}-0`;
const COMPACT_MIN_RECORDS = 1000;

/** Each removes one rule of the store; test/runtime/kafka/broker/group-store.test.ts catches each. */
export const GROUP_STORE_MUTANTS = [
  /** Answers are released as soon as the records are appended, before their fsync. */
  'answer-before-fsync',
  /** Records are not replayed on open. */
  'no-replay',
] as const;
export type GroupStoreMutant = (typeof GROUP_STORE_MUTANTS)[number];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function batchOf(records: readonly GroupRecord[], baseOffset: number, now: number): Uint8Array {
  return buildRecordBatch({
    baseOffset: BigInt(baseOffset),
    partitionLeaderEpoch: 0,
    baseTimestamp: BigInt(now),
    records: records.map((r) => ({
      key: encoder.encode(recordKey(r)),
      value: encoder.encode(JSON.stringify(r)),
    })),
  });
}

function* readAll(log: SegmentLog): Generator<GroupRecord> {
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { bytes, nextOffset } = log.read(offset, 1 << 20);
    if (nextOffset === offset) break;
    for (const batch of readRecordBatches(bytes)) {
      for (const r of batch.records) {
        if (r.value === null) continue;
        yield parseGroupRecord(JSON.parse(decoder.decode(r.value)));
      }
    }
    offset = nextOffset;
  }
}

interface Waiter {
  readonly resolve: (response: GroupResponse) => void;
  readonly reject: (error: Error) => void;
}

/** The store cannot answer (closing, or its records could not be made durable). */
export class GroupStoreError extends Error {
  constructor(
    readonly code: 'closed' | 'storage-failed',
    message: string,
  ) {
    super(message);
    this.name = 'GroupStoreError';
  }
}

export interface GroupStoreOptions {
  readonly coordinator: GroupCoordinatorOptions;
  readonly log?: (message: string, fields: Record<string, string | number>) => void;
  readonly mutant?: GroupStoreMutant;
  /** The clock (ms); the wall clock unless a test gives one. */
  readonly now?: () => number;
}

export interface GroupStoreLoad {
  /** Records replayed, and how many of them were live (the last of their key). */
  readonly records: number;
  readonly live: number;
  readonly compacted: boolean;
}

function openLog(dir: string, o: GroupStoreOptions): SegmentLog {
  return SegmentLog.open(dir, { retentionMs: -1, ...(o.log !== undefined ? { log: o.log } : {}) });
}

export class GroupStore {
  private readonly waiters = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private closed = false;
  private readonly now: () => number;
  /**
   * Resolves when every outcome so far is durable and answered. Answers are released in the
   * order of their outcomes, so nobody is answered from state an earlier, still unsynced
   * outcome created (an OffsetFetch waits on it too).
   */
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    readonly coordinator: GroupCoordinator,
    private readonly log: SegmentLog,
    private readonly o: GroupStoreOptions,
    readonly loaded: GroupStoreLoad,
  ) {
    this.now = o.now ?? Date.now;
    this.settle(this.coordinator.tick(this.now()));
  }

  /** Opens `<dataDir>/__consumer_offsets-0`, replays it, compacts it when worth it. */
  static async open(dataDir: string, o: GroupStoreOptions): Promise<GroupStore> {
    if (o.mutant !== undefined && !GROUP_STORE_MUTANTS.includes(o.mutant)) {
      throw new RangeError(`unknown group store mutant ${String(o.mutant)}`);
    }
    cleanLeftovers(dataDir);
    const dir = join(dataDir, OFFSETS_DIR);
    let log = openLog(dir, o);
    const coordinator = new GroupCoordinator(o.coordinator);
    const live = new Map<string, GroupRecord>();
    let records = 0;
    try {
      if (o.mutant !== 'no-replay') {
        for (const r of readAll(log)) {
          coordinator.replay(r);
          records++;
          const key = recordKey(r);
          live.delete(key); // keeps the map in order of each key's last write
          live.set(key, r);
        }
      }
    } catch (e) {
      await log.close();
      throw e;
    }
    let compacted = false;
    if (records >= COMPACT_MIN_RECORDS && live.size * 2 < records) {
      await log.close();
      await compact(dataDir, [...live.values()], (o.now ?? Date.now)());
      log = openLog(dir, o);
      compacted = true;
    }
    return new GroupStore(coordinator, log, o, { records, live: live.size, compacted });
  }

  /** Persists `out.records`, then releases its answers (after every earlier outcome's). */
  private settle(out: GroupOutcome): void {
    let durable: Promise<unknown> = Promise.resolve();
    if (out.records.length > 0) {
      try {
        this.log.append(batchOf(out.records, this.log.logEndOffset, this.now()));
        if (this.o.mutant !== 'answer-before-fsync') durable = this.log.flush();
      } catch (e) {
        durable = Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
    const after = this.tail.then(() => durable);
    this.tail = after.then(
      () => this.release(out),
      (e: unknown) => this.fail(out, e),
    );
    this.schedule();
  }

  private release(out: GroupOutcome): void {
    for (const ev of out.events) {
      const w = this.waiters.get(ev.requestId);
      if (w === undefined) continue;
      this.waiters.delete(ev.requestId);
      w.resolve(ev.response);
    }
  }

  /** The records did not reach the disk: what their answers promised is not kept. */
  private fail(out: GroupOutcome, e: unknown): void {
    this.o.log?.('kafka broker: group records not persisted', { error: String(e) });
    for (const ev of out.events) {
      const w = this.waiters.get(ev.requestId);
      if (w === undefined) continue;
      this.waiters.delete(ev.requestId);
      w.reject(new GroupStoreError('storage-failed', `group records not persisted: ${String(e)}`));
    }
  }

  /** Runs `call` on the coordinator with a fresh request id; resolves to that request's answer. */
  ask<R extends GroupResponse>(call: (requestId: string, now: number) => GroupOutcome): Promise<R> {
    if (this.closed) return Promise.reject(new GroupStoreError('closed', 'group store closed'));
    const requestId = `r${this.nextId++}`;
    const answer = new Promise<R>((resolve, reject) => {
      this.waiters.set(requestId, { resolve: resolve as (r: GroupResponse) => void, reject });
    });
    let out: GroupOutcome;
    try {
      out = call(requestId, this.now());
    } catch (e) {
      // A request the coordinator refuses outright (GroupRequestError): nothing to wait for.
      this.waiters.delete(requestId);
      throw e;
    }
    this.settle(out);
    return answer;
  }

  /** The records appended and the records fsync'd, as offsets of `__consumer_offsets`. */
  durability(): { readonly appended: number; readonly synced: number } {
    return { appended: this.log.logEndOffset, synced: this.log.syncedOffset };
  }

  /** A read of the coordinator once everything it reflects is durable. */
  async read<T>(query: (c: GroupCoordinator) => T): Promise<T> {
    if (this.closed) throw new GroupStoreError('closed', 'group store closed');
    await this.tail;
    return query(this.coordinator);
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    const at = this.coordinator.nextDeadline();
    if (at === null) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.settle(this.coordinator.tick(this.now()));
      },
      Math.max(0, at - this.now()),
    );
  }

  /** Held answers are refused (the client finds its coordinator again); the log is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.tail;
    for (const [id, w] of this.waiters) {
      this.waiters.delete(id);
      w.reject(new GroupStoreError('closed', 'broker shutting down'));
    }
    await this.log.close();
  }
}

/**
 * Rewrites `live` into `<dir>.compact`, closes it (flush and recovery point), then swaps it in:
 * `<dir>` → `<dir>.old`, `<dir>.compact` → `<dir>`. A crash at any point leaves one whole log
 * that `cleanLeftovers` finds on the next open.
 */
async function compact(dataDir: string, live: readonly GroupRecord[], now: number): Promise<void> {
  const dir = join(dataDir, OFFSETS_DIR);
  const fresh = `${dir}.compact`;
  const next = SegmentLog.open(fresh, { retentionMs: -1 });
  for (let i = 0; i < live.length; i += 100) {
    next.append(batchOf(live.slice(i, i + 100), next.logEndOffset, now));
  }
  await next.close();
  renameSync(dir, `${dir}.old`);
  renameSync(fresh, dir);
  fsyncDirectory(dataDir);
  rmSync(`${dir}.old`, { recursive: true, force: true });
}

/** Finishes or undoes a compaction a crash interrupted. */
export function cleanLeftovers(dataDir: string): void {
  const dir = join(dataDir, OFFSETS_DIR);
  const old = `${dir}.old`;
  // Renamed away but the new one not yet in: the old log is still the truth.
  if (!existsSync(dir) && existsSync(old)) renameSync(old, dir);
  rmSync(old, { recursive: true, force: true });
  rmSync(`${dir}.compact`, { recursive: true, force: true });
}
