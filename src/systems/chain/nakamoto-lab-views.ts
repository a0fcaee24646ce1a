/**
 * nakamoto in the lab: blocks as a tree with its forks, each miner's height, stale blocks and
 * reorgs as they happen, and the confirmations one payment gathers (and loses) on each node.
 * The tree is rebuilt from the `block` messages the miners sent (a block nobody sent, such as a
 * selfish miner's still-secret one, is not known until it is published).
 */
import type { Json } from '../../core/json.js';
import {
  msgField,
  perNodeSteps,
  viewNum,
  viewStr,
  type ChartData,
  type LabRun,
  type LabViews,
  type TreeNode,
} from '../../core/lab-views.js';

/** The most recent heights the block tree shows, so a long run's tree stays readable… */
export const TREE_HEIGHTS = 30;
/** …or back to the latest fork, if that is older, but never more than this many. */
export const MAX_TREE_HEIGHTS = 90;

export interface KnownBlock {
  readonly hash: string;
  readonly parent: string;
  readonly height: number;
  readonly miner: string;
  readonly txs: readonly string[];
  /** When it was first sent. */
  readonly seen: number;
}

/** Per run: the panels of one redraw share one scan of the messages. */
const blocksOf = new WeakMap<LabRun, Map<string, KnownBlock>>();

/** Every block sent so far, by hash, in the order first sent. */
export function knownBlocks(run: LabRun): Map<string, KnownBlock> {
  const cached = blocksOf.get(run);
  if (cached !== undefined) return cached;
  const blocks = new Map<string, KnownBlock>();
  for (const m of run.sent) {
    if (msgField(m.msg, 'type') !== 'block') continue;
    const b = readBlock(msgField(m.msg, 'block'), m.t);
    if (b !== undefined && !blocks.has(b.hash)) blocks.set(b.hash, b);
  }
  blocksOf.set(run, blocks);
  return blocks;
}

function readBlock(block: Json | undefined, t: number): KnownBlock | undefined {
  if (block === undefined) return undefined;
  const hash = msgField(block, 'hash');
  const height = msgField(block, 'height');
  const miner = msgField(block, 'miner');
  const txs = msgField(block, 'txs');
  const header = msgField(block, 'header');
  const parent = header === undefined ? undefined : msgField(header, 'prevHash');
  if (
    typeof hash !== 'string' ||
    typeof height !== 'number' ||
    typeof miner !== 'string' ||
    typeof parent !== 'string' ||
    !Array.isArray(txs)
  )
    return undefined;
  return {
    hash,
    parent,
    height,
    miner,
    txs: txs.filter((x): x is string => typeof x === 'string'),
    seen: t,
  };
}

/** The known blocks from `hash` back to the first unknown ancestor (genesis is never sent). */
export function ancestry(blocks: ReadonlyMap<string, KnownBlock>, hash: string): Set<string> {
  const out = new Set<string>();
  for (let b = blocks.get(hash); b !== undefined; b = blocks.get(b.parent)) out.add(b.hash);
  return out;
}

/**
 * Each node's tip as time goes on, asked for at non-decreasing instants: `at(t)` gives every
 * node's latest tip at or before `t`, walking each node's samples once over all the calls.
 */
function tipCursor(run: LabRun): (t: number) => string[] {
  const nodes = run.nodes.map((n) => ({
    samples: run.samples(n),
    i: 0,
    tip: undefined as string | undefined,
  }));
  return (t) => {
    const tips: string[] = [];
    for (const c of nodes) {
      for (let s = c.samples[c.i]; s !== undefined && s.t <= t; s = c.samples[++c.i])
        c.tip = viewStr(s.view, 'tip') ?? c.tip;
      if (c.tip !== undefined) tips.push(c.tip);
    }
    return tips;
  };
}

/** The highest tip any node follows at `t` (ties: the one met first), among known blocks. */
function leadingTip(
  blocks: ReadonlyMap<string, KnownBlock>,
  tips: readonly string[],
): KnownBlock | undefined {
  let best: KnownBlock | undefined;
  for (const h of tips) {
    const b = blocks.get(h);
    if (b !== undefined && (best === undefined || b.height > best.height)) best = b;
  }
  return best;
}

/**
 * The block tree's recent part, back to its latest fork: main blocks lie on the chain of the
 * highest tip a node follows at the end; the others are stale (forks that lost, or still racing).
 */
export function blockTree(run: LabRun): TreeNode[] {
  const blocks = knownBlocks(run);
  const best = leadingTip(blocks, tipCursor(run)(run.end));
  const main = best === undefined ? new Set<string>() : ancestry(blocks, best.hash);
  let top = 0;
  let fork = -Infinity;
  for (const b of blocks.values()) {
    top = Math.max(top, b.height);
    if (!main.has(b.hash)) fork = Math.max(fork, b.height);
  }
  // Two blocks below the latest stale one show where its branch left the main chain.
  const from = Math.max(top - MAX_TREE_HEIGHTS, Math.min(top - TREE_HEIGHTS, fork - 3));
  const shown = [...blocks.values()].filter((b) => b.height > from);
  const ids = new Set(shown.map((b) => b.hash));
  return shown.map((b) => ({
    id: b.hash,
    parent: ids.has(b.parent) ? b.parent : null,
    depth: b.height,
    label: `${b.height} by ${b.miner}`,
    kind: main.has(b.hash) ? 'main' : 'stale',
  }));
}

/**
 * Stale blocks over time: at each instant a block was first sent, the known blocks no higher
 * than the leading tip that are off its chain.
 */
export function staleSeries(run: LabRun): ChartData {
  const blocks = knownBlocks(run);
  const xs: number[] = [];
  const ys: number[] = [];
  const seen = new Map<string, KnownBlock>();
  const times = [...new Set([...blocks.values()].map((b) => b.seen)), run.end];
  const tipsAt = tipCursor(run);
  const next = blocks.values();
  let pending = next.next();
  for (const t of times) {
    while (!pending.done && pending.value.seen <= t) {
      seen.set(pending.value.hash, pending.value);
      pending = next.next();
    }
    if (seen.size === 0) continue;
    const best = leadingTip(seen, tipsAt(t));
    const main = best === undefined ? new Set<string>() : ancestry(seen, best.hash);
    const limit = best?.height ?? 0;
    let stale = 0;
    for (const b of seen.values()) if (b.height <= limit && !main.has(b.hash)) stale++;
    if (xs.length > 0 && xs[xs.length - 1] === t) continue;
    xs.push(t);
    ys.push(stale);
  }
  return { xs, lines: [{ label: 'stale blocks', ys }] };
}

/** The first payment (not a coinbase) that made it into a sent block: the one followed. */
export function chosenPayment(blocks: ReadonlyMap<string, KnownBlock>): string | undefined {
  for (const b of blocks.values()) {
    const tx = b.txs.find((x) => !x.startsWith('coinbase:'));
    if (tx !== undefined) return tx;
  }
  return undefined;
}

/**
 * The chosen payment's confirmations on each node over time: the depth of the block holding it
 * in the chain the node follows (0 while it is in none, so a reorg that undoes it shows as a fall).
 */
export function confirmationSeries(run: LabRun): ChartData {
  const blocks = knownBlocks(run);
  const tx = chosenPayment(blocks);
  if (tx === undefined) return { xs: [], lines: [] };
  const holders = [...blocks.values()].filter((b) => b.txs.includes(tx));
  const byTip = new Map<string, number>();
  const confirmations = (tip: string): number => {
    const known = byTip.get(tip);
    if (known !== undefined) return known;
    const n = confirmationsAt(tip);
    byTip.set(tip, n);
    return n;
  };
  const confirmationsAt = (tip: string): number => {
    const tipBlock = blocks.get(tip);
    if (tipBlock === undefined) return 0;
    const chain = ancestry(blocks, tip);
    const holder = holders.find((h) => chain.has(h.hash));
    return holder === undefined ? 0 : tipBlock.height - holder.height + 1;
  };
  const data = perNodeSteps(run, (v) => {
    const tip = viewStr(v, 'tip');
    return tip === undefined ? undefined : confirmations(tip);
  });
  return { xs: data.xs, lines: data.lines.map((l) => ({ ...l, label: `${l.label} · ${tx}` })) };
}

/**
 * Reorgs as they happen: each time a node's reorg count grew, when, how many blocks it
 * disconnected (from the tree, when both tips are known) and its new height.
 */
export function reorgRows(run: LabRun): (string | number)[][] {
  const blocks = knownBlocks(run);
  const rows: { t: number; row: (string | number)[] }[] = [];
  for (const node of run.nodes) {
    let reorgs = 0;
    let tip: string | undefined;
    for (const s of run.samples(node)) {
      const n = viewNum(s.view, 'reorgs');
      const newTip = viewStr(s.view, 'tip');
      if (n !== undefined && n > reorgs && tip !== undefined && newTip !== undefined) {
        rows.push({ t: s.t, row: [s.t, node, disconnected(blocks, tip, newTip), height(s.view)] });
      }
      if (n !== undefined) reorgs = n;
      if (newTip !== undefined) tip = newTip;
    }
  }
  return rows.sort((a, b) => a.t - b.t).map((r) => r.row);
}

function height(view: Parameters<typeof viewNum>[0]): number | string {
  return viewNum(view, 'height') ?? '?';
}

/** Blocks of the old tip's chain that the new tip's does not hold ('?' past what is known). */
function disconnected(
  blocks: ReadonlyMap<string, KnownBlock>,
  oldTip: string,
  newTip: string,
): number | string {
  const kept = ancestry(blocks, newTip);
  let n = 0;
  for (let b = blocks.get(oldTip); b !== undefined; b = blocks.get(b.parent)) {
    if (kept.has(b.hash)) return n;
    n++;
  }
  return '?';
}

function nodeRole(strategy: string | undefined): string {
  return strategy === undefined || strategy === 'honest' ? 'miner' : `attacker (${strategy})`;
}

export const nakamotoLabViews: LabViews = {
  messageLabel: (msg) => {
    const type = msgField(msg, 'type');
    const block = msgField(msg, 'block');
    const h = block === undefined ? undefined : msgField(block, 'height');
    return type === 'block' && typeof h === 'number' ? `block ${h}` : String(type);
  },
  lane: (view) => ({
    role: nodeRole(viewStr(view, 'strategy')),
    marks: [`height ${height(view)}`],
  }),
  panels: [
    {
      kind: 'tree',
      id: 'block-tree',
      title: 'Block tree (recent heights, back to the latest fork)',
      tree: blockTree,
    },
    {
      kind: 'chart',
      id: 'height',
      title: 'Chain height per node',
      yLabel: 'height',
      stepped: true,
      data: (run) => perNodeSteps(run, (v) => viewNum(v, 'height')),
    },
    {
      kind: 'chart',
      id: 'stale',
      title: 'Stale blocks (off the leading chain)',
      yLabel: 'blocks',
      stepped: true,
      data: staleSeries,
    },
    {
      kind: 'chart',
      id: 'confirmations',
      title: 'Confirmations of the first payment mined',
      yLabel: 'confirmations',
      stepped: true,
      data: confirmationSeries,
    },
    {
      kind: 'table',
      id: 'reorgs',
      title: 'Reorgs',
      columns: ['t (ms)', 'node', 'blocks disconnected', 'new height'],
      rows: reorgRows,
    },
  ],
  verdictName: 'chain consistent',
  judgeChecks:
    'no payment that reached the finality depth was undone, every node ends on the same chain, ' +
    'and each honest chain keeps the difficulty and most-work rules',
};
