/**
 * A key-value store with truthkit's KV semantics (src/core/kv.ts), one key per object:
 *
 * - `get` → result: the value, or null when the key is absent.
 * - `put` value, `append` value (to an absent key: starts from ""), `delete`.
 * - `cas` value `[from | null, to]` → result: true if it swapped; false if the current value
 *   (null when absent) was not `from`.
 *
 * Keys start absent; a history may instead start every key at a value (`initialValue`), as
 * Porcupine's kv histories do with "". Absent and "" are different states.
 */
import type { HistoryOp } from '../../core/history.js';
import {
  describeCas,
  describeOutcome,
  describeStateValue,
  describeValue,
} from '../describe-value.js';
import type { Model } from '../model.js';
import {
  type CellInput,
  CellOp,
  equalCells,
  hashCell,
  isPair,
  prepareCell,
  stepCell,
} from './cell-ops.js';

const KINDS: Readonly<Record<string, CellOp>> = {
  get: CellOp.Read,
  put: CellOp.Write,
  append: CellOp.Append,
  cas: CellOp.Cas,
  delete: CellOp.Delete,
};

const isStringOrNull = (v: unknown): boolean => typeof v === 'string' || v === null;

export const kvModel: Model<number, CellInput> = {
  name: 'kv',
  describe: 'key-value store: get/put/append/cas/delete, checked key by key',

  validate(op) {
    const kind = Object.hasOwn(KINDS, op.f) ? KINDS[op.f] : undefined;
    if (kind === undefined) return `kv has no operation "${op.f}" (get, put, append, cas, delete)`;
    if (typeof op.key !== 'string') return `${op.f} needs a string key`;
    if ((kind === CellOp.Write || kind === CellOp.Append) && typeof op.value !== 'string')
      return `${op.f} needs a string value`;
    if (kind === CellOp.Cas) {
      if (!isPair(op.value) || !isStringOrNull(op.value[0]) || typeof op.value[1] !== 'string')
        return 'cas needs a value [from (string or null), to (string)]';
      if (op.outcome === 'ok' && typeof op.result !== 'boolean')
        return 'an ok cas needs a result true (swapped) or false (did not swap)';
    }
    if (kind === CellOp.Read && op.outcome === 'ok' && !isStringOrNull(op.result))
      return 'an ok get needs a result: a string, or null when the key is absent';
    return undefined;
  },

  partitionKey: (op) => op.key,
  isReadOnly: (op) => op.f === 'get',
  init: (values, options) => values.intern(options.initialValue ?? null),
  prepare: (op, values) => prepareCell(KINDS[op.f] as CellOp, op, values),
  step: stepCell,
  equal: equalCells,
  hash: hashCell,

  describeOp(op: HistoryOp) {
    const key = JSON.stringify(op.key ?? null);
    switch (op.f) {
      case 'get':
      case 'delete':
        return `${op.f} ${key}${describeOutcome(op)}`;
      case 'cas': {
        return describeCas(` ${key}`, op);
      }
      default:
        return `${op.f} ${key} ${describeValue(op.value)}${describeOutcome(op)}`;
    }
  },

  describeState: (state, values) => describeStateValue(values.value(state)),
};
