/**
 * A unified diff of two small blocks of lines (an output block is tens of lines): the longest
 * common subsequence by dynamic programming, then hunks with `context` lines around changes.
 */

type Op = { readonly kind: ' ' | '-' | '+'; readonly text: string };

function edits(a: readonly string[], b: readonly string[]): Op[] {
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] =
        a[i] === b[j]
          ? ((lcs[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lcs[i + 1] as number[])[j] as number, row[j + 1] as number);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ kind: ' ', text: a[i] as string });
      i++;
      j++;
    } else if (
      i < a.length &&
      (j === b.length ||
        ((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number))
    ) {
      // Deletions before insertions, as diff prints a changed line: - then +.
      ops.push({ kind: '-', text: a[i] as string });
      i++;
    } else {
      ops.push({ kind: '+', text: b[j] as string });
      j++;
    }
  }
  return ops;
}

/** `--- expectedName` / `+++ actualName` and `@@` hunks; empty when the blocks are equal. */
export function unifiedDiff(
  expected: readonly string[],
  actual: readonly string[],
  expectedName = 'expected',
  actualName = 'actual',
  context = 3,
): string {
  const ops = edits(expected, actual);
  if (ops.every((o) => o.kind === ' ')) return '';
  const out = [`--- ${expectedName}`, `+++ ${actualName}`];
  // Line numbers (0-based) in each block at every op.
  const at: [number, number][] = [];
  let ea = 0;
  let eb = 0;
  for (const o of ops) {
    at.push([ea, eb]);
    if (o.kind !== '+') ea++;
    if (o.kind !== '-') eb++;
  }
  let k = 0;
  while (k < ops.length) {
    if ((ops[k] as Op).kind === ' ') {
      k++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` after the last change
    // that lies within 2 × context of the one before it.
    const start = Math.max(0, k - context);
    let end = k;
    let last = k;
    while (end < ops.length && end - last <= 2 * context) {
      if ((ops[end] as Op).kind !== ' ') last = end;
      end++;
    }
    end = Math.min(ops.length, last + context + 1);
    const hunk = ops.slice(start, end);
    const [a0, b0] = at[start] as [number, number];
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${a0 + 1},${aLen} +${b0 + 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.text}`);
    k = end;
  }
  return out.join('\n');
}
