/**
 * Raft's safety properties (§3.6.3, Figure 3.2), checked incrementally as a run goes: every
 * server of one simulated cluster reports what it does to one shared recorder, which compares
 * each new fact with what it has already seen, so a check costs O(1) per event instead of a
 * scan of every log after every step.
 *
 *  - Election safety: at most one leader per term (term → leader).
 *  - Log matching: if two logs hold an entry with the same index and term, they are identical
 *    through it. Checked inductively: each (index, term) must always carry the same command
 *    and follow the same previous term, which by induction fixes the whole prefix.
 *  - State machine safety: no two servers apply different commands at one index.
 *  - Leader completeness: a leader of term t holds every entry committed in a term below t.
 *    The recorder does not see which term committed an entry, only that it was applied, and a
 *    commit needs a leader of its term, so the entry was committed in a term no higher than
 *    the highest leader term recorded when it was first applied. Leaders above that term must
 *    hold it. A leader of a lower term may legally win later in real time (a candidate paused
 *    with its votes in hand resumes after a later term committed), so it is not held to it.
 *
 * The recorder only observes; nothing a server does depends on it.
 */
import type { NodeId } from '../../core/node.js';
import type { Entry } from './messages.js';

export function entryDigest(e: Entry): string {
  switch (e.kind) {
    case 'noop':
      return 'noop';
    case 'command':
      return `cmd:${JSON.stringify(e.command)}`;
    case 'config':
      return `cfg:${e.config.voters.join(',')}/${e.config.learners.join(',')}`;
  }
}

/** What a leader's log looks like to the completeness check. */
export interface LogProbe {
  readonly snapshotIndex: number;
  lastIndex(): number;
  term(index: number): number | undefined;
}

export class InvariantRecorder {
  violation: string | undefined;
  private readonly leaders = new Map<number, NodeId>();
  /** `index:term` → `prevTerm|digest`. */
  private readonly entries = new Map<string, string>();
  /** index → term and digest of the command applied there (by anyone). */
  private readonly applied = new Map<
    number,
    { term: number; digest: string; by: NodeId; committedBy: number }
  >();
  private maxApplied = 0;
  /** The highest term any leader has been recorded in. */
  private maxLeaderTerm = 0;

  private fail(message: string): void {
    this.violation ??= message;
  }

  leader(term: number, id: NodeId, log: LogProbe): void {
    const other = this.leaders.get(term);
    if (other !== undefined && other !== id) {
      this.fail(`election safety: ${other} and ${id} both leaders in term ${term}`);
      return;
    }
    this.leaders.set(term, id);
    if (term > this.maxLeaderTerm) this.maxLeaderTerm = term;
    for (let i = log.snapshotIndex + 1; i <= this.maxApplied; i++) {
      const a = this.applied.get(i);
      if (a === undefined || term <= a.committedBy) continue;
      const t = log.term(i);
      if (t !== a.term) {
        this.fail(
          `leader completeness: ${id} leads term ${term} without entry ${i} (term ${a.term}) ` +
            `applied by ${a.by}; it has ${t === undefined ? 'nothing' : `term ${t}`} there`,
        );
        return;
      }
    }
  }

  appended(id: NodeId, index: number, entry: Entry, prevTerm: number): void {
    const key = `${index}:${entry.term}`;
    const fact = `${prevTerm}|${entryDigest(entry)}`;
    const seen = this.entries.get(key);
    if (seen === undefined) this.entries.set(key, fact);
    else if (seen !== fact) {
      this.fail(`log matching: ${id} holds entry ${key} as ${fact}, elsewhere it is ${seen}`);
    }
  }

  apply(id: NodeId, index: number, entry: Entry): void {
    const digest = entryDigest(entry);
    const seen = this.applied.get(index);
    if (seen === undefined) {
      this.applied.set(index, {
        term: entry.term,
        digest,
        by: id,
        committedBy: this.maxLeaderTerm,
      });
      if (index > this.maxApplied) this.maxApplied = index;
    } else if (seen.digest !== digest || seen.term !== entry.term) {
      this.fail(
        `state machine safety: ${id} applied ${digest} (term ${entry.term}) at ${index}, ` +
          `${seen.by} applied ${seen.digest} (term ${seen.term})`,
      );
    }
  }
}
