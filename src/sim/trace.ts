/**
 * The structured trace of a run: every send, delivery, drop, timer, crash, restart, pause,
 * partition change, clock change, client call and node log line. The digest covers every event
 * (message contents included), so two runs are the same run exactly when their digests match.
 * Events are kept only when asked for (they are what `--trace FILE` writes and the lab draws).
 */
import { Digest } from '../core/digest.js';
import type { Json } from '../core/json.js';

export type DropReason = 'loss' | 'partition' | 'down';

export type TraceEvent =
  | { t: number; e: 'send'; from: string; to: string; id: number; type: string; msg: Json }
  | { t: number; e: 'deliver'; from: string; to: string; id: number; type: string }
  | { t: number; e: 'drop'; from: string; to: string; id: number; type: string; why: DropReason }
  | { t: number; e: 'duplicate'; from: string; to: string; id: number; type: string }
  | { t: number; e: 'timer'; node: string; name: string }
  | { t: number; e: 'crash'; node: string; lostWrites: number; tornWrite: boolean }
  | { t: number; e: 'restart'; node: string }
  | { t: number; e: 'pause'; node: string }
  | { t: number; e: 'resume'; node: string }
  | { t: number; e: 'partition'; blocked: [string, string][] }
  | { t: number; e: 'clock'; node: string; offset: number; drift: number }
  | { t: number; e: 'link'; loss: number; duplicate: number; reorder: number; slow: number }
  | { t: number; e: 'nemesis'; plan: string; phase: 'fault' | 'heal'; detail: string }
  | { t: number; e: 'invoke'; process: number; node: string; op: Json }
  | {
      t: number;
      e: 'complete';
      process: number;
      node: string;
      outcome: 'ok' | 'fail' | 'unknown';
      result: Json;
    }
  | { t: number; e: 'request'; node: string; req: number; client: string }
  | { t: number; e: 'reply'; node: string; req: number; ok: boolean }
  | { t: number; e: 'sync'; node: string; writes: number }
  /** A file written beside a node's log (a snapshot of parts) is durable. */
  | { t: number; e: 'file'; node: string; parts: number }
  | { t: number; e: 'log'; node: string; msg: string; fields: Json }
  | { t: number; e: 'invariant'; violation: string };

export type TraceKind = TraceEvent['e'];

const KIND_CODES: Record<TraceKind, number> = {
  send: 1,
  deliver: 2,
  drop: 3,
  duplicate: 4,
  timer: 5,
  crash: 6,
  restart: 7,
  pause: 8,
  resume: 9,
  partition: 10,
  clock: 11,
  link: 12,
  nemesis: 13,
  invoke: 14,
  complete: 15,
  request: 16,
  reply: 17,
  sync: 18,
  log: 19,
  invariant: 20,
  file: 21,
};

export class Trace {
  readonly digest = new Digest();
  readonly events: TraceEvent[] | undefined;
  /** Sees every non-message event as it is recorded (the coverage recorder). */
  observer: ((ev: TraceEvent) => void) | undefined;

  constructor(keepEvents: boolean) {
    this.events = keepEvents ? [] : undefined;
  }

  get keeping(): boolean {
    return this.events !== undefined;
  }

  /**
   * The hot path for messages: digest from numbers only, no event object unless kept.
   * `contentLo`/`contentHi` are the message's content hash.
   */
  message(
    kind: 'send' | 'deliver' | 'duplicate',
    t: number,
    from: number,
    to: number,
    id: number,
    typeHash: number,
    contentLo: number,
    contentHi: number,
  ): void {
    const d = this.digest;
    d.addInt(KIND_CODES[kind]);
    d.addTime(t);
    d.addInt((from << 16) | to);
    d.addInt(id);
    d.addInt(typeHash);
    d.addInt(contentLo);
    d.addInt(contentHi);
  }

  /** Any other event: digested from its JSON form (these are rare next to messages). */
  record(ev: TraceEvent): void {
    this.digest.addInt(KIND_CODES[ev.e]);
    this.digest.addString(JSON.stringify(ev));
    this.events?.push(ev);
    this.observer?.(ev);
  }

  keep(ev: TraceEvent): void {
    this.events?.push(ev);
  }
}

/** The trace as JSON lines, one event per line (the format the lab opens). */
export function traceToJsonLines(events: readonly TraceEvent[]): string {
  let out = '';
  for (const ev of events) out += JSON.stringify(ev) + '\n';
  return out;
}
