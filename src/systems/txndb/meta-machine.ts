/**
 * The meta range: the range directory as a replicated state machine of its own Raft group, as
 * CockroachDB keeps range descriptors in its meta ranges. Its first state is the cluster's
 * static split (every replica computes it alike); a split's proposer then writes the two new
 * descriptors here. Writes are idempotent by generation — a descriptor replaces what it overlaps
 * only when newer — so a split's update may be sent by every replica and retried after any crash.
 * A node reads it when a range's answer leaves its cache unable to route a key.
 */
import * as v from 'valibot';
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import { schemaProblem } from '../../core/schema-issue.js';
import type { Command } from '../../protocols/raft/messages.js';
import type { StateMachine } from '../../protocols/raft/raft-node.js';
import { RangeCache, type RangeDescriptor } from './range-directory.js';

export type MetaOp =
  | { readonly k: 'meta-scan' }
  | { readonly k: 'meta-put'; readonly descs: readonly RangeDescriptor[] };

const key = v.pipe(v.string(), v.maxLength(256));
export const descriptorSchema = v.strictObject({
  id: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:-]{1,64}$/)),
  start: key,
  end: v.nullable(key),
  replicas: v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(64))), v.maxLength(16)),
  generation: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
});
const descs = v.pipe(v.array(descriptorSchema), v.maxLength(4096));
const metaOp = v.variant('k', [
  v.strictObject({ k: v.literal('meta-scan') }),
  v.strictObject({ k: v.literal('meta-put'), descs }),
]);
const metaSnapshot = v.strictObject({
  descs,
  sessions: v.array(
    v.tuple([
      v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
      v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
      v.unknown(),
    ]),
  ),
});

/** Why `op` is not a meta command, or undefined when it is one. */
export function metaOpProblem(op: unknown): string | undefined {
  return schemaProblem(metaOp, op, 'meta op');
}

interface MetaSnapshot {
  readonly descs: readonly RangeDescriptor[];
  readonly sessions: readonly (readonly [string, number, Json])[];
}

export class MetaMachine implements StateMachine {
  private directory: RangeCache;
  private sessions = new Map<string, { readonly seq: number; readonly result: Json }>();

  constructor(private readonly initial: readonly RangeDescriptor[]) {
    this.directory = new RangeCache(initial);
  }

  valid(op: Json): boolean {
    return metaOpProblem(op) === undefined;
  }

  isRead(): boolean {
    return false;
  }

  read(): Json {
    throw new Error('the meta range answers every command through its log');
  }

  apply(command: Command): Json {
    const s = this.sessions.get(command.client);
    if (s !== undefined && command.seq <= s.seq) return command.seq === s.seq ? s.result : null;
    const op = command.op as unknown as MetaOp;
    let result: Json;
    if (op.k === 'meta-put') {
      const changed = this.directory.update(op.descs);
      result = { kind: 'meta-put', changed };
    } else {
      result = { kind: 'descriptors', descs: this.directory.all() as unknown as Json };
    }
    this.sessions.set(command.client, { seq: command.seq, result });
    return result;
  }

  recall(client: string, seq: number): { readonly result: Json } | undefined {
    const s = this.sessions.get(client);
    return s !== undefined && s.seq === seq ? { result: s.result } : undefined;
  }

  snapshot(): Json {
    const snap: MetaSnapshot = {
      descs: this.directory.all(),
      sessions: [...this.sessions].map(([c, s]) => [c, s.seq, s.result] as const),
    };
    return snap as unknown as Json;
  }

  snapshotProblem(data: Json): string | undefined {
    return schemaProblem(metaSnapshot, data, 'meta snapshot');
  }

  restore(data: Json): void {
    const snap = data as unknown as MetaSnapshot;
    this.directory = new RangeCache(snap.descs.length > 0 ? snap.descs : this.initial);
    this.sessions = new Map(snap.sessions.map(([c, seq, result]) => [c, { seq, result }]));
  }

  descriptors(): RangeDescriptor[] {
    return this.directory.all();
  }

  summary(): Record<string, Json> {
    return { ranges: this.directory.all().length, sessions: this.sessions.size };
  }
}

/** The descriptors a meta answer carries, checked: they come from another node. */
export function descriptorsIn(value: Json, cluster: readonly NodeId[]): RangeDescriptor[] | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const d = (value as Record<string, Json>).descs;
  if (schemaProblem(descs, d, 'descs') !== undefined) return null;
  const list = d as unknown as RangeDescriptor[];
  return list.every((x) => x.replicas.every((n) => cluster.includes(n))) ? list : null;
}
