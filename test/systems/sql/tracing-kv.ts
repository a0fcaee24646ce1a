/** A TxnKv that records every call its transactions make, for transcripts that show spans. */
import type {
  KvDone,
  KvPair,
  TxnHandle,
  TxnKv,
  TxnTimestamp,
} from '../../../src/systems/sql/txn-kv.js';

export class TracingTxnKv implements TxnKv {
  /** Lines since the last take(); null when not recording. */
  private lines: string[] | null = null;

  constructor(
    private readonly inner: TxnKv,
    private readonly show: (key: string) => string,
  ) {}

  record(): void {
    this.lines = [];
  }

  take(): string[] {
    const l = this.lines ?? [];
    this.lines = null;
    return l;
  }

  /** @internal */ note(line: string): void {
    this.lines?.push(line);
  }

  begin(done: KvDone<TxnHandle>): void {
    this.inner.begin((r) => done(r.ok ? { ok: true, value: this.wrap(r.value) } : r));
  }

  private wrap(t: TxnHandle): TxnHandle {
    const s = this.show;
    const note = (l: string): void => this.note(l);
    return {
      get(key: string, done: KvDone<string | null>): void {
        t.get(key, (r) => {
          note(`get ${s(key)} → ${r.ok ? (r.value === null ? 'none' : 'found') : r.error.code}`);
          done(r);
        });
      },
      scan(start: string, end: string, limit: number, done: KvDone<readonly KvPair[]>): void {
        t.scan(start, end, limit, (r) => {
          const lim = limit > 0 ? ` limit ${limit}` : '';
          note(
            `scan [${s(start)}, ${s(end)})${lim} → ${r.ok ? `${r.value.length} rows` : r.error.code}`,
          );
          done(r);
        });
      },
      put(key: string, value: string, done: KvDone<null>): void {
        note(`put ${s(key)}`);
        t.put(key, value, done);
      },
      delete(key: string, done: KvDone<null>): void {
        note(`delete ${s(key)}`);
        t.delete(key, done);
      },
      commit(done: KvDone<null>): void {
        t.commit(done);
      },
      rollback(done: KvDone<null>): void {
        t.rollback(done);
      },
      timestamp(): TxnTimestamp {
        return t.timestamp();
      },
    };
  }
}
