/**
 * The state PBFT replicates: a key-value map and, per client, the last request executed and its
 * result, so a request executes at most once however often it is resent or agreed on again in a
 * new view (Castro & Liskov, OSDI'99, §4.1: replies are cached per client). Its snapshot is the
 * text a CHECKPOINT's digest covers, so it is canonical: entries sorted by key.
 */
import { applyKv, type KvOp } from '../../core/kv.js';
import type { Json } from '../../core/json.js';
import { PbftRecordError } from './records.js';
import type { PbftRequest } from './messages.js';

interface Session {
  readonly seq: number;
  readonly result: Json;
}

/** What executing a request did. */
export type Execution =
  /** It ran now, with this result. */
  | { readonly fresh: true; readonly result: Json }
  /** It ran before (the client's latest): its result again. */
  | { readonly fresh: false; readonly result: Json }
  /** The client has a later request executed already: there is nothing to answer. */
  | undefined;

function byKey<T>(a: [string, T], b: [string, T]): number {
  return a[0] < b[0] ? -1 : 1;
}

export class PbftKvState {
  private data = new Map<string, string>();
  private sessions = new Map<string, Session>();

  get keys(): number {
    return this.data.size;
  }

  /** The client's request `seq` or a later one of its requests has executed. */
  executedAlready(client: string, seq: number): boolean {
    const session = this.sessions.get(client);
    return session !== undefined && session.seq >= seq;
  }

  /** The cached result of the client's request `seq`, if it is the client's latest executed. */
  cachedResult(client: string, seq: number): Json | undefined {
    const session = this.sessions.get(client);
    return session?.seq === seq ? session.result : undefined;
  }

  execute(req: PbftRequest, op: KvOp): Execution {
    const session = this.sessions.get(req.client);
    if (session === undefined || session.seq < req.seq) {
      const result = applyKv(this.data, op);
      this.sessions.set(req.client, { seq: req.seq, result });
      return { fresh: true, result };
    }
    return session.seq === req.seq ? { fresh: false, result: session.result } : undefined;
  }

  snapshot(): string {
    const data = [...this.data.entries()].sort(byKey);
    const sessions = [...this.sessions.entries()].sort(byKey);
    return JSON.stringify({ data, sessions });
  }

  /**
   * Replaces the state with a snapshot's. The text was checked against Q signed checkpoints or
   * read from this replica's own disk; a shape that is not one `snapshot` makes is refused.
   */
  restore(snap: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(snap);
    } catch {
      throw new PbftRecordError('checkpoint state');
    }
    const s = parsed as { data?: unknown; sessions?: unknown } | null;
    if (
      typeof s !== 'object' ||
      s === null ||
      !Array.isArray(s.data) ||
      !Array.isArray(s.sessions)
    ) {
      throw new PbftRecordError('checkpoint state');
    }
    const data = new Map<string, string>();
    for (const e of s.data as unknown[]) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'string') {
        throw new PbftRecordError('checkpoint state');
      }
      data.set(e[0], e[1]);
    }
    const sessions = new Map<string, Session>();
    for (const e of s.sessions as unknown[]) {
      const session = Array.isArray(e) ? (e[1] as { seq?: unknown; result?: unknown }) : undefined;
      if (
        !Array.isArray(e) ||
        typeof e[0] !== 'string' ||
        typeof session !== 'object' ||
        session === null ||
        typeof session.seq !== 'number' ||
        !('result' in session)
      ) {
        throw new PbftRecordError('checkpoint state');
      }
      sessions.set(e[0], { seq: session.seq, result: session.result as Json });
    }
    this.data = data;
    this.sessions = sessions;
  }
}
