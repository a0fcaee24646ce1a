/**
 * InstallSnapshot in chunks (§5.3). A snapshot is a sequence of parts, each a bounded JSON value
 * (one part for a small machine), so that neither side ever holds the whole snapshot as one
 * string: V8 strings end at about 2^29 characters, which would cap a store at a few hundred MiB.
 * The leader serializes one part at a time and sends it to a lagging follower a chunk at a time,
 * each answered with where the follower is (part, offset in the part's JSON text); a lost chunk
 * or answer is resent from there on the next heartbeat. The follower parses each part as it
 * completes, installs the snapshot only once the last part arrived, and answers "installed"
 * only after the install is durable.
 *
 * A one-part snapshot's messages leave `part` and `parts` out, so they are the messages of the
 * single-string transfer this replaced (the simulator's runs of small machines are unchanged).
 */
import type { Json } from '../../core/json.js';
import type { RaftMsg, Snapshot } from './messages.js';

/** The snapshot methods of a state machine (see StateMachine in state-machine.ts). */
export interface SnapshotSource {
  snapshot(): Json;
  snapshotProblem?(data: Json): string | undefined;
  restore(data: Json): void;
  /**
   * The applied state as a sequence of bounded parts, for a machine whose state may be too large
   * for one value. Absent: the machine's snapshot is the one part `snapshot()`.
   */
  snapshotParts?(): readonly Json[];
  /** Why `parts` is not a snapshot this machine can restore (as snapshotProblem). */
  snapshotPartsProblem?(parts: readonly Json[]): string | undefined;
  restoreParts?(parts: readonly Json[]): void;
}

/** The machine's state as parts: its own, or its one-value snapshot as the only part. */
export function takeParts(sm: SnapshotSource): readonly Json[] {
  const parts = sm.snapshotParts?.() ?? [sm.snapshot()];
  if (parts.length === 0) throw new Error('a state machine made a snapshot of no parts');
  return parts;
}

/** Why `parts` cannot be restored by `sm`, or undefined when they can. */
export function partsProblem(sm: SnapshotSource, parts: readonly Json[]): string | undefined {
  if (parts.length === 0) return 'it has no parts';
  if (sm.restoreParts !== undefined) return sm.snapshotPartsProblem?.(parts);
  if (parts.length !== 1) return `it has ${parts.length} parts; this machine restores one`;
  return sm.snapshotProblem?.(parts[0] as Json);
}

export function restoreParts(sm: SnapshotSource, parts: readonly Json[]): void {
  if (sm.restoreParts !== undefined) return sm.restoreParts(parts);
  if (parts.length !== 1)
    throw new Error(`a snapshot of ${parts.length} parts for a one-part machine`);
  sm.restore(parts[0] as Json);
}

/** Where a transfer stands: the part being sent, and the offset in its JSON text. */
export interface Position {
  readonly part: number;
  readonly offset: number;
}

export const START: Position = Object.freeze({ part: 0, offset: 0 });

type SnapshotChunk = Pick<
  Extract<RaftMsg, { type: 'snapshot' }>,
  'offset' | 'chunk' | 'done' | 'part' | 'parts'
>;

/** The leader's transfer of one snapshot to one follower. */
export class SnapshotSender {
  /** Where the follower last reported being: where the next chunk starts. */
  acked: Position = START;
  /** Local time the last chunk went out. */
  sentAt = -Infinity;
  /** The position that acknowledges the chunk sent last (none before the first). */
  private expected: Position = { part: -1, offset: -1 };
  /** The JSON text of one part, kept while its chunks go out. */
  private textPart = -1;
  private text = '';

  constructor(readonly snapshot: Snapshot) {}

  private partText(part: number): string {
    if (part !== this.textPart) {
      this.text = JSON.stringify(this.snapshot.parts[part]);
      this.textPart = part;
    }
    return this.text;
  }

  chunk(chunkSize: number): SnapshotChunk {
    const count = this.snapshot.parts.length;
    let { part, offset } = this.acked;
    // A position no honest follower reports starts the transfer over.
    if (part >= count || offset > this.partText(part).length) ({ part, offset } = START);
    const text = this.partText(part);
    const end = Math.min(text.length, offset + chunkSize);
    const done = end === text.length;
    this.expected =
      done && part + 1 < count ? { part: part + 1, offset: 0 } : { part, offset: end };
    const c = { offset, chunk: text.slice(offset, end), done };
    return count === 1 ? c : { ...c, part, parts: count };
  }

  /**
   * Records the follower's answer; true when it acknowledges the chunk sent last, so the next
   * one should go now. Any other answer (a duplicate, a late one, a follower that restarted)
   * only moves `acked`, for the resend on the next heartbeat. Sending a chunk for every
   * answer would let duplicated answers multiply the chunks in flight without bound — TFTP's
   * Sorcerer's Apprentice bug, which a duplicating network turns into a message storm.
   */
  answered(at: Position): boolean {
    this.acked = at;
    return at.part === this.expected.part && at.offset === this.expected.offset;
  }
}

/** The follower's half: reassembles the parts of one snapshot, a chunk at a time. */
export class SnapshotReceiver {
  /** Parts complete so far, parsed. */
  private parts: Json[] = [];
  /** The chunks of the part being received. */
  private chunks: string[] = [];
  private length = 0;
  private key = '';

  /**
   * Takes one chunk. Returns the complete snapshot when this chunk finished it, otherwise
   * null; `position` then says where the follower wants the next chunk to start.
   */
  take(
    m: Pick<
      Extract<RaftMsg, { type: 'snapshot' }>,
      'term' | 'index' | 'snapTerm' | 'config' | 'offset' | 'chunk' | 'done' | 'part' | 'parts'
    >,
  ): Snapshot | { readonly malformed: string } | null {
    const count = m.parts ?? 1;
    const part = m.part ?? 0;
    const key = `${m.term}/${m.index}/${m.snapTerm}/${count}`;
    const first = part === 0 && m.offset === 0;
    if (key !== this.key || first) {
      // A new transfer (or a restart of one): only its first chunk can begin it.
      this.reset();
      this.key = key;
      if (!first) return null;
    }
    if (part >= count) {
      this.reset();
      return { malformed: `part ${part} of a snapshot of ${count} parts` };
    }
    if (part !== this.parts.length || m.offset !== this.length) return null;
    this.chunks.push(m.chunk);
    this.length += m.chunk.length;
    if (!m.done) return null;
    let value: Json;
    try {
      value = JSON.parse(this.chunks.join('')) as Json;
    } catch {
      this.reset();
      return { malformed: `the chunks of part ${part} do not join into JSON` };
    }
    this.parts.push(value);
    this.chunks = [];
    this.length = 0;
    if (this.parts.length < count) return null;
    const snap: Snapshot = {
      index: m.index,
      term: m.snapTerm,
      config: m.config,
      parts: this.parts,
    };
    this.reset();
    return snap;
  }

  get position(): Position {
    return { part: this.parts.length, offset: this.length };
  }

  reset(): void {
    this.key = '';
    this.parts = [];
    this.chunks = [];
    this.length = 0;
  }
}

/** The part/offset fields of a snapshot answer: `part` left out when 0 (see the top). */
export function positionFields(at: Position): { received: number; part?: number } {
  return at.part === 0 ? { received: at.offset } : { received: at.offset, part: at.part };
}
