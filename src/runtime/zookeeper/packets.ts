/**
 * Splits a client's byte stream into packets: each a 4-byte signed big-endian length and that
 * many bytes. A length below zero or above the maximum packet size fails before anything is
 * buffered for it, so one connection cannot make the server hold more than a packet's worth.
 * The very first four bytes of a connection may instead be a four-letter word ("ruok", "stat",
 * "mntr"): ZooKeeper serves those on the client port, and their ASCII read as a length is far
 * above any maximum, so the two cannot be confused.
 */
import { JuteError } from './jute.js';

/** ZooKeeper's jute.maxbuffer default (0xfffff bytes) ... */
export const JUTE_MAXBUFFER = 0xfffff;
/** ... plus the headroom its server allows a packet beyond it for headers and stat. */
export const PACKET_MARGIN = 1024;
export const DEFAULT_MAX_PACKET = JUTE_MAXBUFFER + PACKET_MARGIN;

export const FOUR_LETTER_WORDS = ['ruok', 'stat', 'mntr', 'srvr', 'isro'] as const;
export type FourLetterWord = (typeof FOUR_LETTER_WORDS)[number];

export function isFourLetterWord(s: string): s is FourLetterWord {
  return (FOUR_LETTER_WORDS as readonly string[]).includes(s);
}

export type Packet =
  | { readonly kind: 'packet'; readonly body: Buffer }
  | { readonly kind: 'fourLetter'; readonly word: FourLetterWord };

export class PacketReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private first = true;
  /** Bytes needed before the next packet can be complete (so a big one is joined once). */
  private need = 4;

  /** `maxPacket`: the largest packet body accepted, in bytes. */
  constructor(readonly maxPacket = DEFAULT_MAX_PACKET) {}

  /** Adds bytes and returns every packet now complete. Throws JuteError on a bad length. */
  push(chunk: Buffer): Packet[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Packet[] = [];
    for (;;) {
      if (this.buffered < this.need) return out;
      const all =
        this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
      this.chunks = [all];
      if (this.first) {
        this.first = false;
        const word = all.toString('latin1', 0, 4);
        if (isFourLetterWord(word)) {
          this.take(all, 4);
          out.push({ kind: 'fourLetter', word });
          continue;
        }
      }
      const len = all.readInt32BE(0);
      if (len < 0) throw new JuteError('negative-frame', `packet length ${len}`);
      if (len > this.maxPacket) {
        throw new JuteError(
          'frame-too-large',
          `packet of ${len} bytes exceeds the maximum of ${this.maxPacket}`,
        );
      }
      if (all.length < 4 + len) {
        this.need = 4 + len;
        return out;
      }
      out.push({ kind: 'packet', body: Buffer.from(all.subarray(4, 4 + len)) });
      this.take(all, 4 + len);
    }
  }

  private take(all: Buffer, n: number): void {
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.need = 4;
  }
}
