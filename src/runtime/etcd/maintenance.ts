/**
 * The Maintenance calls tools make besides Status and Alarm: Snapshot (`etcdctl snapshot save`),
 * HashKV and Hash (`etcdctl endpoint hashkv`, etcd's corruption checks), MoveLeader (`etcdctl
 * move-leader`) and Defragment (`etcdctl defrag`). Each is answered by the member it is sent
 * to, from its own state, as etcd's are; MoveLeader only by the leader.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import type { Json } from '../../core/json.js';
import type { ClientReply, NodeId } from '../../core/node.js';
import { watchSourceOf, type WatchSource } from '../../systems/etcd/etcd-ops.js';
import { EtcdFault, fault, toStatus, type HeaderFields } from './codec.js';
import { hashKV } from './kv-hash.js';
import { malformedOf } from './proto.js';
import { encodeSnapshot } from './snapshot-file.js';
import { storeStateOf } from './store-state.js';
import type { NodeGateway } from './sessions.js';

type Msg = Record<string, unknown>;

/** Blob bytes per SnapshotResponse: etcd's snapshotSendBufferSize (32 KiB). */
export const SNAPSHOT_CHUNK = 32 * 1024;
/** Snapshots a member sends at once; more are refused as etcd refuses a flood (too many requests). */
const MAX_SNAPSHOTS = 2;
/** How often MoveLeader looks whether the transferee leads yet (etcd: every tick). */
const MOVE_POLL_MS = 20;

/** etcd's answers for MoveLeader (rpctypes: ErrGRPCNotLeader, …BadLeaderTransferee, …). */
const NOT_LEADER = (): EtcdFault =>
  new EtcdFault(grpc.status.FAILED_PRECONDITION, 'etcdserver: not leader');
const BAD_TRANSFEREE = (): EtcdFault =>
  new EtcdFault(grpc.status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee');
/** Not in etcd's toGRPCErrorMap, so its togRPCError answers it as UNKNOWN with this text. */
const TRANSFER_TIMEOUT = (): EtcdFault =>
  new EtcdFault(
    grpc.status.UNKNOWN,
    'etcdserver: request timed out, leader transfer took too long',
  );

export interface MaintenanceHost extends Pick<NodeGateway, 'id' | 'submitLocal'> {
  readonly members: readonly NodeId[];
  node(): unknown;
  inspect(): Record<string, Json> | null;
  /** Rewrites the member's write-ahead log as its live state (etcd's defragmentation). */
  defragment?(): Promise<void>;
  log(message: string, fields: Record<string, Json>): void;
}

export interface MaintenanceOptions {
  readonly header: () => HeaderFields;
  readonly memberId: (id: NodeId) => number;
  /** The leader this member knows, as Status reports it (none while campaigning). */
  readonly leaderOf: (view: Record<string, Json> | null) => string | null;
  readonly deadlineOf: (call: { getDeadline(): grpc.Deadline }) => number;
}

export class Maintenance {
  /** A client of its own for the Raft admin ops it submits (leadership transfer). */
  private readonly adminClient: string;
  private adminSeq = 0;
  private snapshotsInFlight = 0;
  readonly stats = { snapshots: 0, snapshotBytes: 0, hashes: 0, moves: 0, defrags: 0 };

  constructor(
    private readonly host: MaintenanceHost,
    private readonly o: MaintenanceOptions,
  ) {
    this.adminClient = `etcd-admin/${host.id}/${randomBytes(6).toString('hex')}`;
  }

  /** The handlers, for the Maintenance service's implementation. */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      Snapshot: (call: grpc.ServerWritableStream<Msg, Msg>) => {
        const malformed = malformedOf(call.request);
        if (malformed !== undefined) return call.emit('error', toStatus(malformed));
        // Each holds a whole encoded copy of the store until it is sent: a few at a time.
        if (this.snapshotsInFlight >= MAX_SNAPSHOTS) {
          return call.emit(
            'error',
            toStatus(
              new EtcdFault(grpc.status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'),
            ),
          );
        }
        this.snapshotsInFlight++;
        this.snapshot(call)
          .catch((e: unknown) => {
            if (!call.destroyed && !call.writableEnded) call.emit('error', toStatus(e));
          })
          .finally(() => this.snapshotsInFlight--);
      },
      HashKV: this.unary((req) => this.hashKV(req)),
      Hash: this.unary(() => this.hash()),
      MoveLeader: this.unary((req, deadline) => this.moveLeader(req, deadline)),
      Defragment: this.unary((_req, deadline) => this.defragment(deadline)),
    };
  }

  private unary(
    fn: (req: Msg, deadline: number) => Promise<Msg> | Msg,
  ): grpc.handleUnaryCall<Msg, Msg> {
    return (call, cb) => {
      const malformed = malformedOf(call.request);
      if (malformed !== undefined) return cb(toStatus(malformed));
      Promise.resolve()
        .then(() => fn(call.request, this.o.deadlineOf(call)))
        .then(
          (res) => cb(null, res),
          (e: unknown) => cb(toStatus(e)),
        );
    };
  }

  private source(): WatchSource {
    const s = watchSourceOf(this.host.node());
    if (s === undefined) throw new EtcdFault(grpc.status.UNAVAILABLE, 'etcdserver: server stopped');
    return s;
  }

  private header(source: WatchSource): HeaderFields & { revision: number } {
    return { ...this.o.header(), revision: source.revision() };
  }

  /**
   * The member's store as of now, streamed in SNAPSHOT_CHUNK pieces with `remaining_bytes`
   * counting down to 0, as etcd streams its database; the writes wait for the stream to drain.
   */
  private async snapshot(call: grpc.ServerWritableStream<Msg, Msg>): Promise<void> {
    if (call.cancelled || call.destroyed) return;
    const source = this.source();
    const state = storeStateOf(this.host.node());
    const header = this.header(source);
    const view = this.host.inspect();
    const encoded = await encodeSnapshot(state as unknown as Json, {
      revision: source.revision(),
      compactRevision: source.compactRevision(),
      keys: typeof view?.keys === 'number' ? view.keys : 0,
      member: this.host.id,
      taken: new Date().toISOString(),
    });
    this.stats.snapshots++;
    let gone = false;
    const stop = (): void => {
      gone = true;
    };
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
    let remaining = encoded.bytes;
    let first = true;
    for (const blob of chunks(encoded.parts, SNAPSHOT_CHUNK)) {
      if (gone || call.cancelled) return;
      remaining -= blob.length;
      this.stats.snapshotBytes += blob.length;
      const more = call.write({
        ...(first ? { header } : {}),
        remaining_bytes: remaining,
        blob,
      });
      first = false;
      if (!more) {
        // Until there is room again, or the client is gone (then nothing waits forever).
        await new Promise<void>((resolve) => {
          const events = ['drain', 'close', 'cancelled', 'error'] as const;
          const done = (): void => {
            for (const e of events) call.off(e, done);
            resolve();
          };
          for (const e of events) call.on(e, done);
        });
      }
    }
    this.host.log('etcd: snapshot sent', { bytes: encoded.bytes, revision: header.revision });
    call.end();
  }

  private hashKV(req: Msg): Msg {
    this.stats.hashes++;
    const source = this.source();
    const r = hashKV(source, Number(req.revision ?? 0));
    if (r === 'future') throw fault('futureRev');
    if (r === 'compacted') throw fault('compacted');
    return { header: this.header(source), hash: r.hash, compact_revision: r.compactRevision };
  }

  /** etcd's Hash covers its whole backend; here, the store and the leases. */
  private hash(): Msg {
    this.stats.hashes++;
    const source = this.source();
    const text = JSON.stringify(storeStateOf(this.host.node()));
    const hash = createHashOf(text);
    return { header: this.header(source), hash };
  }

  /**
   * Hands leadership to the member `targetID` on Raft's transfer (§3.10: the leader brings the
   * target's log up to date, then tells it to campaign at once), and answers once this member
   * sees the target lead, as etcd's MoveLeader waits for it.
   */
  private async moveLeader(req: Msg, deadline: number): Promise<Msg> {
    const source = this.source();
    const targetId = Number(req.targetID ?? 0);
    const target = this.host.members.find((id) => this.o.memberId(id) === targetId);
    const view = this.host.inspect();
    if (target === undefined) throw BAD_TRANSFEREE();
    if (view?.role !== 'leader') throw NOT_LEADER();
    const voters = Array.isArray(view.voters) ? view.voters : [];
    if (!voters.includes(target)) throw BAD_TRANSFEREE();
    this.stats.moves++;
    if (target !== this.host.id) {
      const reply = await new Promise<ClientReply>((resolve) => {
        this.host.submitLocal(
          this.adminClient,
          ++this.adminSeq,
          { f: 'transfer-leader', node: target },
          resolve,
        );
      });
      if (!reply.ok) {
        if (this.o.leaderOf(this.host.inspect()) !== this.host.id) throw NOT_LEADER();
        throw new EtcdFault(grpc.status.FAILED_PRECONDITION, `etcdserver: ${reply.error}`);
      }
      while (this.o.leaderOf(this.host.inspect()) !== target) {
        if (Date.now() >= deadline) throw TRANSFER_TIMEOUT();
        await sleep(MOVE_POLL_MS);
      }
    }
    return { header: this.header(source) };
  }

  /** Rewrites the write-ahead log as the ops that rebuild the live state (wal.ts). */
  private async defragment(deadline: number): Promise<Msg> {
    const source = this.source();
    this.stats.defrags++;
    const rewrite = this.host.defragment?.();
    if (rewrite !== undefined) {
      // A log that failed never finishes a round; the call ends at its deadline regardless.
      const ac = new AbortController();
      const late = sleep(Math.max(0, deadline - Date.now()), 'late', { signal: ac.signal });
      const first = await Promise.race([rewrite.then(() => 'done'), late]).finally(() =>
        ac.abort(),
      );
      if (first === 'late') {
        throw new EtcdFault(grpc.status.UNAVAILABLE, 'etcdserver: request timed out');
      }
    }
    return { header: this.header(source) };
  }
}

function createHashOf(text: string): number {
  return createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0);
}

/** The bytes of `parts` in order, cut into pieces of `size` (the last may be shorter). */
export function* chunks(parts: readonly Buffer[], size: number): Generator<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  for (const part of parts) {
    let off = 0;
    while (off < part.length) {
      const take = Math.min(size - heldBytes, part.length - off);
      held.push(part.subarray(off, off + take));
      heldBytes += take;
      off += take;
      if (heldBytes === size) {
        yield held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held);
        held = [];
        heldBytes = 0;
      }
    }
  }
  if (heldBytes > 0) yield held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held);
}
