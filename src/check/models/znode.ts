/**
 * One ZooKeeper znode as the writes see it, for the `zookeeper` system's histories: the object is
 * the path (`key`), its state whether the node exists and, if so, its data version. Only the
 * writes are constrained: ZooKeeper serves reads from the connected server's state, which is
 * sequentially consistent per client, not linearizable (the system's own judge checks reads), so
 * every other operation is accepted in any state.
 *
 * - `create` value → result `{code}`: 0 (created at version 0), -110 NODEEXISTS.
 * - `setData` value `[data, version]` → `{code, version?}`: 0 when the node exists and `version`
 *   is -1 or its version (the result's version is then the old one plus one), -103 BADVERSION,
 *   -101 NONODE.
 * - `delete` value `version` → `{code}`: 0, -103 BADVERSION, -101 NONODE.
 * - Any write may answer -112 SESSIONEXPIRED: its session had ended, and it did nothing.
 *
 * The node starts absent (`initialValue` does not apply).
 */
import type { HistoryOp } from '../../core/history.js';
import { describeOutcome, describeValue } from '../describe-value.js';
import type { Model } from '../model.js';
import { mixId } from '../value-table.js';

const ABSENT = -1;
const OK = 0;
const NONODE = -101;
const BADVERSION = -103;
const NODEEXISTS = -110;
const SESSIONEXPIRED = -112;

const enum Kind {
  Other,
  Create,
  SetData,
  Delete,
}

class ZnodeInput {
  constructor(
    readonly kind: Kind,
    /** setData/delete: the version asked for (-1: any). */
    readonly version: number,
    /** False when the outcome is unknown: the write then took effect as it would have. */
    readonly known: boolean,
    readonly code: number,
    /** setData's reported new version (-1 when none). */
    readonly newVersion: number,
  ) {}
}

const KINDS: Readonly<Record<string, Kind>> = {
  create: Kind.Create,
  setData: Kind.SetData,
  delete: Kind.Delete,
};

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

function resultField(op: HistoryOp, name: string): unknown {
  const r = op.result;
  return typeof r === 'object' && r !== null && !Array.isArray(r)
    ? (r as Record<string, unknown>)[name]
    : undefined;
}

function askedVersion(op: HistoryOp): unknown {
  if (op.f === 'delete') return op.value;
  return Array.isArray(op.value) ? op.value[1] : undefined;
}

/** What a write does in `state`: its code and the state after. */
function effect(kind: Kind, state: number, version: number): readonly [number, number] {
  const matches = version === -1 || version === state;
  switch (kind) {
    case Kind.Create:
      return state === ABSENT ? [OK, 0] : [NODEEXISTS, state];
    case Kind.SetData:
      if (state === ABSENT) return [NONODE, state];
      return matches ? [OK, state + 1] : [BADVERSION, state];
    case Kind.Delete:
      if (state === ABSENT) return [NONODE, state];
      return matches ? [OK, ABSENT] : [BADVERSION, state];
    case Kind.Other:
      return [OK, state];
  }
}

export const znodeModel: Model<number, ZnodeInput> = {
  name: 'znode',
  describe: "ZooKeeper znodes' writes (create, setData and delete with versions), per path",

  validate(op) {
    const kind = Object.hasOwn(KINDS, op.f) ? KINDS[op.f] : Kind.Other;
    if (kind === Kind.Other) return undefined;
    if (op.key === undefined) return `${op.f} needs a key (the path)`;
    if (kind !== Kind.Create && !isInt(askedVersion(op))) return `${op.f} needs a version`;
    if (op.outcome === 'ok' && !isInt(resultField(op, 'code')))
      return `an ok ${op.f} needs a result {code}`;
    return undefined;
  },

  partitionKey: (op) => (Object.hasOwn(KINDS, op.f) ? op.key : undefined),
  isReadOnly: (op) => !Object.hasOwn(KINDS, op.f),
  init: () => ABSENT,

  prepare(op) {
    const kind = Object.hasOwn(KINDS, op.f) ? (KINDS[op.f] as Kind) : Kind.Other;
    const v = askedVersion(op);
    const nv = resultField(op, 'version');
    const code = resultField(op, 'code');
    return new ZnodeInput(
      kind,
      isInt(v) ? v : -1,
      op.outcome === 'ok',
      isInt(code) ? code : OK,
      isInt(nv) ? nv : -1,
    );
  },

  step(state, input) {
    if (input.kind === Kind.Other) return state;
    const [code, after] = effect(input.kind, state, input.version);
    if (!input.known) return after;
    if (input.code === SESSIONEXPIRED) return state;
    if (input.code !== code) return undefined;
    if (input.kind === Kind.SetData && code === OK && input.newVersion !== after) return undefined;
    return after;
  },

  equal: (a, b) => a === b,
  hash: (state) => mixId(state + 1),

  describeOp(op) {
    const key = op.key === undefined ? '' : ` [${op.key}]`;
    return `${op.f}${key} ${describeValue(op.value)}${describeOutcome(op)}`;
  },

  describeState: (state) => (state === ABSENT ? 'absent' : `version ${state}`),
};
