/**
 * The Watch service, served from the local node's WatchSource (any member serves watches from
 * its own applied state, as etcd does).
 *
 * Every watcher keeps its position: the next revision it needs. A new watcher replays
 * `eventsSince(start)` and then follows the source's per-revision notifications; a notification
 * for a revision below its position is skipped (no duplicates), one above it, or a snapshot
 * reset, makes it re-read from its position (no loss). Events go out one response per revision
 * (a catch-up batches several whole revisions; a revision is never split). When the client
 * does not read (the stream's buffer is full), its watchers stop receiving and only keep their
 * positions — memory does not grow — and catch up from the source once the stream drains; a
 * watcher that falls more than `maxLag` revisions behind, or whose position gets compacted
 * away, is canceled with a reason.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { ETCD_ERRORS, type WatchEvent, type WatchSource } from '../../systems/etcd/etcd-ops.js';
import { inInterval, keyInterval, type KeyInterval } from '../../systems/etcd/key-range.js';
import { eventOut, type HeaderFields } from './codec.js';

type Msg = Record<string, unknown>;

export interface WatchOptions {
  /** The node's WatchSource, when it has one (looked up per use: the node may restart). */
  readonly source: () => WatchSource | undefined;
  readonly header: () => HeaderFields;
  /** A blocked watcher this many revisions behind is canceled. */
  readonly maxLag?: number;
  /** Period of progress notifications to watchers that asked for them (etcd: 10 minutes). */
  readonly progressMs?: number;
  readonly log: (message: string, fields: Record<string, string | number>) => void;
  /** May this stream's caller watch [key, end)? (Auth: auth-front.ts.) Default: yes. */
  readonly permitted?: (call: ServerDuplexStream<Msg, Msg>, key: string, end: string) => boolean;
}

/** Events per response in a catch-up (whole revisions only), and their rough byte budget. */
const BATCH_EVENTS = 1000;
const BATCH_BYTES = 1024 * 1024;
/** Events read from history per catch-up step (a few batches). */
const CATCH_UP_STEP = 4 * BATCH_EVENTS;

interface Watcher {
  readonly id: number;
  readonly key: string;
  readonly end: string;
  /** [key, end) under etcd's range rules, for live events. */
  readonly interval: KeyInterval;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progress: boolean;
  /** The next revision this watcher needs. */
  next: number;
  /** Whether events were sent since the last progress tick. */
  sent: boolean;
}

class WatchStream {
  readonly watchers = new Map<number, Watcher>();
  private nextId = 0;
  blocked = false;
  closed = false;

  constructor(
    private readonly hub: WatchHub,
    readonly call: ServerDuplexStream<Msg, Msg>,
  ) {}

  write(msg: Msg): boolean {
    if (this.closed) return false;
    const ok = this.call.write(msg);
    if (!ok) this.blocked = true;
    return ok;
  }

  onRequest(req: Msg): void {
    switch (req.request_union) {
      case 'create_request':
        return this.create((req.create_request ?? {}) as Msg);
      case 'cancel_request': {
        const id = Number((req.cancel_request as Msg | undefined)?.watch_id ?? -1);
        // Like etcd, a cancel of an unknown (or already canceled) watcher gets no answer.
        if (!this.watchers.delete(id)) return;
        this.hub.changed();
        this.write({ header: this.hub.header(), watch_id: id, canceled: true });
        return;
      }
      case 'progress_request':
        if (!this.blocked && [...this.watchers.values()].every((w) => this.caughtUp(w))) {
          this.write({ header: this.hub.header(), watch_id: -1 });
        }
        return;
      default:
        return;
    }
  }

  private caughtUp(w: Watcher): boolean {
    const s = this.hub.source();
    return s === undefined || w.next > s.revision();
  }

  private create(c: Msg): void {
    const source = this.hub.source();
    const key = Buffer.isBuffer(c.key) ? c.key.toString('latin1') : '';
    const end = Buffer.isBuffer(c.range_end) ? c.range_end.toString('latin1') : '';
    let id = Number(c.watch_id ?? 0);
    if (!Number.isSafeInteger(id) || id < 0) id = 0;
    const refuse = (reason: string): void => {
      this.write({
        header: this.hub.header(),
        watch_id: -1,
        created: true,
        canceled: true,
        cancel_reason: reason,
      });
    };
    if (source === undefined) return refuse('etcdserver: no watch source on this node');
    if (this.hub.o.permitted?.(this.call, key, end) === false) {
      return refuse(ETCD_ERRORS.permissionDenied.text);
    }
    if (id !== 0 && this.watchers.has(id)) {
      return refuse('mvcc: duplicate watch ID provided on the WatchStream');
    }
    if (id === 0) {
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    const filters = Array.isArray(c.filters) ? (c.filters as unknown[]) : [];
    const start = Math.max(0, Math.trunc(Number(c.start_revision ?? 0)) || 0);
    const w: Watcher = {
      id,
      key,
      end,
      interval: keyInterval(key, end),
      prevKv: c.prev_kv === true,
      noPut: filters.some((f) => f === 'Noput' || f === 'NOPUT' || f === 0),
      noDelete: filters.some((f) => f === 'Nodelete' || f === 'NODELETE' || f === 1),
      progress: c.progress_notify === true,
      next: start > 0 ? start : source.revision() + 1,
      sent: false,
    };
    this.watchers.set(id, w);
    this.hub.changed();
    this.write({ header: this.hub.header(), watch_id: id, created: true });
    if (start > 0 && !this.blocked) this.catchUp(w);
  }

  /**
   * Sends what `w` has missed, from the source's history, a bounded step at a time: a watcher
   * far behind that stalls on backpressure resumes on 'drain' from `w.next`, without rescanning
   * what it already got.
   */
  catchUp(w: Watcher): void {
    const source = this.hub.source();
    if (source === undefined || this.closed) return;
    for (;;) {
      const current = source.revision();
      if (w.next > current) return;
      const events = source.eventsSince(
        w.next,
        w.key,
        w.end === '' ? undefined : w.end,
        CATCH_UP_STEP,
      );
      if (events === 'compacted') return this.cancelCompacted(w, source);
      if (!this.sendHistory(w, events)) return; // the rest after the drain, from w.next
      if (events.length < CATCH_UP_STEP) {
        w.next = Math.max(w.next, current + 1);
        return;
      }
      // A step of a longer history: the rest from after its last revision.
      w.next = Math.max(w.next, (events[events.length - 1] as WatchEvent).kv.mod_revision + 1);
    }
  }

  /**
   * Sends `events` to `w` in batches, moving `w.next` past each batch sent; false as soon as the
   * stream asks to wait for a drain.
   */
  private sendHistory(w: Watcher, events: readonly WatchEvent[]): boolean {
    let batch: Msg[] = [];
    let bytes = 0;
    let i = 0;
    while (i < events.length) {
      const rev = (events[i] as WatchEvent).kv.mod_revision;
      let j = i;
      while (j < events.length && (events[j] as WatchEvent).kv.mod_revision === rev) {
        const e = events[j] as WatchEvent;
        if (this.wanted(w, e)) {
          batch.push(eventOut(e, w.prevKv));
          bytes += e.kv.key.length + e.kv.value.length + 64;
        }
        j++;
      }
      i = j;
      const last = i >= events.length;
      if (batch.length > 0 && (last || batch.length >= BATCH_EVENTS || bytes >= BATCH_BYTES)) {
        w.next = rev + 1;
        w.sent = true;
        const ok = this.write({ header: this.hub.header(), watch_id: w.id, events: batch });
        batch = [];
        bytes = 0;
        if (!ok) return false;
      }
    }
    return true;
  }

  /** One applied revision's events (all keys), in order. */
  deliver(rev: number, events: readonly WatchEvent[]): void {
    for (const w of this.watchers.values()) {
      if (this.blocked) return;
      if (rev < w.next) continue;
      if (rev > w.next) {
        this.catchUp(w);
        continue;
      }
      w.next = rev + 1;
      let out: Msg[] | undefined;
      for (const e of events) {
        if (!inInterval(e.kv.key, w.interval) || !this.wanted(w, e)) continue;
        (out ??= []).push(eventOut(e, w.prevKv));
      }
      if (out !== undefined) {
        w.sent = true;
        this.write({ header: this.hub.header(), watch_id: w.id, events: out });
      }
    }
  }

  private wanted(w: Watcher, e: WatchEvent): boolean {
    return e.type === 'PUT' ? !w.noPut : !w.noDelete;
  }

  /**
   * As etcd answers a watch from below the compacted revision: canceled, with the compacted
   * revision, no reason text and revision 0 in the header (clients key on `compact_revision`).
   */
  cancelCompacted(w: Watcher, source: WatchSource): void {
    this.watchers.delete(w.id);
    this.hub.changed();
    this.write({
      header: { ...this.hub.header(), revision: 0 },
      watch_id: w.id,
      canceled: true,
      compact_revision: source.compactRevision(),
    });
  }

  /** Cancels watchers of a blocked stream that fell too far behind. */
  dropLaggards(current: number, maxLag: number): void {
    for (const w of [...this.watchers.values()]) {
      if (current - w.next < maxLag) continue;
      this.watchers.delete(w.id);
      this.hub.changed();
      this.hub.o.log('slow watcher canceled', { watch: w.id, behind: current - w.next });
      this.call.write({
        header: this.hub.header(),
        watch_id: w.id,
        canceled: true,
        cancel_reason: `etcdserver: watcher canceled: client too slow (${current - w.next + 1} revisions behind)`,
      });
    }
  }

  drained(): void {
    this.blocked = false;
    for (const w of [...this.watchers.values()]) {
      if (this.blocked) return;
      this.catchUp(w);
    }
  }

  progressTick(): void {
    if (this.blocked) return;
    for (const w of this.watchers.values()) {
      if (w.progress && !w.sent && this.caughtUp(w)) {
        this.write({ header: this.hub.header(), watch_id: w.id });
      }
      w.sent = false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.hub.changed();
  }
}

export class WatchHub {
  /** Open streams, each with the function that closes it. */
  private readonly streams = new Map<WatchStream, () => void>();
  private unsubscribe: (() => void) | null = null;
  private subscribed: WatchSource | undefined;
  private progressTimer: NodeJS.Timeout | null = null;
  private readonly maxLag: number;
  /** Watchers open across all streams (for status). */
  watchers = 0;

  constructor(readonly o: WatchOptions) {
    this.maxLag = o.maxLag ?? 100_000;
  }

  source(): WatchSource | undefined {
    return this.o.source();
  }

  header(): Msg {
    return { ...this.o.header(), revision: this.source()?.revision() ?? 0 };
  }

  /** Serves one Watch call. */
  serve(call: ServerDuplexStream<Msg, Msg>): void {
    const stream = new WatchStream(this, call);
    this.ensureSubscribed();
    if (this.progressTimer === null) {
      this.progressTimer = setInterval(() => {
        for (const s of this.streams.keys()) s.progressTick();
      }, this.o.progressMs ?? 600_000);
      this.progressTimer.unref();
    }
    const close = (): void => {
      stream.close();
      this.streams.delete(stream);
      if (!call.writableEnded && !call.destroyed) call.end();
    };
    this.streams.set(stream, close);
    call.on('data', (req: Msg) => {
      try {
        stream.onRequest(req);
      } catch (e) {
        this.o.log('watch request failed', { error: (e as Error).message });
        close();
      }
    });
    call.on('drain', () => stream.drained());
    call.on('end', close);
    call.on('cancelled', close);
    call.on('error', close);
    call.on('close', close);
  }

  /** Called when watchers come or go. */
  changed(): void {
    let n = 0;
    for (const s of this.streams.keys()) n += s.watchers.size;
    this.watchers = n;
  }

  private ensureSubscribed(): void {
    const source = this.source();
    if (source === undefined || source === this.subscribed) return;
    this.unsubscribe?.();
    this.subscribed = source;
    this.unsubscribe = source.subscribe((events, reset) => this.onApplied(events, reset));
  }

  private onApplied(events: readonly WatchEvent[], reset: boolean): void {
    if (this.streams.size === 0) return;
    if (reset) {
      for (const [s, close] of this.streams)
        this.guarded(s, close, () => {
          if (!s.blocked) s.drained();
        });
      return;
    }
    const first = events[0];
    if (first === undefined) return;
    const rev = first.kv.mod_revision;
    for (const [s, close] of this.streams) {
      this.guarded(s, close, () => {
        if (!s.blocked) s.deliver(rev, events);
        else if (rev % 256 === 0) s.dropLaggards(rev, this.maxLag);
      });
    }
  }

  /**
   * Runs one stream's share of an applied revision. This runs inside the node's apply, where an
   * exception would stop the whole node: a stream that fails is closed instead, and logged.
   */
  private guarded(s: WatchStream, close: () => void, work: () => void): void {
    try {
      work();
    } catch (e) {
      this.o.log('watch stream failed; closed', { error: (e as Error).message });
      close();
    }
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.subscribed = undefined;
    if (this.progressTimer !== null) clearInterval(this.progressTimer);
    this.progressTimer = null;
    for (const s of this.streams.keys()) {
      s.close();
      if (!s.call.writableEnded && !s.call.destroyed) s.call.end();
    }
    this.streams.clear();
  }
}
