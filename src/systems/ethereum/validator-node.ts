/**
 * An Ethereum node after the merge, reduced: a beacon-chain validator (src/protocols/pos) whose
 * blocks carry execution payloads that every node re-executes through its ExecutionPort. A block
 * is accepted only when its proposer, RANDAO reveal, slashings and votes are valid on its
 * parent's state and its payload, executed from the parent's state root, gives exactly the state
 * root, receipts root and gas the proposer claimed.
 *
 * Every slot the proposer (drawn from the RANDAO mix by stake) builds on its LMD-GHOST head;
 * a third into the slot the slot's committee votes (head, and the FFG source → target link).
 * Votes spread directly and ride in blocks; a node that sees two of one validator's votes
 * breaking a commandment broadcasts the evidence, and the next proposer includes it.
 */
import type { Json } from '../../core/json.js';
import type { NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type {
  ExecResult,
  ExecutionPort,
  ExecutorVariant,
  Hex,
} from '../../protocols/ethereum/execution-port.js';
import { epochOf, type PosConfig } from '../../protocols/pos/config.js';
import { sha256Hex, sign, verify } from '../../protocols/pos/crypto.js';
import { ghostHead } from '../../protocols/pos/fork-choice.js';
import { attestationText, blockRoot, randaoText } from '../../protocols/pos/roots.js';
import { findEvidence } from '../../protocols/pos/slashing.js';
import {
  advance,
  applyBlock,
  committeeOf,
  genesisState,
  proposerOf,
  type BeaconState,
} from '../../protocols/pos/state.js';
import type {
  Attestation,
  AttestationData,
  BeaconBlock,
  Checkpoint,
  Root,
  SlashingEvidence,
  ValidatorId,
} from '../../protocols/pos/types.js';
import { nextBaseFee } from './base-fee.js';
import { ethMessageCheck } from './message-schema.js';

export type Strategy = 'honest' | 'equivocate' | 'surround' | 'withhold' | 'nondeterministic';

export interface EthConfig {
  readonly pos: PosConfig;
  readonly slotMs: number;
  /** Mean virtual ms between a node's wallet payments; 0 for none. */
  readonly txIntervalMs: number;
  /** `transfer`: the seed's example, one payment of 100 ETH from n1's account, and no others. */
  readonly example?: 'transfer';
  /** Nodes that follow a Byzantine strategy, and which. */
  readonly byzantine: readonly NodeId[];
  readonly strategy: Strategy;
  /** False only in the `accept-any-root` mutant. */
  readonly checkRoots: boolean;
}

export const GAS_LIMIT = 30_000_000n;
export const GENESIS_BASE_FEE = 1_000_000_000n;
/** Each development account's genesis balance: 1,000,000 ETH. */
export const DEV_BALANCE = 1_000_000_000_000_000_000_000_000n;
export const ETH = 1_000_000_000_000_000_000n;
/** A thousandth of an ether. */
const FINNEY = 1_000_000_000_000_000n;

export type EthMsg =
  | { readonly type: 'block'; readonly block: BeaconBlock }
  | { readonly type: 'att'; readonly att: Attestation }
  | { readonly type: 'slashing'; readonly evidence: SlashingEvidence }
  | { readonly type: 'get-block'; readonly root: Root }
  | { readonly type: 'tx'; readonly raw: Hex };

interface Entry {
  readonly block: BeaconBlock | null;
  readonly parent: Root | undefined;
  readonly state: BeaconState;
  /** The execution state root after this block (what this node computed). */
  readonly execRoot: Hex;
  readonly number: number;
  readonly baseFee: bigint;
  /** The gas the block's header claims: the next base fee follows from it, as in Ethereum. */
  readonly gasUsed: bigint;
  /** The gas this node's own execution used (equal to the claim unless roots go unchecked). */
  readonly computedGas: bigint;
}

interface PendingTx {
  readonly raw: Hex;
  readonly from: Hex;
  readonly nonce: number;
  readonly hash: Hex;
}

/** Why a block was refused, for the judge and the metrics. */
export type Rejection =
  'consensus' | 'root-mismatch' | 'execution' | 'signature' | 'parent-rejected';

const ORPHAN_LIMIT = 4096;
/** Missing parents asked for again each slot, at most. */
const REFETCH_PER_SLOT = 8;
const SEEN_VOTES_PER_VALIDATOR = 64;
const MAX_ATTS_PER_BLOCK = 128;
const MAX_TXS_PER_BLOCK = 200;

export class ValidatorNode implements ProtocolNode<EthMsg> {
  private port!: ExecutionPort;
  private genesisRoot = '';
  private readonly blocks = new Map<Root, Entry>();
  private readonly children = new Map<Root, Root[]>();
  private readonly rejected = new Map<Root, Rejection>();
  private readonly orphans = new Map<Root, { from: NodeId; block: BeaconBlock }[]>();
  private readonly latestVotes = new Map<ValidatorId, { slot: number; head: Root }>();
  private readonly seenVotes = new Map<ValidatorId, Attestation[]>();
  private readonly attPool = new Map<string, Attestation>();
  private readonly evidence = new Map<ValidatorId, SlashingEvidence>();
  private readonly mempool = new Map<Hex, PendingTx>();
  private readonly includedAt = new Map<Hex, Root>();
  private justified: Checkpoint = { epoch: 0, root: '' };
  private finalized: Checkpoint = { epoch: 0, root: '' };
  /** Every finalized checkpoint this node adopted, in order, with its local time. */
  readonly finalizedHistory: { epoch: number; root: Root; at: number }[] = [];
  private readonly mismatches: { root: Root; proposer: ValidatorId }[] = [];
  private lastVote: { source: number; target: number } | undefined;
  private nextNonce = 0;
  /** The last slot this node acted in. */
  private lastSlot = 0;
  /** The last slot this validator proposed in (durable). */
  private lastProposed = 0;
  private replaying = false;
  private readonly index: number;
  readonly byzantine: boolean;

  constructor(
    private readonly env: NodeEnv<EthMsg>,
    readonly config: EthConfig,
    private readonly portOf: () => ExecutionPort,
  ) {
    this.index = env.cluster.indexOf(env.id);
    if (this.index < 0) throw new Error(`${env.id} is not in its cluster`);
    this.byzantine = config.byzantine.includes(env.id);
  }

  private get variant(): ExecutorVariant {
    return this.byzantine && this.config.strategy === 'nondeterministic'
      ? 'nondeterministic'
      : 'honest';
  }

  private acts(strategy: Strategy): boolean {
    return this.byzantine && this.config.strategy === strategy;
  }

  start(info: { recovered: boolean }): void {
    this.port = this.portOf();
    const alloc = this.env.cluster.map((_, i) => ({
      address: this.port.devAddress(i),
      balance: String(DEV_BALANCE),
    }));
    const execGenesis = this.port.genesis(alloc);
    this.genesisRoot = sha256Hex(`genesis:${execGenesis}`);
    const state = genesisState(this.config.pos, this.genesisRoot);
    this.blocks.set(this.genesisRoot, {
      block: null,
      parent: undefined,
      state,
      execRoot: execGenesis,
      number: 0,
      baseFee: GENESIS_BASE_FEE,
      gasUsed: 0n,
      computedGas: 0n,
    });
    this.justified = state.justified;
    this.finalized = state.finalized;
    if (info.recovered) {
      const v = this.env.storage.get('last-vote');
      if (isVote(v)) this.lastVote = v;
      const p = this.env.storage.get('last-proposed');
      if (typeof p === 'number') this.lastProposed = p;
      this.replaying = true;
      for (let i = this.env.storage.firstIndex(); i <= this.env.storage.lastIndex(); i++) {
        const b = this.env.storage.entry(i);
        // What the log holds went through the same checks once; a damaged record is skipped.
        const msg = { type: 'block', block: b };
        if (ethMessageCheck(msg, this.env.cluster) === undefined) {
          this.onMessage(this.env.id, msg as unknown as EthMsg);
        }
      }
      this.replaying = false;
    }
    const me = this.port.devAddress(this.index);
    this.nextNonce = this.port.account(this.headEntry().execRoot, me)?.nonce ?? 0;
    this.scheduleSlot();
    if (this.config.example === 'transfer') {
      if (this.index === 0 && !info.recovered) this.env.setTimer(0, 'example');
    } else if (this.config.txIntervalMs > 0 && !this.byzantine) {
      this.env.setTimer(this.env.random.exponential(this.config.txIntervalMs), 'tx');
    }
  }

  /**
   * The next slot's timer. At least 1 ms away: a skewed clock's rounding can leave a boundary a
   * hair ahead after the timer fires (the swarm found a node re-arming a 1e-13 ms timer forever),
   * and a clock stepped back never makes a node act in a slot twice.
   */
  private scheduleSlot(): void {
    const now = this.env.now();
    const next = Math.max(Math.floor(now / this.config.slotMs) + 1, this.lastSlot + 1);
    this.env.setTimer(Math.max(1, next * this.config.slotMs - now), 'slot', { slot: next });
  }

  onTimer(name: string, data: Json | undefined): void {
    const raw = field(data, 'slot');
    const slot = typeof raw === 'number' ? raw : -1;
    switch (name) {
      case 'slot':
        if (slot > this.lastSlot) {
          this.lastSlot = slot;
          this.onSlot(slot);
        }
        this.scheduleSlot();
        return;
      case 'attest':
        this.attest(slot);
        return;
      case 'tx':
        this.pay(
          this.env.random.chance(0.5) ? '1559' : 'legacy',
          (this.index + 1) % this.env.cluster.length,
          BigInt(1 + this.env.random.int(1000)) * FINNEY,
        );
        this.env.setTimer(this.env.random.exponential(this.config.txIntervalMs), 'tx');
        return;
      case 'example':
        // The seed's transfer: 100 ETH, a plain transfer's 21000 gas.
        this.pay('legacy', 1, 100n * ETH);
        return;
    }
  }

  private pay(kind: '1559' | 'legacy', toIndex: number, value: bigint): void {
    const raw = this.port.signTx({
      key: this.index,
      nonce: this.nextNonce++,
      to: this.port.devAddress(toIndex),
      value: String(value),
      gasLimit: '21000',
      kind,
      maxFee: String(4n * GENESIS_BASE_FEE),
      priorityFee: '1000000',
    });
    this.addTx(raw);
    for (const p of this.env.peers) this.env.send(p, { type: 'tx', raw });
  }

  private addTx(raw: Hex): boolean {
    const info = this.port.decodeTx(raw);
    if (info === undefined || this.mempool.has(info.hash) || this.includedAt.has(info.hash))
      return false;
    this.mempool.set(info.hash, { raw, ...info });
    return true;
  }

  onClientRequest(): void {
    // Payments come from the nodes' wallets in simulation; the real runtime's JSON-RPC is not built yet.
  }

  onMessage(from: NodeId, msg: EthMsg): void {
    switch (msg.type) {
      case 'block':
        this.receiveBlock(from, msg.block);
        return;
      case 'att':
        this.receiveAtt(msg.att);
        return;
      case 'slashing':
        this.receiveEvidence(msg.evidence);
        return;
      case 'get-block': {
        const e = this.blocks.get(msg.root);
        if (e?.block) this.env.send(from, { type: 'block', block: e.block });
        return;
      }
      case 'tx':
        this.addTx(msg.raw);
        return;
    }
  }

  // --- blocks -------------------------------------------------------------------------------

  private reject(root: Root, why: Rejection, block: BeaconBlock): void {
    this.rejected.set(root, why);
    this.env.metric(`rejected-${why}`);
    if (why === 'root-mismatch') this.mismatches.push({ root, proposer: block.proposer });
    for (const o of this.orphans.get(root) ?? [])
      this.reject(blockRoot(o.block), 'parent-rejected', o.block);
    this.orphans.delete(root);
  }

  private receiveBlock(from: NodeId, block: BeaconBlock): void {
    const root = blockRoot(block);
    if (this.blocks.has(root) || this.rejected.has(root)) return;
    if (!verify(block.proposer, root, block.sig)) {
      this.env.metric('rejected-signature');
      return;
    }
    if (this.rejected.has(block.parent)) return this.reject(root, 'parent-rejected', block);
    const parent = this.blocks.get(block.parent);
    if (parent === undefined) {
      const waiting = this.orphans.get(block.parent) ?? [];
      if (this.orphans.size < ORPHAN_LIMIT && !waiting.some((o) => blockRoot(o.block) === root)) {
        this.orphans.set(block.parent, [...waiting, { from, block }]);
        if (from !== this.env.id) this.env.send(from, { type: 'get-block', root: block.parent });
      }
      return;
    }
    // A branch that does not contain the finalized checkpoint can never become canonical.
    if (!this.descends(block.parent, this.finalized.root)) return;
    const applied = applyBlock(parent.state, block, root, this.config.pos);
    if (!applied.ok) {
      this.env.log('block refused', { root, code: applied.code, why: applied.message });
      return this.reject(root, 'consensus', block);
    }
    const p = block.payload;
    const baseFee = nextBaseFee(parent.baseFee, parent.gasUsed, GAS_LIMIT);
    if (
      p.number !== parent.number + 1 ||
      p.baseFee !== String(baseFee) ||
      p.gasLimit !== String(GAS_LIMIT)
    ) {
      return this.reject(root, 'consensus', block);
    }
    const result = this.port.execute({
      parentRoot: parent.execRoot,
      env: {
        number: p.number,
        timestamp: p.timestamp,
        coinbase: p.coinbase,
        baseFee: p.baseFee,
        gasLimit: p.gasLimit,
      },
      txs: p.txs,
      mode: 'verify',
      variant: this.variant,
    });
    if (!result.ok) {
      this.env.log('payload refused', { root, code: result.code, why: result.message });
      return this.reject(root, 'execution', block);
    }
    const matches =
      result.stateRoot === p.stateRoot &&
      result.receiptsRoot === p.receiptsRoot &&
      result.gasUsed === p.gasUsed;
    if (!matches && this.config.checkRoots) {
      this.env.log('state root mismatch', {
        root,
        proposer: block.proposer,
        claimed: p.stateRoot,
        computed: result.stateRoot,
      });
      return this.reject(root, 'root-mismatch', block);
    }
    this.accept(root, block, applied.state, result);
    const waiting = this.orphans.get(root);
    if (waiting !== undefined) {
      this.orphans.delete(root);
      for (const o of waiting) this.receiveBlock(o.from, o.block);
    }
  }

  private accept(
    root: Root,
    block: BeaconBlock,
    state: BeaconState,
    result: Extract<ExecResult, { ok: true }>,
  ): void {
    this.blocks.set(root, {
      block,
      parent: block.parent,
      state,
      execRoot: result.stateRoot,
      number: block.payload.number,
      baseFee: BigInt(block.payload.baseFee),
      gasUsed: BigInt(block.payload.gasUsed),
      computedGas: BigInt(result.gasUsed),
    });
    this.children.set(block.parent, [...(this.children.get(block.parent) ?? []), root]);
    if (!this.replaying) this.env.storage.append(block as unknown as Json);
    for (const r of result.receipts) {
      this.includedAt.set(r.txHash, root);
      this.mempool.delete(r.txHash);
    }
    for (const a of block.attestations) this.noteVote(a);
    for (const e of block.slashings) this.evidence.set(e.a.validator, e);
    if (state.justified.epoch > this.justified.epoch) this.justified = state.justified;
    if (state.finalized.epoch > this.finalized.epoch) {
      this.finalized = state.finalized;
      this.finalizedHistory.push({ ...state.finalized, at: this.env.now() });
      this.env.metric('finalized-epoch', state.finalized.epoch);
      this.env.log('finalized', { epoch: state.finalized.epoch, root: state.finalized.root });
    }
    this.env.metric('block-gas', Number(result.gasUsed));
  }

  private descends(root: Root, ancestor: Root): boolean {
    for (let r: Root | undefined = root; r !== undefined; r = this.blocks.get(r)?.parent) {
      if (r === ancestor) return true;
    }
    return false;
  }

  headRoot(): Root {
    const votes = new Map<ValidatorId, Root>();
    for (const [v, m] of this.latestVotes) if (this.blocks.has(m.head)) votes.set(v, m.head);
    const justifiedState = this.blocks.get(this.justified.root)?.state;
    return ghostHead(
      {
        parentOf: (r) => this.blocks.get(r)?.parent,
        childrenOf: (r) => this.children.get(r) ?? [],
        justifiedEpochOf: (r) => this.blocks.get(r)?.state.justified.epoch ?? 0,
      },
      this.justified.root,
      this.justified.epoch,
      votes,
      justifiedState?.stakes ?? {},
      new Set(this.evidence.keys()),
      this.config.pos.rules,
    );
  }

  private headEntry(): Entry {
    const e = this.blocks.get(this.headRoot());
    if (e === undefined) throw new Error('the head is not a known block');
    return e;
  }

  // --- proposing ----------------------------------------------------------------------------

  private onSlot(slot: number): void {
    this.refetchMissing();
    if (this.acts('withhold')) return;
    const headRoot = this.headRoot();
    const head = this.headEntry();
    // A node whose clock lags may already hold blocks of this slot or later: nothing to do.
    if (slot <= head.state.slot) return;
    const state = advance(head.state, slot, this.config.pos);
    if (
      proposerOf(state, slot, this.config.pos) === this.env.id &&
      !state.slashed.includes(this.env.id)
    ) {
      const block = this.build(slot, headRoot, head, state, true);
      if (this.acts('equivocate')) {
        this.broadcastBlock(block);
        this.broadcastBlock(this.build(slot, headRoot, head, state, false));
      } else if (slot > this.lastProposed) {
        // Proposal protection, as for votes: the slot is durable before the block leaves, so a
        // validator restarted within its slot never proposes a second block for it.
        this.lastProposed = slot;
        this.env.storage.put('last-proposed', slot);
        this.env.storage.sync(() => this.broadcastBlock(block));
      }
    }
    this.env.setTimer(this.config.slotMs / 3, 'attest', { slot });
  }

  /**
   * Asks again, each slot, for parents still missing: a lost request or answer would otherwise
   * leave a branch unknown for good. From a peer drawn at random, and from who sent the orphan.
   */
  private refetchMissing(): void {
    let asked = 0;
    for (const [root, waiting] of this.orphans) {
      if (asked++ >= REFETCH_PER_SLOT) break;
      const peers = this.env.peers;
      if (peers.length === 0) return;
      const drawn = peers[this.env.random.int(peers.length)];
      const from = waiting[0]?.from;
      for (const to of new Set([drawn, from])) {
        if (to !== undefined && to !== this.env.id) this.env.send(to, { type: 'get-block', root });
      }
    }
  }

  private broadcastBlock(block: BeaconBlock): void {
    this.receiveBlock(this.env.id, block);
    for (const p of this.env.peers) this.env.send(p, { type: 'block', block });
  }

  private build(
    slot: number,
    parentRoot: Root,
    parent: Entry,
    state: BeaconState,
    full: boolean,
  ): BeaconBlock {
    const pos = this.config.pos;
    const epoch = epochOf(slot, pos);
    const attestations: Attestation[] = [];
    if (full) {
      for (const a of this.attPool.values()) {
        if (attestations.length >= MAX_ATTS_PER_BLOCK) break;
        const d = a.data;
        const e = epochOf(d.slot, pos);
        if (d.slot >= slot || e + 1 < epoch || d.target.epoch !== e) continue;
        if (state.votes[String(e)]?.[a.validator] !== undefined) continue;
        if (!committeeOf(state, d.slot, pos).includes(a.validator)) continue;
        attestations.push(a);
      }
    }
    const slashings = [...this.evidence.values()].filter(
      (e) => !state.slashed.includes(e.a.validator),
    );
    const baseFee = nextBaseFee(parent.baseFee, parent.gasUsed, GAS_LIMIT);
    const candidates = full
      ? [...this.mempool.values()]
          .filter((t) => {
            const at = this.includedAt.get(t.hash);
            return at === undefined || !this.descends(parentRoot, at);
          })
          .sort((a, b) =>
            a.from < b.from
              ? -1
              : a.from > b.from
                ? 1
                : a.nonce - b.nonce || (a.hash < b.hash ? -1 : 1),
          )
          .slice(0, MAX_TXS_PER_BLOCK)
          .map((t) => t.raw)
      : [];
    const env = {
      number: parent.number + 1,
      timestamp: slot * 12,
      coinbase: this.port.devAddress(this.index),
      baseFee: String(baseFee),
      gasLimit: String(GAS_LIMIT),
    };
    const r = this.port.execute({
      parentRoot: parent.execRoot,
      env,
      txs: candidates,
      mode: 'build',
      variant: this.variant,
    });
    if (!r.ok) throw new Error(`building on ${parentRoot}: ${r.message}`);
    const unsigned = {
      slot,
      parent: parentRoot,
      proposer: this.env.id,
      randaoReveal: sign(this.env.id, randaoText(epoch)),
      attestations,
      slashings,
      payload: {
        ...env,
        gasUsed: r.gasUsed,
        txs: r.txs,
        stateRoot: r.stateRoot,
        receiptsRoot: r.receiptsRoot,
      },
    };
    return { ...unsigned, sig: sign(this.env.id, blockRoot(unsigned)) };
  }

  // --- voting -------------------------------------------------------------------------------

  private attest(slot: number): void {
    const pos = this.config.pos;
    const headRoot = this.headRoot();
    const head = this.headEntry();
    const epoch = epochOf(slot, pos);
    // Too late to vote: the chain has moved past the slot's epoch (a lagging clock).
    if (epoch < epochOf(head.state.slot, pos)) return;
    const state = advance(head.state, Math.max(slot, head.state.slot), pos);
    if (!committeeOf(state, slot, pos).includes(this.env.id)) return;
    const target = { epoch, root: state.epochRoots[String(epoch)] ?? headRoot };
    const data: AttestationData = { slot, head: headRoot, source: state.justified, target };
    const honestly = !this.byzantine || this.config.strategy === 'nondeterministic';
    if (honestly) {
      // Slashing protection: never a second vote for a target, never one that surrounds or is
      // surrounded by the last; the last vote is durable before the new one leaves.
      const last = this.lastVote;
      if (last !== undefined && (target.epoch <= last.target || data.source.epoch < last.source))
        return;
      this.lastVote = { source: data.source.epoch, target: target.epoch };
      this.env.storage.put('last-vote', this.lastVote);
      this.env.storage.sync(() => this.publishVote(data));
      return;
    }
    this.publishVote(data);
    if (this.acts('equivocate')) {
      const other = head.parent ?? headRoot;
      this.publishVote({
        ...data,
        head: other,
        target: { epoch, root: other === headRoot ? sha256Hex(`other:${headRoot}`) : other },
      });
    }
    if (this.acts('surround') && data.source.epoch >= 1) {
      this.publishVote({
        ...data,
        source: { epoch: 0, root: this.genesisRoot },
        target: { epoch: epoch + 1, root: headRoot },
      });
    }
  }

  private publishVote(data: AttestationData): void {
    const att: Attestation = {
      validator: this.env.id,
      data,
      sig: sign(this.env.id, attestationText(data)),
    };
    this.receiveAtt(att);
    for (const p of this.env.peers) this.env.send(p, { type: 'att', att });
  }

  private receiveAtt(att: Attestation): void {
    if (!this.env.cluster.includes(att.validator)) return;
    if (!verify(att.validator, attestationText(att.data), att.sig)) return;
    if (!this.noteVote(att)) return;
    const key = attestationText(att.data) + att.validator;
    this.attPool.set(key, att);
    const last = this.latestVotes.get(att.validator);
    if (last === undefined || att.data.slot > last.slot) {
      this.latestVotes.set(att.validator, { slot: att.data.slot, head: att.data.head });
    }
  }

  /** Records a validator's vote for slashing detection; false when it was seen already. */
  private noteVote(att: Attestation): boolean {
    const seen = this.seenVotes.get(att.validator) ?? [];
    const text = attestationText(att.data);
    if (seen.some((a) => attestationText(a.data) === text)) return false;
    const e = this.evidence.has(att.validator)
      ? undefined
      : findEvidence(att, seen, this.config.pos.rules);
    seen.push(att);
    if (seen.length > SEEN_VOTES_PER_VALIDATOR) seen.shift();
    this.seenVotes.set(att.validator, seen);
    if (e !== undefined) {
      this.evidence.set(att.validator, e);
      this.env.metric('slashing-evidence');
      this.env.log('slashing evidence', { validator: att.validator });
      for (const p of this.env.peers) this.env.send(p, { type: 'slashing', evidence: e });
    }
    return true;
  }

  private receiveEvidence(e: SlashingEvidence): void {
    if (this.evidence.has(e.a.validator)) return;
    this.noteVote(e.a);
    this.noteVote(e.b);
  }

  // --- what judges and tests read -----------------------------------------------------------

  /** The block tree this node holds: root → parent. */
  parentOf(root: Root): Root | undefined {
    return this.blocks.get(root)?.parent;
  }

  /** The execution state root this node computed after `root`, if it holds that block. */
  execRootOf(root: Root): Hex | undefined {
    return this.blocks.get(root)?.execRoot;
  }

  /** Gas this node's own execution of `root` used. */
  gasUsedOf(root: Root): bigint | undefined {
    return this.blocks.get(root)?.computedGas;
  }

  /** Every block this node accepted (genesis included). */
  blockRoots(): Root[] {
    return [...this.blocks.keys()];
  }

  blockOf(root: Root): BeaconBlock | null | undefined {
    return this.blocks.get(root)?.block;
  }

  evidenceAgainst(): readonly ValidatorId[] {
    return [...this.evidence.keys()];
  }

  rootMismatches(): readonly { root: Root; proposer: ValidatorId }[] {
    return this.mismatches;
  }

  /** This node's clock, for the judge's view of when the run ended. */
  now(): number {
    return this.env.now();
  }

  finalizedCheckpoint(): Checkpoint {
    return this.finalized;
  }

  genesis(): Root {
    return this.genesisRoot;
  }

  /** Stakes in the state after `root`, if this node holds it. */
  stakesAt(root: Root): Readonly<Record<ValidatorId, number>> | undefined {
    return this.blocks.get(root)?.state.stakes;
  }

  /** Validators slashed in the state after `root`, if this node holds it. */
  slashedAt(root: Root): readonly ValidatorId[] | undefined {
    return this.blocks.get(root)?.state.slashed;
  }

  inspect(): Record<string, Json> {
    const head = this.blocks.size > 0 ? this.headEntry() : undefined;
    return {
      byzantine: this.byzantine,
      head:
        head === undefined
          ? null
          : { slot: head.state.slot, number: head.number, execRoot: head.execRoot },
      justified: { epoch: this.justified.epoch, root: this.justified.root },
      finalized: { epoch: this.finalized.epoch, root: this.finalized.root },
      blocks: this.blocks.size,
      rejected: this.rejected.size,
      rootMismatches: this.mismatches.length,
      evidence: [...this.evidence.keys()],
      mempool: this.mempool.size,
    };
  }
}

function field(v: Json | undefined, name: string): Json | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  return (v as Readonly<Record<string, Json>>)[name];
}

function isVote(v: Json | undefined): v is { source: number; target: number } {
  return typeof field(v, 'source') === 'number' && typeof field(v, 'target') === 'number';
}
