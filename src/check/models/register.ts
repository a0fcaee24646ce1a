/**
 * A read/write/compare-and-set register, as in Jepsen's etcd tests. Starts absent (null)
 * unless the history says otherwise.
 *
 * - `read` → result: the value read (null when absent).
 * - `write` value.
 * - `cas` value `[from, to]` → result: true if it swapped, false if the value was not `from`
 *   (a false result still constrains where the cas can be placed).
 *
 * Operations with a `key` act on independent registers, one per key.
 */
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
  read: CellOp.Read,
  write: CellOp.Write,
  cas: CellOp.Cas,
};

export const registerModel: Model<number, CellInput> = {
  name: 'register',
  describe: 'read/write/compare-and-set register (per key when ops carry keys), as in Jepsen etcd',

  validate(op) {
    const kind = Object.hasOwn(KINDS, op.f) ? KINDS[op.f] : undefined;
    if (kind === undefined) return `register has no operation "${op.f}" (read, write, cas)`;
    if (kind === CellOp.Write && op.value === undefined) return 'write needs a value';
    if (kind === CellOp.Cas) {
      if (!isPair(op.value)) return 'cas needs a value [from, to]';
      if (op.outcome === 'ok' && typeof op.result !== 'boolean')
        return 'an ok cas needs a result true (swapped) or false (did not swap)';
    }
    if (kind === CellOp.Read && op.outcome === 'ok' && op.result === undefined)
      return 'an ok read needs a result (null when absent)';
    return undefined;
  },

  partitionKey: (op) => op.key,
  isReadOnly: (op) => op.f === 'read',
  init: (values, options) => values.intern(options.initialValue ?? null),
  prepare: (op, values) => prepareCell(KINDS[op.f] as CellOp, op, values),
  step: stepCell,
  equal: equalCells,
  hash: hashCell,

  describeOp(op) {
    const key = op.key === undefined ? '' : ` [${op.key}]`;
    switch (op.f) {
      case 'read':
        return `read${key}${describeOutcome(op)}`;
      case 'write':
        return `write${key} ${describeValue(op.value)}${describeOutcome(op)}`;
      default: {
        return describeCas(key, op);
      }
    }
  },

  describeState: (state, values) => describeStateValue(values.value(state)),
};
