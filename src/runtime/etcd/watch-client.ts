/**
 * A minimal etcd v3 watch client (`truthkit kv watch`): one Watch stream to one endpoint, one
 * watcher; each event is handed to `onEvent` until the watch is stopped, canceled by the server
 * or the stream fails.
 */
import * as grpc from '@grpc/grpc-js';
import type { Address } from '../listen.js';
import { ETCD_ERRORS } from '../../systems/etcd/etcd-ops.js';
import { etcdServices } from './proto.js';

export interface WatchedEvent {
  readonly type: 'PUT' | 'DELETE';
  readonly key: string;
  readonly value: string;
  readonly revision: number;
}

export interface WatchClientOptions {
  readonly endpoint: Address;
  readonly key: string;
  /** Watch every key starting with `key`. */
  readonly prefix?: boolean;
  /** First revision to deliver (0 = from now on). */
  readonly startRevision?: number;
  readonly onEvent: (e: WatchedEvent) => void;
  /** How long to wait for the watch to be created. */
  readonly connectTimeoutMs?: number;
}

type Msg = Record<string, unknown>;

/** The range end that makes [key, end) every key with prefix `key` (etcd's GetPrefixRangeEnd). */
export function prefixEnd(key: Buffer): Buffer {
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key ≥ key
}

export class WatchClient {
  private readonly client: grpc.Client;
  private call: grpc.ClientDuplexStream<Msg, Msg> | null = null;
  private stopped = false;

  constructor(private readonly o: WatchClientOptions) {
    const { Watch } = etcdServices();
    const host = o.endpoint.host.includes(':') ? `[${o.endpoint.host}]` : o.endpoint.host;
    this.client = new Watch(`${host}:${o.endpoint.port}`, grpc.credentials.createInsecure());
  }

  /**
   * Runs the watch. Resolves when stopped with stop(); rejects (one-line message) when the
   * endpoint cannot be reached, the server cancels the watch, or the stream fails.
   */
  run(): Promise<void> {
    return new Promise((resolve, reject) => {
      const call = (
        this.client as unknown as { Watch: () => grpc.ClientDuplexStream<Msg, Msg> }
      ).Watch();
      this.call = call;
      let created = false;
      let settled = false;
      const finish = (e?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (e === undefined || this.stopped) resolve();
        else reject(e);
      };
      const timer = setTimeout(() => {
        finish(new Error(`no answer from ${this.o.endpoint.host}:${this.o.endpoint.port}`));
        call.cancel();
      }, this.o.connectTimeoutMs ?? 5000);
      call.on('data', (res: Msg) => {
        if (res.created === true && !created) {
          created = true;
          clearTimeout(timer);
        }
        if (res.canceled === true) {
          const compacted = Number(res.compact_revision ?? 0);
          // etcd gives no reason for a compacted watch, only the revision.
          const reason =
            typeof res.cancel_reason === 'string' && res.cancel_reason !== ''
              ? res.cancel_reason
              : compacted > 0
                ? ETCD_ERRORS.compacted.text
                : 'by the server';
          finish(
            new Error(
              `watch canceled: ${reason}` +
                (compacted > 0 ? ` (compacted through revision ${compacted})` : ''),
            ),
          );
          call.cancel();
          return;
        }
        for (const ev of (res.events ?? []) as Msg[]) {
          const kv = (ev.kv ?? {}) as Msg;
          this.o.onEvent({
            type: ev.type === 'DELETE' || ev.type === 'Delete' || ev.type === 1 ? 'DELETE' : 'PUT',
            key: Buffer.isBuffer(kv.key) ? kv.key.toString('utf8') : '',
            value: Buffer.isBuffer(kv.value) ? kv.value.toString('utf8') : '',
            revision: Number(kv.mod_revision ?? 0),
          });
        }
      });
      call.on('error', (e: grpc.ServiceError) => {
        const why = (e.details || e.message)
          .replace(/\s*Resolution note:.*$/s, '')
          .replace(/^No connection established\. Last error: (Error: )?/, '')
          .replace(/\.$/, '')
          .replace(/\s+/g, ' ');
        const what =
          e.code === grpc.status.UNAVAILABLE
            ? `cannot reach ${this.o.endpoint.host}:${this.o.endpoint.port} (${why})`
            : why;
        finish(new Error(what));
      });
      call.on('end', () =>
        finish(this.stopped ? undefined : new Error('the server ended the watch')),
      );
      const key = Buffer.from(this.o.key, 'utf8');
      call.write({
        create_request: {
          key,
          ...(this.o.prefix === true ? { range_end: prefixEnd(key) } : {}),
          ...(this.o.startRevision !== undefined && this.o.startRevision > 0
            ? { start_revision: this.o.startRevision }
            : {}),
        },
      });
    });
  }

  stop(): void {
    this.stopped = true;
    this.call?.cancel();
    this.client.close();
  }

  close(): void {
    this.client.close();
  }
}
