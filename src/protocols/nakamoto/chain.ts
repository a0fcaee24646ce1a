/**
 * A node's block tree and fork choice: every valid block it knows, and the best chain — the one
 * with the most cumulative work (not the most blocks), ties going to the block seen first. A
 * better branch triggers a reorg: blocks after the fork point are disconnected and the new
 * branch's connected, and the caller learns exactly which.
 *
 * Once difficulty retargets, a shorter branch of harder blocks can outweigh a longer one of
 * easier blocks; `most-blocks` is the mutant that forgets that and counts blocks.
 */
import { blockWork } from './work.js';
import { coinOf, GENESIS, type Block } from './block.js';

interface Entry {
  readonly block: Block;
  readonly work: bigint;
  /** Order of arrival, for first-seen tie-breaking. */
  readonly seen: number;
}

export interface TipChange {
  readonly disconnected: readonly Block[];
  readonly connected: readonly Block[];
}

export type ChainRule = 'most-work' | 'most-blocks';

export class Chain {
  private readonly entries = new Map<string, Entry>();
  /** The best chain by height: hashes from genesis to tip. */
  private readonly main: string[] = [];
  /** Height of each transaction in the best chain. */
  private readonly txHeight = new Map<string, number>();
  /** Transaction spending each coin in the best chain. */
  private readonly coinSpender = new Map<string, string>();
  private seen = 0;
  /** The most cumulative work of any block held (the tip's, unless a rule ignores work). */
  private heaviest = 0n;

  constructor(
    genesis: Block = GENESIS,
    readonly rule: ChainRule = 'most-work',
  ) {
    this.entries.set(genesis.hash, { block: genesis, work: 0n, seen: this.seen++ });
    this.main.push(genesis.hash);
  }

  get tip(): Block {
    return this.block(this.main[this.main.length - 1] as string) as Block;
  }

  get height(): number {
    return this.main.length - 1;
  }

  get size(): number {
    return this.entries.size;
  }

  has(hash: string): boolean {
    return this.entries.has(hash);
  }

  block(hash: string): Block | undefined {
    return this.entries.get(hash)?.block;
  }

  workOf(hash: string): bigint {
    return this.entries.get(hash)?.work ?? 0n;
  }

  /** The most cumulative work of any branch this chain holds. */
  get mostWork(): bigint {
    return this.heaviest;
  }

  /** The best chain's block at `height`. */
  atHeight(height: number): Block | undefined {
    const h = this.main[height];
    return h === undefined ? undefined : this.block(h);
  }

  mainHashes(): readonly string[] {
    return this.main;
  }

  inMain(hash: string): boolean {
    const b = this.block(hash);
    return b !== undefined && this.main[b.height] === hash;
  }

  /** Confirmations of a transaction on the best chain (1 = in the tip), 0 when absent. */
  confirmations(tx: string): number {
    const h = this.txHeight.get(tx);
    return h === undefined ? 0 : this.height - h + 1;
  }

  /** The transaction in the best chain spending `tx`'s coin, if any. */
  spenderOf(tx: string): string | undefined {
    return this.coinSpender.get(coinOf(tx));
  }

  /**
   * Adds a block whose parent is known (the caller holds orphans). Returns the tip change it
   * caused, or null when the best chain stays. `allowReorg` false keeps the tip on its branch
   * whatever the other branch's work (a mutant's fork choice).
   */
  add(block: Block, allowReorg = true): TipChange | null {
    if (this.entries.has(block.hash)) return null;
    const parent = this.entries.get(block.header.prevHash);
    if (parent === undefined) throw new Error(`parent of ${block.hash} unknown`);
    if (block.height !== parent.block.height + 1) throw new Error('height is not parent + 1');
    const work = parent.work + blockWork(block.header.bits);
    this.entries.set(block.hash, { block, work, seen: this.seen++ });
    if (work > this.heaviest) this.heaviest = work;
    const better =
      this.rule === 'most-blocks' ? block.height > this.height : work > this.workOf(this.tip.hash);
    if (!better) return null;
    if (!allowReorg && !this.extendsTip(block)) return null;
    return this.switchTo(block);
  }

  private extendsTip(block: Block): boolean {
    let b: Block | undefined = block;
    while (b !== undefined && b.height > this.height) b = this.block(b.header.prevHash);
    return b?.hash === this.tip.hash;
  }

  private switchTo(newTip: Block): TipChange {
    const connected: Block[] = [];
    let b: Block = newTip;
    while (!this.inMain(b.hash)) {
      connected.push(b);
      b = this.block(b.header.prevHash) as Block;
    }
    const forkHeight = b.height;
    const disconnected: Block[] = [];
    for (let h = this.height; h > forkHeight; h--) {
      const gone = this.block(this.main[h] as string) as Block;
      disconnected.push(gone);
      for (const tx of gone.txs) {
        this.txHeight.delete(tx);
        if (this.coinSpender.get(coinOf(tx)) === tx) this.coinSpender.delete(coinOf(tx));
      }
    }
    this.main.length = forkHeight + 1;
    connected.reverse();
    for (const c of connected) {
      this.main.push(c.hash);
      for (const tx of c.txs) {
        this.txHeight.set(tx, c.height);
        this.coinSpender.set(coinOf(tx), tx);
      }
    }
    return { disconnected, connected };
  }
}
