/** Small builders for hand-written histories in the checker tests. */
import type { HistoryOp } from '../../src/core/history.js';

type OpSpec = Omit<HistoryOp, 'id' | 'outcome'> & { outcome?: HistoryOp['outcome'] };

/** Numbers the operations in the order given and defaults the outcome to ok. */
export function history(...specs: OpSpec[]): HistoryOp[] {
  return specs.map((s, id) => ({ outcome: 'ok', ...s, id }));
}

/** The fixtures directory, from dist/test/check/ or test/check/. */
export const FIXTURES = new URL('../../../test/fixtures/porcupine/', import.meta.url);
