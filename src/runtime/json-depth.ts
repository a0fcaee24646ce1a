/**
 * How deeply parsed JSON nests. JSON.parse accepts any depth, but JSON.stringify and every
 * recursive walk (a schema check, the WAL's encoder, a reply echoing the client's tag) recurse
 * once per level and overflow the stack at a few thousand: input from a socket is refused past
 * a depth no real request needs, before anything walks it.
 */

/**
 * Nesting allowed in a client line or a peer message. Above what a real one needs (an etcd Txn
 * nested 128 deep, etcd's own limit, is about 400 levels inside a Raft append) and well under
 * where Node 20's JSON.stringify overflows its stack (between 4,000 and 8,000 levels).
 */
export const MAX_JSON_DEPTH = 1000;

/** Whether `value` nests arrays/objects more than `max` levels deep (iterative: no recursion). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, depth] = top;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
