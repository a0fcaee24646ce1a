/**
 * A proof-of-work node: it mines, relays and follows the chain with the most work.
 *
 * Mining is sampled, not brute-forced: a miner with share s of the hash power finds a block
 * after an exponential time of mean `intervalMs / s` (drawn from its seeded stream) at the
 * start difficulty, scaled by the work the block's target demands, and re-draws whenever its
 * tip changes — memorylessness makes that exact. The block is real all the same (header, Merkle
 * root, double SHA-256 hash); it just does not meet its target, and its work is credited from
 * its bits. With `realPow` the miner really hashes nonces against a tiny target and the number
 * of hashes it needed, times the time one hash takes at its share, is when it finds the block —
 * the same distribution, now earned.
 *
 * The target comes from the chain (difficulty.ts): a miner mines at what its parent chain
 * requires, and a block from a peer carrying any other target is rejected.
 *
 * Strategies: `honest`; `double-spend` (pays a merchant, secretly mines a chain with a
 * conflicting payment, and publishes it once the merchant has seen z confirmations and the
 * secret chain is longer); `selfish` (Eyal–Sirer: withholds blocks to orphan honest ones);
 * `low-difficulty` (a cheat: mines honestly-shaped blocks at a quarter of the difficulty its
 * chain requires, so four times as fast, hoping peers do not check); `long-light` (mines a
 * private branch from genesis whose timestamps claim every period took four times too long, so
 * each retarget eases it fourfold — valid by the retarget rule alone, as there is no future-time
 * rule here — and publishes it once it has more blocks than the public chain, though far less
 * work; then mines honestly). Only a node that counts blocks instead of work follows it.
 */
import type { Json } from '../../core/json.js';
import type { NodeEnv, NodeId, ProtocolNode, TimerId } from '../../core/node.js';
import { fromDisplayHex } from './bytes.js';
import { blockDefect, coinOf, makeBlock, type Block } from './block.js';
import { decodeCompact, encodeCompact } from './compact-target.js';
import { hashMeetsBits, serializeHeader, headerHashBytes, type BlockHeader } from './header.js';
import { Chain, type TipChange } from './chain.js';
import { requiredBits, type DifficultyRule } from './difficulty.js';
import { blockWork } from './work.js';

export type Strategy = 'honest' | 'double-spend' | 'selfish' | 'low-difficulty' | 'long-light';

export interface MinerConfig {
  /** Mean time between blocks of the whole network at the start difficulty, virtual ms. */
  readonly intervalMs: number;
  /** This node's share of the hash power, in (0, 1]. */
  readonly share: number;
  /** The target each block must carry, from its ancestors. */
  readonly difficulty: DifficultyRule;
  /**
   * Virtual ms per header second. Bitcoin's clock (1000) is too coarse for a period of a few
   * seconds, so a retargeting network counts one header second per virtual ms.
   */
  readonly msPerHeaderSecond: number;
  /** False only in the mutant that accepts a peer's block whatever target it carries. */
  readonly checkDifficulty: boolean;
  /** False only in the mutant whose nodes never tell a peer on a lighter branch their tip. */
  readonly tellTip?: boolean;
  readonly realPow: boolean;
  /** Mean time between payments this node makes; 0 for none. */
  readonly txIntervalMs: number;
  readonly maxBlockTxs: number;
  readonly strategy: Strategy;
  /** Double spend: the confirmations the merchant waits for. */
  readonly merchantConfirmations: number;
  /** Double spend: give up when this far behind. */
  readonly giveUpDeficit: number;
  /** Confirmations at which a payment counts as final (what the system's judge holds to). */
  readonly finality: number;
  /**
   * Fork choice: `most-work`; the mutants `never-reorg` (never leaves its first-seen branch)
   * and `most-blocks` (the longest branch, whatever its work).
   */
  readonly forkChoice: 'most-work' | 'never-reorg' | 'most-blocks';
}

export type MinerMsg =
  | { readonly type: 'block'; readonly block: Block }
  | { readonly type: 'getblock'; readonly hash: string }
  | { readonly type: 'tx'; readonly tx: string };

/** Seconds of header time per virtual millisecond start at Bitcoin's genesis time. */
const EPOCH_S = 1231006505;
const MAX_NONCE_TRIES = 1 << 24;

interface Attack {
  /** The public block the secret branch grows from. */
  base: Block;
  /** Secret blocks (published ones are removed as they go public). */
  readonly secret: Block[];
  /** Secret blocks already revealed (selfish mining reveals them one by one). */
  revealed: number;
  readonly pay: string | null;
  /** Selfish mining: a tie race is on (the pool published and the network is split). */
  racing: boolean;
}

/** A reorg that undid payments with at least `finality` confirmations on this node. */
export interface DeepReversal {
  /** When the reorg happened, on this node's clock. */
  readonly at: number;
  /**
   * When the branches began to race: the earliest of when the first block of either side of the
   * fork was mined (its header time) and when this node connected the first block it undid. A
   * branch mined behind a partition can reach a node only long after the heal (its blocks are
   * fetched one parent at a time), so the node's own connect time alone would date a race the
   * partition ran as if it had run on the healed network.
   */
  readonly since: number;
  /** Blocks the reorg disconnected. */
  readonly depth: number;
  /** Payments (not coinbases) it undid with at least `finality` confirmations. */
  readonly payments: number;
  /** One of them, for the judge's message. */
  readonly example: string;
}

/** How much easier than required the `low-difficulty` cheat's blocks are. */
const CHEAT_FACTOR = 4n;

export class MinerNode implements ProtocolNode<MinerMsg> {
  readonly chain: Chain;
  /** Highest confirmation count each transaction reached on this node's best chain. */
  readonly reached = new Map<string, number>();
  /** Transactions whose confirmations a reorg undid, with how many they had. */
  readonly undone = new Map<string, number>();
  readonly stats = {
    mined: 0,
    reorgs: 0,
    maxReorgDepth: 0,
    invalid: 0,
    attacks: 0,
    attackWins: 0,
    attackGiveUps: 0,
    /** Tip changes to a branch with less work than the tip left: a correct node makes none. */
    lighterAdoptions: 0,
  };
  /** Reorgs that undid payments at the finality depth, in order. */
  readonly deepReversals: DeepReversal[] = [];
  /** When this node connected each block (its clock), to date a reorg's race. */
  private readonly connectedAt = new Map<string, number>();
  private readonly mempool = new Map<string, true>();
  /**
   * Every payment this node has relayed: relayed once, ever (Bitcoin's known-inventory filter).
   * A payment confirmed, then undone by a reorg and back in the mempool, was re-relayed each
   * time a copy arrived, and under swarm's duplication and reorgs the copies multiplied (a swarm
   * seed of nakamoto sent millions of messages).
   */
  private readonly relayed = new Set<string>();
  /**
   * When this node last asked for a missing parent, by hash: asked again only after a block
   * interval (the request or its answer may have been lost), as Bitcoin Core tracks blocks in
   * flight. Asking again for every copy of every orphan let duplicated messages multiply request
   * chains without bound (a swarm seed sent millions of messages).
   */
  private readonly requestedAt = new Map<string, number>();
  private readonly orphans = new Map<string, Block[]>();
  /** The tip last sent to each peer by tellHeavierTip. */
  private readonly toldTip = new Map<NodeId, string>();
  /**
   * Blocks found invalid, and their descendants: never asked for or checked again (Bitcoin
   * Core's failed-block marks). Without it every descendant of an invalid block arriving as an
   * orphan asks for the invalid parent again, gets it, rejects it, and keeps waiting: a swarm
   * seed with a faulty miner sent millions of messages.
   */
  private readonly rejected = new Set<string>();
  private mining: TimerId | null = null;
  /** Real-PoW mode: the block whose nonce was already found, awaiting its time. */
  private pending: Block | null = null;
  private txSeq = 0;
  private attack: Attack | null = null;
  /** True while an attacker releases its own blocks (their arrival must not re-judge it). */
  private publishing = false;

  constructor(
    private readonly env: NodeEnv<MinerMsg>,
    readonly config: MinerConfig,
  ) {
    this.chain = new Chain(
      undefined,
      config.forkChoice === 'most-blocks' ? 'most-blocks' : 'most-work',
    );
    this.startWork = blockWork(config.difficulty.startBits);
    if (this.startWork === 0n) throw new RangeError('the start bits are not a valid target');
  }

  /** Work of one block at the start difficulty: what `intervalMs / share` is the mean time of. */
  private readonly startWork: bigint;

  start(info: { recovered: boolean }): void {
    if (info.recovered) {
      const s = this.env.storage;
      for (let i = s.firstIndex(); i <= s.lastIndex(); i++) {
        const b = s.entry(i) as unknown as Block;
        if (!this.chain.has(b.hash) && this.chain.has(b.header.prevHash)) {
          this.observe(this.chain.add(b));
        }
      }
    }
    const s = this.config.strategy;
    if (s === 'double-spend' || s === 'selfish' || s === 'long-light') this.beginAttack();
    this.mine();
    if (this.config.txIntervalMs > 0) this.scheduleTx();
  }

  // ---- mining ------------------------------------------------------------------------------

  /** The block a miner extends: its secret branch's head when attacking, else its tip. */
  private miningParent(): Block {
    const a = this.attack;
    if (a !== null) return a.secret.length > 0 ? (a.secret[a.secret.length - 1] as Block) : a.base;
    return this.chain.tip;
  }

  /** Any block this node holds, its unpublished secret branch included. */
  private lookup = (hash: string): Block | undefined =>
    this.chain.block(hash) ?? this.attack?.secret.find((b) => b.hash === hash);

  /**
   * The bits a child of `parent` must carry. The cheat's are four times easier than an honest
   * parent requires; on its own blocks it keeps their (already easy) bits, or its difficulty
   * would fall fourfold at every block.
   */
  private bitsFor(parent: Block): number {
    const bits = requiredBits(this.config.difficulty, parent, this.lookup);
    if (this.config.strategy !== 'low-difficulty') return bits;
    if (parent.height > 0 && parent.miner === this.env.id) return bits;
    // Capped at four times the start target: peers that accept it (the mutant) then mine at
    // its bits, and an uncapped cheat would halve and halve the difficulty down to nothing.
    const rule = this.config.difficulty;
    let easier = decodeCompact(bits).target * CHEAT_FACTOR;
    const cap = decodeCompact(rule.startBits).target * CHEAT_FACTOR;
    if (easier > cap) easier = cap;
    if (easier > rule.powLimit) easier = rule.powLimit;
    return encodeCompact(easier);
  }

  private mine(): void {
    if (this.mining !== null) this.env.cancelTimer(this.mining);
    this.pending = null;
    const meanMs = this.config.intervalMs / this.config.share;
    if (!this.config.realPow) {
      // Time to a block is proportional to the work its target demands over the hash rate.
      const work = blockWork(this.bitsFor(this.miningParent()));
      const scale = work === this.startWork ? 1 : Number(work) / Number(this.startWork);
      this.mining = this.env.setTimer(this.env.random.exponential(meanMs * scale), 'mined');
      return;
    }
    const block = this.template(this.env.random.int(0x100000000));
    const { block: solved, tries } = this.solve(block);
    this.pending = solved;
    const msPerHash = meanMs / Number(this.startWork);
    this.mining = this.env.setTimer(tries * msPerHash, 'mined');
  }

  private template(nonce: number): Block {
    const parent = this.miningParent();
    const txs = [`coinbase:${this.env.id}:${parent.height + 1}:${this.stats.mined}`];
    if (this.attack !== null) {
      // The secret branch carries the conflicting payment and nothing the merchant could see.
      if (this.attack.secret.length === 0 && this.attack.pay !== null) {
        txs.push(`${coinOf(this.attack.pay)}>${this.env.id}`);
      }
    } else {
      for (const tx of this.mempool.keys()) {
        if (txs.length > this.config.maxBlockTxs) break;
        txs.push(tx);
      }
    }
    const clock = EPOCH_S + Math.floor(this.env.now() / this.config.msPerHeaderSecond);
    let time = Math.max(parent.header.time, clock);
    const rule = this.config.difficulty;
    if (this.attack !== null && this.config.strategy === 'long-light' && rule.retargetBlocks > 0) {
      // Each period's first-to-last span reads as four timespans: the clamp's full ease.
      time = parent.header.time + Math.ceil((4 * rule.timespan) / (rule.retargetBlocks - 1));
    }
    const bits = this.bitsFor(parent);
    return makeBlock(parent, { version: 1, time, bits, nonce }, this.env.id, txs);
  }

  /** Real proof of work: try nonces until the header's hash meets its target. */
  private solve(block: Block): { block: Block; tries: number } {
    const bytes = serializeHeader(block.header);
    let nonce = block.header.nonce;
    for (let tries = 1; tries <= MAX_NONCE_TRIES; tries++) {
      bytes[76] = nonce & 0xff;
      bytes[77] = (nonce >>> 8) & 0xff;
      bytes[78] = (nonce >>> 16) & 0xff;
      bytes[79] = (nonce >>> 24) & 0xff;
      if (hashMeetsBits(headerHashBytes(bytes), block.header.bits)) {
        const header: BlockHeader = { ...block.header, nonce };
        return { block: { ...makeBlockFrom(block, header) }, tries };
      }
      nonce = (nonce + 1) >>> 0;
    }
    throw new Error('no nonce meets the target: it is far too hard for --real-pow');
  }

  private found(): void {
    this.mining = null;
    const block = this.pending ?? this.template(this.env.random.int(0x100000000));
    this.pending = null;
    this.stats.mined++;
    this.env.metric('blocks-mined');
    if (this.attack !== null) {
      this.attack.secret.push(block);
      this.judgeAttack();
      this.mine();
      return;
    }
    this.accept(block, null);
  }

  // ---- blocks --------------------------------------------------------------------------------

  onMessage(from: NodeId, msg: MinerMsg): void {
    if (msg.type === 'tx') {
      this.takeTx(msg.tx, from);
      return;
    }
    if (msg.type === 'getblock') {
      const b = this.chain.block(msg.hash);
      if (b !== undefined) this.env.send(from, { type: 'block', block: b });
      return;
    }
    const b = msg.block;
    if (this.chain.has(b.hash) || this.rejected.has(b.hash)) return;
    const defect =
      blockDefect(b) ??
      this.contextDefect(b) ??
      (this.rejected.has(b.header.prevHash) ? 'descends from an invalid block' : undefined);
    if (defect !== undefined) {
      this.reject(b);
      this.env.log('invalid block', { hash: b.hash, from, defect });
      return;
    }
    if (!this.chain.has(b.header.prevHash)) {
      const waiting = this.orphans.get(b.header.prevHash) ?? [];
      if (!waiting.some((o) => o.hash === b.hash)) waiting.push(b);
      this.orphans.set(b.header.prevHash, waiting);
      this.requestParent(b.header.prevHash, from);
      return;
    }
    this.accept(b, from);
    this.tellHeavierTip(b, from);
  }

  /**
   * A peer relayed a block of a branch lighter than this node's: it does not know the heavier
   * chain, so send it the tip (once per tip and peer); the peer asks for the parents it lacks.
   * Without it a node that rejoins on a lighter branch learns of the heavier one only when that
   * chain grows, and a chain whose retargets made it slow may not grow for the rest of the run
   * (`sim nakamoto --swarm --seed 1448`: n2, rebooted during the last faults, mined on at 1/14.5
   * of the others' difficulty while they held the heavier chain). Bitcoin's peers sync headers on
   * connecting for the same reason. An attacker keeps its private branch to itself.
   */
  private tellHeavierTip(b: Block, from: NodeId): void {
    if (this.config.tellTip === false) return;
    if (this.attack !== null || this.publishing || !this.chain.has(b.hash)) return;
    const tip = this.chain.tip;
    if (this.chain.workOf(tip.hash) <= this.chain.workOf(b.hash)) return;
    if (this.toldTip.get(from) === tip.hash) return;
    this.toldTip.set(from, tip.hash);
    this.env.send(from, { type: 'block', block: tip });
  }

  private contextDefect(b: Block): string | undefined {
    if (this.config.realPow && !hashMeetsBits(fromDisplayHex(b.hash), b.header.bits)) {
      return 'hash does not meet the target';
    }
    return undefined;
  }

  private requestParent(hash: string, from: NodeId): void {
    const now = this.env.now();
    const at = this.requestedAt.get(hash);
    // A clock stepped back (now < at) counts as long ago: ask.
    if (at !== undefined && now >= at && now - at < this.config.intervalMs) return;
    this.requestedAt.set(hash, now);
    this.env.send(from, { type: 'getblock', hash });
  }

  /** Marks `b` invalid, with the orphans waiting for it and theirs: none can ever connect. */
  private reject(b: Block): void {
    const stack = [b];
    while (stack.length > 0) {
      const x = stack.pop() as Block;
      if (this.rejected.has(x.hash)) continue;
      this.rejected.add(x.hash);
      this.stats.invalid++;
      stack.push(...(this.orphans.get(x.hash) ?? []));
      this.orphans.delete(x.hash);
    }
  }

  /** Connects a block whose parent is known, then any orphans waiting for it; relays them. */
  private accept(first: Block, from: NodeId | null): void {
    const queue = [first];
    let changed = false;
    while (queue.length > 0) {
      const b = queue.shift() as Block;
      if (this.chain.has(b.hash)) continue;
      const parent = this.chain.block(b.header.prevHash);
      if (parent === undefined) throw new Error(`accept: parent of ${b.hash} is not held`);
      if (b.height !== parent.height + 1) {
        this.reject(b);
        continue;
      }
      // A peer's block must carry the target its parent chain requires (this node's own blocks
      // were made to it, or are the cheat's own). Its orphans go with it: they cannot connect.
      const own = b === first && from === null;
      if (!own && this.config.checkDifficulty) {
        const want = requiredBits(this.config.difficulty, parent, this.lookup);
        if (b.header.bits !== want) {
          this.reject(b);
          this.env.log('invalid block', { hash: b.hash, defect: 'unexpected difficulty bits' });
          continue;
        }
      }
      this.requestedAt.delete(b.hash);
      const change = this.chain.add(b, this.config.forkChoice !== 'never-reorg');
      this.env.storage.append(b as unknown as Json);
      for (const peer of this.env.peers)
        if (peer !== from) this.env.send(peer, { type: 'block', block: b });
      if (this.observe(change)) changed = true;
      const waiting = this.orphans.get(b.hash);
      if (waiting !== undefined) {
        this.orphans.delete(b.hash);
        queue.push(...waiting);
      }
    }
    this.env.storage.sync(() => {});
    if (this.publishing) return;
    if (this.attack !== null) this.judgeAttack();
    else if (changed) this.mine();
  }

  /** Book-keeping for a tip change: mempool, confirmations reached and undone, reorg stats. */
  private observe(change: TipChange | null): boolean {
    if (change === null) return false;
    const now = this.env.now();
    const first = change.connected[0];
    if (first === undefined) throw new Error('a tip change connects at least one block');
    // disconnected runs from the old tip down; connected from the fork up.
    const oldTip = change.disconnected[0]?.hash ?? first.header.prevHash;
    const newTip = (change.connected[change.connected.length - 1] as Block).hash;
    if (this.chain.workOf(newTip) < this.chain.workOf(oldTip)) this.stats.lighterAdoptions++;
    const oldHeight = this.chain.height - change.connected.length + change.disconnected.length;
    let deepPayments = 0;
    let example = '';
    for (const gone of change.disconnected) {
      const confs = oldHeight - gone.height + 1;
      for (const tx of gone.txs) {
        if (confs >= this.config.finality && !tx.startsWith('coinbase:')) {
          deepPayments++;
          example ||= tx;
        }
        this.reached.set(tx, Math.max(this.reached.get(tx) ?? 0, confs));
        this.undone.set(tx, Math.max(this.undone.get(tx) ?? 0, confs));
        if (!tx.startsWith('coinbase:') && this.chain.spenderOf(tx) === undefined) {
          this.mempool.set(tx, true);
        }
      }
    }
    const lowest = change.disconnected[change.disconnected.length - 1];
    if (deepPayments > 0 && lowest !== undefined) {
      this.deepReversals.push({
        at: now,
        since: Math.min(
          this.connectedSince(lowest.hash),
          this.minedAt(lowest),
          this.minedAt(first),
        ),
        depth: change.disconnected.length,
        payments: deepPayments,
        example,
      });
    }
    for (const c of change.connected) {
      this.connectedAt.set(c.hash, now);
      for (const tx of c.txs) this.mempool.delete(tx);
    }
    if (change.disconnected.length > 0) {
      this.stats.reorgs++;
      this.stats.maxReorgDepth = Math.max(this.stats.maxReorgDepth, change.disconnected.length);
      this.env.metric('reorg-depth', change.disconnected.length);
    }
    return true;
  }

  /**
   * When `b` was mined, on its miner's clock, in virtual ms: its header time (floored to a header
   * second, so never later than the truth; a real-PoW block's is when its search began).
   */
  private minedAt(b: Block): number {
    return (b.header.time - EPOCH_S) * this.config.msPerHeaderSecond;
  }

  private connectedSince(hash: string): number {
    const t = this.connectedAt.get(hash);
    if (t === undefined) throw new Error(`${this.env.id}: disconnected ${hash}, never connected`);
    return t;
  }

  // ---- transactions --------------------------------------------------------------------------

  private scheduleTx(): void {
    this.env.setTimer(this.env.random.exponential(this.config.txIntervalMs), 'tx');
  }

  private takeTx(tx: string, from: NodeId | null): void {
    if (this.mempool.has(tx) || this.chain.confirmations(tx) > 0) return;
    if (this.chain.spenderOf(tx) !== undefined) return; // its coin is already spent
    this.mempool.set(tx, true);
    if (this.relayed.has(tx)) return;
    this.relayed.add(tx);
    for (const peer of this.env.peers) if (peer !== from) this.env.send(peer, { type: 'tx', tx });
  }

  onTimer(name: string, _data: Json | undefined): void {
    if (name === 'mined') this.found();
    else if (name === 'tx') {
      this.takeTx(`tx:${this.env.id}:${this.txSeq++}`, null);
      this.scheduleTx();
    }
  }

  onClientRequest(request: { id: number }): void {
    this.env.reply(request.id, { ok: false, error: 'no client operations', definite: true });
  }

  // ---- attacks -------------------------------------------------------------------------------

  private beginAttack(): void {
    const pay =
      this.config.strategy === 'double-spend' ? `pay-${this.env.id}-${this.stats.attacks}` : null;
    this.attack = { base: this.chain.tip, secret: [], revealed: 0, pay, racing: false };
    if (pay !== null) {
      this.stats.attacks++;
      this.takeTx(`${pay}>merchant`, null);
    }
  }

  /** The public branch's length past the secret branch's base. */
  private publicLead(a: Attack): number {
    return this.chain.height - a.base.height;
  }

  private publish(blocks: readonly Block[]): void {
    this.publishing = true;
    for (const b of blocks) this.accept(b, null);
    this.publishing = false;
  }

  private judgeAttack(): void {
    const a = this.attack;
    if (a === null) return;
    // A public reorg that dropped our base (a partition heal, say): start over from the tip.
    if (!this.chain.inMain(a.base.hash)) return this.restartAttack();
    if (this.config.strategy === 'double-spend') this.judgeDoubleSpend(a);
    else if (this.config.strategy === 'long-light') this.judgeLongLight(a);
    else this.judgeSelfish(a);
  }

  private judgeDoubleSpend(a: Attack): void {
    const pay = a.pay as string;
    const accepted =
      this.chain.confirmations(`${pay}>merchant`) >= this.config.merchantConfirmations;
    const behind = this.publicLead(a) - a.secret.length;
    if (accepted && behind < 0) {
      this.stats.attackWins++;
      this.env.metric('double-spend', 1);
      const secret = [...a.secret];
      this.attack = null;
      this.publish(secret);
      return this.restartAttack();
    }
    if (behind > this.config.giveUpDeficit) {
      this.stats.attackGiveUps++;
      this.env.metric('double-spend', 0);
      this.restartAttack();
    }
  }

  /** Publishes the private branch once it has more blocks than the public one; then honest. */
  private judgeLongLight(a: Attack): void {
    const head = a.secret[a.secret.length - 1];
    if (head === undefined || head.height <= this.chain.height) return;
    this.attack = null;
    this.publish(a.secret);
    this.mine();
  }

  /** Eyal–Sirer's rules, applied whenever either branch grows. */
  private judgeSelfish(a: Attack): void {
    const priv = a.secret.length;
    const pub = this.publicLead(a);
    if (priv === 0) {
      if (pub > 0) this.restartAttack(); // nothing withheld: just follow the tip
      return;
    }
    const ours = a.secret[priv - 1] as Block;
    // Our whole branch is public and on the best chain (others built on it), or we fell
    // behind: either way the episode is over.
    if (this.chain.inMain(ours.hash) || pub > priv) return this.restartAttack();
    if (a.racing) {
      // In a tie race we found the next block: publish it and the branch wins.
      if (priv > pub) {
        this.publish(a.secret.slice(a.revealed));
        this.restartAttack();
      }
      return;
    }
    if (pub === 0) return; // a private lead nobody has challenged yet
    const lead = priv - pub;
    if (lead === 0) {
      // The honest block cancelled our lead of 1: publish ours and race (γ decides).
      this.publish(a.secret.slice(a.revealed));
      a.revealed = priv;
      a.racing = true;
    } else if (lead === 1) {
      // Our lead of 2 became 1: publish everything, orphaning the honest block.
      this.publish(a.secret.slice(a.revealed));
      this.restartAttack();
    } else if (pub > a.revealed) {
      // A long lead: reveal just enough to match the public branch, keep the rest.
      this.publish(a.secret.slice(a.revealed, pub));
      a.revealed = pub;
    }
  }

  private restartAttack(): void {
    this.attack = null;
    this.beginAttack();
    this.mine();
  }

  inspect() {
    return {
      height: this.chain.height,
      tip: this.chain.tip.hash,
      blocks: this.chain.size,
      mempool: this.mempool.size,
      orphans: this.orphans.size,
      strategy: this.config.strategy,
      ...this.stats,
    };
  }
}

function makeBlockFrom(block: Block, header: BlockHeader): Block {
  return makeBlock(
    { hash: header.prevHash, height: block.height - 1 },
    { version: header.version, time: header.time, bits: header.bits, nonce: header.nonce },
    block.miner,
    block.txs,
  );
}
