/**
 * Waits until this process's node has applied a given log entry. A follower's front end forwards
 * a client's request to the leader, which answers once it has applied the entry; etcd answers
 * only after the member the client called has applied it too, so that a watch or a serializable
 * Range the client sends next to that member (both served from its own applied store) sees its
 * write or its compaction. The answer is held here until the local node has caught up.
 *
 * Catching up is usually immediate: the leader's append carrying the entry travels on the same
 * connection ahead of the answer, so the follower holds the entry and lacks only the commit
 * index, which the answer itself supplies (AppliesLog.learnCommitted). Otherwise the wait ends
 * when a later append or heartbeat brings the commit index, or after its timeout.
 *
 * `check` must run after every step of the node (RuntimeEnv's afterStep): that is when its
 * applied index can move.
 */
import type { AppliesLog } from '../core/node.js';

interface AppliedWait {
  readonly index: number;
  readonly done: (applied: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

export class AppliedWaits {
  /** Waits in ascending order of index. */
  private readonly waits: AppliedWait[] = [];
  readonly stats = { immediate: 0, waited: 0, timedOut: 0 };

  constructor(
    /** The node, when it is running and applies a log; undefined otherwise. */
    private readonly node: () => AppliesLog | undefined,
    /** Runs protocol code (RuntimeEnv.guard). */
    private readonly step: (fn: () => void) => void,
  ) {}

  get waiting(): number {
    return this.waits.length;
  }

  /**
   * Calls `done(true)` once the node has applied the entry (index, term) — at once when it
   * already has — or `done(false)` after `timeoutMs`. With no node that applies a log there is
   * nothing to wait for: done(true) at once. Returns a function that abandons the wait.
   */
  wait(
    index: number,
    term: number,
    timeoutMs: number,
    done: (applied: boolean) => void,
  ): () => void {
    const node = this.node();
    if (node !== undefined && node.appliedEntry().index < index) {
      this.step(() => node.learnCommitted(index, term));
    }
    const now = this.node();
    if (now === undefined || now.appliedEntry().index >= index) {
      this.stats.immediate++;
      done(true);
      return () => {};
    }
    this.stats.waited++;
    const w: AppliedWait = {
      index,
      done,
      timer: setTimeout(() => {
        this.remove(w);
        this.stats.timedOut++;
        done(false);
      }, timeoutMs),
    };
    let i = this.waits.length;
    while (i > 0 && (this.waits[i - 1] as AppliedWait).index > index) i--;
    this.waits.splice(i, 0, w);
    return () => {
      clearTimeout(w.timer);
      this.remove(w);
    };
  }

  /** Ends every wait the node's applied index has reached. */
  check(): void {
    if (this.waits.length === 0) return;
    const applied = this.node()?.appliedEntry().index;
    if (applied === undefined) return;
    let n = 0;
    while (n < this.waits.length && (this.waits[n] as AppliedWait).index <= applied) n++;
    if (n === 0) return;
    for (const w of this.waits.splice(0, n)) {
      clearTimeout(w.timer);
      w.done(true);
    }
  }

  /** Ends every wait with done(false): the node is stopping. */
  close(): void {
    for (const w of this.waits.splice(0)) {
      clearTimeout(w.timer);
      w.done(false);
    }
  }

  private remove(w: AppliedWait): void {
    const i = this.waits.indexOf(w);
    if (i >= 0) this.waits.splice(i, 1);
  }
}
