/**
 * Consumer groups in the replicated broker: one group coordinator for the whole cluster, on the
 * active controller (the metadata quorum's leader), which FindCoordinator names. Each outcome's
 * records go through the metadata log (`group-records`) and are applied before any of its answers
 * is released, in the order the coordinator produced them; a coordinator whose node stops
 * leading answers nothing more. A node that becomes leader first reads through the log (so it
 * has applied everything committed before its term), then replays the group records the machine
 * holds, as Kafka loads `__consumer_offsets` when it becomes a group's coordinator.
 */
import {
  GroupCoordinator,
  type GroupCoordinatorOptions,
} from '../../../systems/kafka/group-coordinator.js';
import type { GroupOutcome, GroupResponse } from '../../../systems/kafka/group-types.js';
import { GroupStoreError } from './group-store.js';
import type { Proposer, ReplicatedKafkaHost } from './replicated-host.js';

/** Each removes one rule; test/runtime/kafka/cluster-backend.test.ts catches each. */
export const REPLICATED_GROUP_MUTANTS = [
  /** Answers are released before the outcome's records are applied through the log. */
  'answer-before-commit',
] as const;
export type ReplicatedGroupMutant = (typeof REPLICATED_GROUP_MUTANTS)[number];

const PERSIST_DEADLINE_MS = 5000;

interface Waiter {
  readonly resolve: (response: GroupResponse) => void;
  readonly reject: (error: Error) => void;
}

interface Term {
  readonly term: number;
  readonly ready: Promise<GroupCoordinator>;
  coordinator: GroupCoordinator | undefined;
  tail: Promise<void>;
  readonly waiters: Map<string, Waiter>;
  timer: NodeJS.Timeout | undefined;
  ended: boolean;
}

export class ReplicatedGroups {
  private current: Term | undefined;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly host: ReplicatedKafkaHost,
    private readonly proposer: Proposer,
    private readonly options: GroupCoordinatorOptions,
    private readonly mutant?: ReplicatedGroupMutant,
  ) {
    if (mutant !== undefined && !REPLICATED_GROUP_MUTANTS.includes(mutant)) {
      throw new RangeError(`unknown replicated group mutant ${String(mutant)}`);
    }
  }

  /** This node coordinates groups now (it leads the metadata quorum). */
  leads(): boolean {
    return this.host.running() && this.host.node.raft.role === 'leader';
  }

  /** Called after every node step: a coordinator of an earlier term, or of a lost lead, ends. */
  check(): void {
    const t = this.current;
    if (t === undefined) return;
    if (!this.leads() || this.host.node.raft.term !== t.term) this.end(t);
  }

  private end(t: Term): void {
    t.ended = true;
    if (t.timer !== undefined) clearTimeout(t.timer);
    for (const [id, w] of t.waiters) {
      t.waiters.delete(id);
      w.reject(new GroupStoreError('closed', 'this broker no longer coordinates groups'));
    }
    if (this.current === t) this.current = undefined;
  }

  private term(): Term {
    if (this.closed) throw new GroupStoreError('closed', 'broker shutting down');
    if (!this.leads()) throw new GroupStoreError('closed', 'not the group coordinator');
    const term = this.host.node.raft.term;
    if (this.current !== undefined && this.current.term === term) return this.current;
    if (this.current !== undefined) this.end(this.current);
    const t: Term = {
      term,
      coordinator: undefined,
      tail: Promise.resolve(),
      waiters: new Map(),
      timer: undefined,
      ended: false,
      ready: this.load(term),
    };
    t.tail = t.ready.then(() => undefined);
    this.current = t;
    void t.ready.then(
      (c) => {
        t.coordinator = c;
        this.settle(t, c.tick(Date.now()));
      },
      () => this.end(t),
    );
    return t;
  }

  /** A read through the log, then the machine's group records replayed. */
  private async load(term: number): Promise<GroupCoordinator> {
    await this.proposer.propose({ f: 'seek-committed' }, PERSIST_DEADLINE_MS, true);
    const c = new GroupCoordinator({ ...this.options, memberIdTag: `${this.host.id}-${term}` });
    for (const r of this.host.node.machine.groupRecords) c.replay(r);
    return c;
  }

  private settle(t: Term, out: GroupOutcome): void {
    let durable: Promise<unknown> = Promise.resolve();
    if (out.records.length > 0 && this.mutant !== 'answer-before-commit') {
      durable = this.proposer.propose(
        { f: 'meta', op: { kind: 'group-records', records: out.records } },
        PERSIST_DEADLINE_MS,
        true,
      );
    } else if (out.records.length > 0) {
      void this.proposer
        .propose(
          { f: 'meta', op: { kind: 'group-records', records: out.records } },
          PERSIST_DEADLINE_MS,
          true,
        )
        .catch(() => undefined);
    }
    const after = t.tail.then(() => durable);
    t.tail = after.then(
      () => this.release(t, out),
      (e: unknown) => {
        this.host.log('kafka: group records not committed', { error: String(e) });
        // What the coordinator now believes is not in the log: it may not answer from it.
        this.end(t);
      },
    );
    this.schedule(t);
  }

  private release(t: Term, out: GroupOutcome): void {
    for (const ev of out.events) {
      const w = t.waiters.get(ev.requestId);
      if (w === undefined) continue;
      t.waiters.delete(ev.requestId);
      w.resolve(ev.response);
    }
  }

  private schedule(t: Term): void {
    if (t.timer !== undefined) clearTimeout(t.timer);
    t.timer = undefined;
    const c = t.coordinator;
    if (t.ended || c === undefined) return;
    const at = c.nextDeadline();
    if (at === null) return;
    t.timer = setTimeout(
      () => {
        t.timer = undefined;
        if (!t.ended) this.settle(t, c.tick(Date.now()));
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** Runs `call` on the coordinator; resolves to that request's answer. */
  async ask<R extends GroupResponse>(
    call: (c: GroupCoordinator, requestId: string, now: number) => GroupOutcome,
  ): Promise<R> {
    const t = this.term();
    const c = await t.ready;
    if (t.ended) throw new GroupStoreError('closed', 'this broker no longer coordinates groups');
    const requestId = `r${this.nextId++}`;
    const answer = new Promise<R>((resolve, reject) => {
      t.waiters.set(requestId, { resolve: resolve as (r: GroupResponse) => void, reject });
    });
    this.settle(t, call(c, requestId, Date.now()));
    return answer;
  }

  /** A read of the coordinator once everything it reflects is committed. */
  async read<T>(query: (c: GroupCoordinator) => T): Promise<T> {
    const t = this.term();
    const c = await t.ready;
    await t.tail;
    if (t.ended) throw new GroupStoreError('closed', 'this broker no longer coordinates groups');
    return query(c);
  }

  close(): void {
    this.closed = true;
    if (this.current !== undefined) this.end(this.current);
  }
}
