/**
 * Checkpoints and the low watermark (Castro & Liskov, OSDI'99, §4.3): every K executions a
 * replica signs a CHECKPOINT of its state's digest and multicasts it; with Q matching ones
 * (its own among them) the checkpoint is stable, the low watermark h moves to it and the log at
 * or below it is garbage-collected. The Q signed messages are the stable checkpoint's proof,
 * which a view change and a state transfer carry.
 */
import type { NodeEnv, NodeId } from '../../core/node.js';
import type { SignedMsg } from './crypto.js';
import type { Body, BodyOf } from './messages.js';
import { type Checkpoint, checkpointRecord } from './records.js';

/** Checkpoint interval K; the high watermark is h + 2K. */
export const CHECKPOINT_INTERVAL = 16;

/** What the checkpoints need of their replica. */
export interface CheckpointHost {
  readonly env: NodeEnv<SignedMsg>;
  /** Q: matching checkpoints that make one stable. */
  readonly quorum: number;
  /** The verified body of a signed message. */
  parse(msg: SignedMsg): Body | undefined;
  signed(body: Body): SignedMsg;
  broadcast(msg: SignedMsg): void;
  /** The digest this replica signs for its state `snap` (a lying replica signs another). */
  digestToSign(snap: string): string;
  digest(snap: string): string;
  /** The checkpoint at `n` became stable: the replica collects its log at or below `n`. */
  stableAt(n: number): void;
}

export class Checkpoints {
  private last: Checkpoint = { n: 0, snap: '', proof: [] };
  /** This replica's own state at each checkpoint not yet stable. */
  private readonly snapshots = new Map<number, string>();
  /** The CHECKPOINT messages received for each number above h, by sender. */
  private readonly votes = new Map<number, Map<NodeId, SignedMsg>>();
  /** Our latest checkpoint message, resent until it is stable (checkpoints can be lost). */
  private mine: { n: number; msg: SignedMsg } | null = null;

  constructor(private readonly host: CheckpointHost) {}

  /** The last stable checkpoint, with its proof. */
  get stable(): Checkpoint {
    return this.last;
  }

  /** h, the low watermark. */
  get low(): number {
    return this.last.n;
  }

  /** This replica executed through `n` (a multiple of K) and its state is `snap`. */
  take(n: number, snap: string): void {
    this.snapshots.set(n, snap);
    const d = this.host.digestToSign(snap);
    const msg = this.host.signed({ t: 'checkpoint', i: this.host.env.id, n, d });
    this.mine = { n, msg };
    this.host.broadcast(msg);
    this.tryStable(n);
  }

  /** A verified CHECKPOINT; `high` is the replica's high watermark. */
  onCheckpoint(msg: SignedMsg, body: BodyOf<'checkpoint'>, high: number): void {
    if (body.n <= this.low || body.n % CHECKPOINT_INTERVAL !== 0) return;
    // Kept only up to one log window past the high watermark: a Byzantine replica signing ever
    // larger checkpoints cannot grow this map. A replica further behind than that catches up
    // through STATUS/STATE, which carries its own proof.
    if (body.n > high + 2 * CHECKPOINT_INTERVAL) return;
    let m = this.votes.get(body.n);
    if (m === undefined) this.votes.set(body.n, (m = new Map()));
    if (!m.has(body.i)) m.set(body.i, msg);
    this.tryStable(body.n);
  }

  /** On every tick: our checkpoint again, while it is not stable. */
  resendMine(): void {
    if (this.mine !== null && this.mine.n > this.low) this.host.broadcast(this.mine.msg);
  }

  /** Makes `ck` the stable checkpoint (its proof checked by the caller) and collects below it. */
  makeStable(ck: Checkpoint): void {
    this.last = ck;
    this.host.env.storage.put('ckpt', checkpointRecord(ck));
    for (const n of [...this.snapshots.keys()]) if (n <= ck.n) this.snapshots.delete(n);
    for (const n of [...this.votes.keys()]) if (n <= ck.n) this.votes.delete(n);
    this.host.env.metric('pbft.stable-checkpoints');
    this.host.stableAt(ck.n);
  }

  /** Takes `ck`, read back from this replica's disk, as the stable checkpoint. */
  restored(ck: Checkpoint): void {
    this.last = ck;
  }

  private tryStable(n: number): void {
    const snap = this.snapshots.get(n);
    const msgs = this.votes.get(n);
    if (snap === undefined || msgs === undefined || n <= this.low) return;
    const d = this.host.digest(snap);
    const proof = [...msgs.values()].filter((m) => {
      const b = this.host.parse(m);
      return b?.t === 'checkpoint' && b.d === d;
    });
    if (proof.length < this.host.quorum) return;
    this.makeStable({ n, snap, proof });
  }
}
