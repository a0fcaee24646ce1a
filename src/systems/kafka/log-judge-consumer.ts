/**
 * One client's consumer, followed op by op: where its position is per partition, and what its
 * group's commits acknowledged. A poll reads on from the position, so the records it returns for
 * a partition must pick up right after the last one this consumer read (or at the offset a
 * seek-committed moved it to): reading an offset at or below one read before is
 * `nonmonotonic-poll`; jumping over an offset that some op shows holds a record is `poll-skip`
 * (offsets are dense here: no transactions, no compaction). A seek-committed must return at least
 * what the group's acknowledged commits stored (`commit-backwards`), unless an unacknowledged
 * commit, which may have landed late, stored exactly what it returned.
 *
 * Unknown outcomes: an unknown poll was never delivered to the client, so it neither moves nor
 * resets the position; an unknown seek-committed may have moved it, so afterwards the position is
 * not known until the next read; an unknown commit may or may not have taken effect.
 */
import type { Evidence } from './log-judge-evidence.js';
import type { CommitOp, PollOp, SeekOp } from './log-judge-ops.js';
import { describeValue, type OffsetFacts } from './log-judge-offsets.js';

interface Mark {
  readonly offset: number;
  readonly op: number;
}

export class Consumer {
  /** Per partition, the offset just below the position (the last read, or a seek's − 1). */
  private readonly last = new Map<string, Mark & { readonly by: 'poll' | 'seek' }>();
  /** Per partition, the highest offset an ok commit stored. */
  private readonly acked = new Map<string, Mark>();
  /** Per partition, offsets that unacknowledged commits may have stored. */
  private readonly maybe = new Map<string, Set<number>>();

  constructor(
    private readonly process: number,
    private readonly facts: OffsetFacts,
    private readonly evidence: Evidence,
  ) {}

  poll(p: PollOp): void {
    if (p.op.outcome !== 'ok') return;
    for (const r of p.records) {
      const prev = this.last.get(r.key);
      if (prev !== undefined) {
        const since =
          prev.by === 'poll'
            ? `after op ${prev.op} read offset ${prev.offset}`
            : `after op ${prev.op} (seek-committed) moved it to offset ${prev.offset + 1}`;
        if (r.offset <= prev.offset) {
          this.evidence.add('nonmonotonic-poll', {
            ops: [prev.op, p.op.id],
            key: r.key,
            offset: r.offset,
            value: r.value,
            why: `process ${this.process} read ${r.key} offset ${r.offset} (op ${p.op.id}) ${since}`,
          });
        } else {
          const gap = this.facts.firstBetween(r.key, prev.offset, r.offset);
          if (gap !== undefined) {
            const from = prev.offset + 1;
            const over =
              r.offset - from === 1 ? `offset ${from}` : `offsets ${from}–${r.offset - 1}`;
            this.evidence.add('poll-skip', {
              ops: [prev.op, p.op.id, gap.at.op],
              key: r.key,
              offset: gap.offset,
              value: gap.at.value,
              why:
                `process ${this.process} read ${r.key} offset ${r.offset} (op ${p.op.id}) ` +
                `${since}, jumping over ${over}; op ${gap.at.op} (${gap.at.via}) shows offset ` +
                `${gap.offset} holds ${describeValue(gap.at.value)}`,
            });
          }
        }
      }
      this.last.set(r.key, { offset: r.offset, op: p.op.id, by: 'poll' });
    }
  }

  commit(c: CommitOp): void {
    if (c.op.outcome === 'fail') return;
    for (const [key, offset] of c.offsets) {
      if (c.op.outcome === 'ok') {
        const high = this.acked.get(key);
        if (high === undefined || offset >= high.offset)
          this.acked.set(key, { offset, op: c.op.id });
      } else {
        let set = this.maybe.get(key);
        if (set === undefined) this.maybe.set(key, (set = new Set()));
        set.add(offset);
      }
    }
  }

  seek(s: SeekOp): void {
    if (s.op.outcome === 'fail') return;
    if (s.op.outcome === 'unknown') {
      this.last.clear();
      return;
    }
    // A partition the answer leaves out is one this consumer no longer reads from a known place.
    for (const key of [...this.last.keys()]) if (!s.offsets.has(key)) this.last.delete(key);
    for (const [key, got] of s.offsets) {
      const high = this.acked.get(key);
      if (
        high !== undefined &&
        (got === null || got < high.offset) &&
        !(got !== null && this.maybe.get(key)?.has(got) === true)
      ) {
        this.evidence.add('commit-backwards', {
          ops: [high.op, s.op.id],
          key,
          offset: got ?? undefined,
          why:
            `process ${this.process}'s group had ${key} committed at ${high.offset} (op ` +
            `${high.op}, acknowledged) but seek-committed op ${s.op.id} returned ` +
            `${got === null ? 'nothing committed' : got}`,
        });
      }
      // Nothing committed: the consumer starts at the log start offset, 0 here (no retention).
      this.last.set(key, { offset: (got ?? 0) - 1, op: s.op.id, by: 'seek' });
    }
  }
}
