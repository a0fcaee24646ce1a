/**
 * A scripted dynamo cluster: the simulator with DynamoNodes, clients that call a chosen node and
 * a history of what they saw, so a test can stage a partition, heal it, and judge the result
 * with the system's own judge.
 */
import type { HistoryOp, HistoryOpDraft } from '../../../src/core/history.js';
import type { Json } from '../../../src/core/json.js';
import type { ClientReply, NodeId } from '../../../src/core/node.js';
import { Simulator } from '../../../src/sim/simulator.js';
import { dynamoSystem } from '../../../src/systems/dynamo/dynamo.js';
import { divergentKeys } from '../../../src/systems/dynamo/dynamo-judge.js';
import { dynamoParamsFrom } from '../../../src/systems/dynamo/dynamo-params.js';

export class Cluster {
  readonly sim: Simulator;
  readonly history: HistoryOpDraft[] = [];
  readonly ids: readonly NodeId[];

  constructor(
    nodes: number,
    readonly params: Readonly<Record<string, string>>,
    mutant?: string,
    seed = 1,
  ) {
    this.ids = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
    this.sim = new Simulator({
      seed,
      nodeIds: this.ids,
      factory: dynamoSystem.createNode({
        params,
        cluster: this.ids,
        ...(mutant !== undefined ? { mutant } : {}),
      }),
      latency: { kind: 'constant', ms: 1 },
    });
    this.sim.start();
  }

  /** Sends `op` from client `process` to `node`; the reply lands in the history. */
  call(
    process: number,
    node: NodeId,
    op: { f: string; key: string; value?: Json; ctx?: Json },
  ): HistoryOpDraft {
    const rec: HistoryOpDraft = {
      id: this.history.length,
      process,
      f: op.f,
      key: op.key,
      ...(op.value !== undefined ? { value: op.value } : {}),
      invoke: this.sim.now,
      complete: this.sim.now,
      outcome: 'unknown',
    };
    this.history.push(rec);
    this.sim.request(node, `c${process}`, rec.id, op as Json, (reply: ClientReply) => {
      rec.complete = this.sim.now;
      rec.node = node;
      if (reply.ok) {
        rec.outcome = 'ok';
        rec.result = reply.value;
      } else {
        rec.outcome = reply.definite ? 'fail' : 'unknown';
        rec.error = reply.error;
      }
    });
    return rec;
  }

  /** Calls and runs until the reply (or `ms` of virtual time). */
  run(
    process: number,
    node: NodeId,
    op: { f: string; key: string; value?: Json; ctx?: Json },
    ms = 600,
  ): HistoryOpDraft {
    const rec = this.call(process, node, op);
    this.advance(ms, () => rec.outcome !== 'unknown');
    return rec;
  }

  /** Runs `ms` of virtual time, or until `until` holds (checked every ms). */
  advance(ms: number, until?: () => boolean): void {
    const end = this.sim.now + ms;
    while (this.sim.now < end) {
      this.sim.runUntil(this.sim.now + 1);
      if (until?.() === true) return;
    }
  }

  /** Cuts every link between the groups. */
  partition(...groups: NodeId[][]): void {
    const blocked: [NodeId, NodeId][] = [];
    for (const a of groups)
      for (const b of groups)
        if (a !== b) for (const x of a) for (const y of b) blocked.push([x, y]);
    this.sim.setPartition(blocked);
  }

  heal(): void {
    this.sim.heal();
  }

  divergent(): string[] {
    return divergentKeys(this.sim.liveNodes(), dynamoParamsFrom(this.params).n);
  }

  /** Virtual ms until no key's replicas differ (checked every ms), or null past `ms`. */
  convergeWithin(ms: number): number | null {
    const start = this.sim.now;
    this.advance(ms, () => this.divergent().length === 0);
    return this.divergent().length === 0 ? this.sim.now - start : null;
  }

  ops(): readonly HistoryOp[] {
    return this.history;
  }
}

/** A read's sibling values. */
export function siblings(op: HistoryOpDraft): string[] {
  const r = op.result as { values?: string[] } | undefined;
  return [...(r?.values ?? [])].sort();
}

export function ctxOf(op: HistoryOpDraft): Json {
  return (op.result as { ctx?: Json } | undefined)?.ctx ?? null;
}
