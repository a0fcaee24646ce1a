/**
 * etcd's "require leader" streams. A client that sends the metadata `hasleader: true` on a Watch
 * or LeaseKeepAlive stream (etcdctl's watch and clientv3's `WithRequireLeader` do) asks not to
 * be left following a member cut off from its cluster: etcd refuses such a stream while the
 * member knows no leader, and ends every open one with UNAVAILABLE `etcdserver: no leader` once
 * the member has seen no leader at `MAX_NO_LEADER_CHECKS` checks in a row, one check per
 * election timeout (etcd 3.4's monitorLeader in etcdserver/api/v3rpc/interceptor.go). Streams
 * without the metadata (the npm etcd3 client's) are left alone, as etcd leaves them.
 */
import { status as Status, type Metadata } from '@grpc/grpc-js';
import { EtcdFault } from './codec.js';

/** etcd's maxNoLeaderCnt. */
export const MAX_NO_LEADER_CHECKS = 3;

export const NO_LEADER = 'etcdserver: no leader';

export function noLeaderFault(): EtcdFault {
  return new EtcdFault(Status.UNAVAILABLE, NO_LEADER);
}

/** Whether a stream's client asked for a leader (clientv3's MetadataRequireLeaderKey). */
export function requiresLeader(metadata: Metadata): boolean {
  return metadata.get('hasleader').some((v) => String(v) === 'true');
}

export interface LeaderMonitorOptions {
  /** Whether the member knows a leader now. */
  readonly hasLeader: () => boolean;
  /** One check per this many ms (etcd: one election timeout). */
  readonly checkMs: number;
}

/** Ends the registered streams once the member has been without a leader long enough. */
export class LeaderMonitor {
  private readonly streams = new Map<object, (f: EtcdFault) => void>();
  private misses = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Streams ended for want of a leader. */
  canceled = 0;

  constructor(private readonly o: LeaderMonitorOptions) {
    if (!(o.checkMs > 0)) throw new Error(`no-leader check interval must be above 0: ${o.checkMs}`);
  }

  /**
   * Registers a stream that requires a leader; `end` ends it with the fault. Answers the fault
   * at once (and registers nothing) when the member knows no leader now, as etcd refuses it.
   */
  register(stream: object, end: (f: EtcdFault) => void): EtcdFault | null {
    if (!this.o.hasLeader()) return noLeaderFault();
    this.streams.set(stream, end);
    if (this.timer === null) {
      this.misses = 0;
      this.timer = setInterval(() => this.check(), this.o.checkMs);
      this.timer.unref();
    }
    return null;
  }

  unregister(stream: object): void {
    this.streams.delete(stream);
    if (this.streams.size === 0) this.stop();
  }

  private check(): void {
    this.misses = this.o.hasLeader() ? 0 : this.misses + 1;
    if (this.misses < MAX_NO_LEADER_CHECKS) return;
    const ends = [...this.streams.values()];
    this.streams.clear();
    this.stop();
    this.canceled += ends.length;
    for (const end of ends) end(noLeaderFault());
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.streams.clear();
    this.stop();
  }
}
