/**
 * The parsed JSON of signed texts, once per text. Every broadcast is parsed by each of its n
 * receivers, and certificates (prepared proofs, view-change sets, a new view's O) carry the same
 * signed texts again and again, so a simulated run parsed each text many times over. The parse
 * is pure, so one parse serves them all; the value is deep-frozen so that no receiver can change
 * what another reads (a handler that tried would throw, in every run, rather than diverge).
 */
import { deepFreeze } from '../../core/json.js';

/** What a text failed to parse to: cached as well, since a forged text arrives many times. */
const UNPARSABLE: unique symbol = Symbol('unparsable');

const parsed = new Map<string, unknown>();
/** A bound on memory over a long sweep; a dropped entry is parsed again, to the same value. */
const PARSED_LIMIT = 100_000;

/** JSON.parse(text), deep-frozen, or undefined when `text` is not JSON. */
export function parseFrozen(text: string): unknown {
  let value = parsed.get(text);
  if (value === undefined) {
    try {
      value = deepFreeze(JSON.parse(text) as unknown);
    } catch {
      value = UNPARSABLE;
    }
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    parsed.set(text, value);
  }
  return value === UNPARSABLE ? undefined : value;
}
