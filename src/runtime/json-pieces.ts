/**
 * JSON text of plain data in pieces, so that encoding a large value (a Raft snapshot of a big
 * store: megabytes) can be spread over several turns of the event loop instead of stalling a
 * node for tens of milliseconds. The pieces joined are exactly `JSON.stringify(value)`: long
 * arrays are cut into slices that JSON.stringify encodes natively (fast), everything else is
 * walked only as deep as it takes to reach them.
 */

/** Arrays longer than this are encoded a slice at a time. */
export const SLICE = 256;

/** Yields the JSON text of `value` in pieces (plain data, as storage holds). */
export function* jsonPieces(value: unknown): Generator<string, void, undefined> {
  if (Array.isArray(value)) {
    if (value.length <= SLICE) {
      yield JSON.stringify(value);
      return;
    }
    yield '[';
    for (let i = 0; i < value.length; i += SLICE) {
      if (i > 0) yield ',';
      const slice = value.slice(i, i + SLICE);
      // A slice's elements may themselves be long arrays (an event log of revisions is not).
      if (slice.some((e) => Array.isArray(e) && e.length > SLICE)) {
        for (let k = 0; k < slice.length; k++) {
          if (k > 0) yield ',';
          yield* element(slice[k]);
        }
      } else {
        const text = JSON.stringify(slice.map((e) => (e === undefined ? null : e)));
        yield text.slice(1, -1);
      }
    }
    yield ']';
    return;
  }
  if (typeof value === 'object' && value !== null && hasLongArray(value, 3)) {
    yield '{';
    let first = true;
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function') continue; // as JSON.stringify
      yield `${first ? '' : ','}${JSON.stringify(k)}:`;
      first = false;
      yield* jsonPieces(v);
    }
    yield '}';
    return;
  }
  yield JSON.stringify(value);
}

/** An array element: JSON.stringify writes undefined (and functions) there as null. */
function* element(v: unknown): Generator<string, void, undefined> {
  if (v === undefined || typeof v === 'function') yield 'null';
  else yield* jsonPieces(v);
}

/** True when an array longer than SLICE lies within `depth` levels of objects. */
function hasLongArray(value: object, depth: number): boolean {
  for (const v of Object.values(value)) {
    if (Array.isArray(v)) {
      if (v.length > SLICE) return true;
    } else if (depth > 1 && typeof v === 'object' && v !== null && hasLongArray(v, depth - 1)) {
      return true;
    }
  }
  return false;
}
