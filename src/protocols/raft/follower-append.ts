/**
 * A follower's side of replication (§3.5): appends checked against its log (Log Matching),
 * conflicting suffixes truncated, heartbeats, and the acknowledgements a leader counts — each
 * sent only once what it vouches for is durable (§11.7).
 */
import type { NodeEnv, NodeId } from '../../core/node.js';
import type { RaftMsg } from './messages.js';
import { must, RaftInvariantError } from './raft-assert.js';
import type { RaftLog } from './raft-log.js';

/** What a follower's appends need of their server. */
export interface FollowerAppendHost {
  readonly env: NodeEnv<RaftMsg>;
  readonly log: RaftLog;
  term(): number;
  commit(): number;
  /** Common to every message from a leader of a current or newer term. */
  heardFromLeader(from: NodeId, term: number): void;
  /** Runs `then` once every write issued so far is durable. */
  durable(then: () => void): void;
  /** Like `durable`, except in the no-sync-before-ack mutant, which answers at once. */
  durableForAck(then: () => void): void;
  /** Commits through `to` (at most the end of the log) and applies. */
  advanceCommit(to: number): void;
  /** The log's entries changed past a configuration entry: the configuration follows it. */
  configChanged(): void;
}

export class FollowerAppends {
  constructor(private readonly host: FollowerAppendHost) {}

  onAppend(from: NodeId, m: Extract<RaftMsg, { type: 'append' }>): void {
    const h = this.host;
    const { env, log } = h;
    const reject = (hintIndex: number, hintTerm: number): void =>
      env.send(from, {
        type: 'append-resp',
        term: h.term(),
        success: false,
        match: 0,
        rejected: m.prevIndex,
        hintIndex,
        hintTerm,
        round: m.round,
      });
    if (m.term < h.term()) return reject(0, 0);
    h.heardFromLeader(from, m.term);
    let prevIndex = m.prevIndex;
    let entries = m.entries;
    const base = log.snapshotIndex;
    if (prevIndex < base) {
      // Entries through the snapshot are committed, so they match the leader's.
      const skip = Math.min(base - prevIndex, entries.length);
      entries = entries.slice(skip);
      prevIndex += skip;
      if (prevIndex < base) return this.ack(from, m.prevIndex + m.entries.length, m);
    } else {
      const t = log.term(prevIndex);
      if (t === undefined) return reject(log.lastIndex() + 1, 0);
      if (t !== m.prevTerm) {
        h.durable(() => reject(log.firstIndexOfTerm(prevIndex), t));
        return;
      }
    }
    let configChanged = false;
    for (let i = 0; i < entries.length; i++) {
      const index = prevIndex + 1 + i;
      const e = must(entries[i], 'entry-below-length-present', `entry ${i} of ${entries.length}`);
      const mine = log.term(index);
      if (mine === e.term) continue;
      if (mine !== undefined) {
        // Leader Completeness: no leader sends a conflict with what this log has committed.
        if (index <= h.commit()) {
          throw new RaftInvariantError(
            'append-keeps-committed',
            `${env.id}: append would overwrite committed entry ${index}`,
          );
        }
        log.truncateAfter(index - 1);
        configChanged = true;
      }
      const rest = entries.slice(i);
      log.append(rest);
      if (rest.some((x) => x.kind === 'config')) configChanged = true;
      break;
    }
    if (configChanged) h.configChanged();
    const match = prevIndex + entries.length;
    h.advanceCommit(Math.min(m.commit, match));
    this.ack(from, match, m);
  }

  private ack(from: NodeId, match: number, m: { round: number }): void {
    const term = this.host.term();
    const ack = (): void =>
      this.host.env.send(from, {
        type: 'append-resp',
        term,
        success: true,
        match,
        rejected: 0,
        hintIndex: 0,
        hintTerm: 0,
        round: m.round,
      });
    this.host.durableForAck(ack);
  }

  onHeartbeat(from: NodeId, m: Extract<RaftMsg, { type: 'heartbeat' }>): void {
    const h = this.host;
    if (m.term < h.term()) {
      h.env.send(from, { type: 'heartbeat-resp', term: h.term(), round: m.round });
      return;
    }
    h.heardFromLeader(from, m.term);
    h.advanceCommit(m.commit);
    const term = h.term();
    h.durable(() => h.env.send(from, { type: 'heartbeat-resp', term, round: m.round }));
  }
}
