/**
 * A value stored as parts (`put-parts`: a Raft snapshot of a large store) in the write-ahead
 * log: one record per part, `{"kind":"part","key":K,"part":i,"value":…}` for i = 0…n-1, then
 * the record that completes it, `{"kind":"parts-end","key":K,"parts":n}`. No record holds more
 * than one part, so no record and no string is ever the whole value (V8 strings end at ~2^29
 * characters; a record at MAX_RECORD).
 *
 * The records of one put-parts are written together, in one group-commit round, so a crash
 * leaves all of them, or a prefix (cut as a torn tail on recovery: the key keeps its old value),
 * never a mix with another op. On replay the parts must come numbered 0, 1, … with nothing
 * between them, and the end record must count exactly the parts seen: a missing, repeated or
 * stray part is corruption (`missing-part`), never a silently shorter value.
 */
import { deepFreeze, type Json } from '../core/json.js';
import type { StoreOp } from '../core/storage.js';

/** A record of a value in parts, as parseOp reads it. */
export type PartRecord =
  | { readonly kind: 'part'; readonly key: string; readonly part: number; readonly value: Json }
  | { readonly kind: 'parts-end'; readonly key: string; readonly parts: number };

/**
 * The record that makes `key`'s value the parts in a snapshot file beside the log
 * (raft-snapshot-file.ts): the file's name, part count, size and checksum, and `head`, the first
 * part, when it is small (a Raft snapshot's index, term and configuration, for whoever reads the
 * log; recovery checks it against the file).
 */
export interface PartsFileRecord {
  readonly kind: 'parts-file';
  readonly key: string;
  readonly file: string;
  readonly parts: number;
  readonly bytes: number;
  readonly crc: number;
  readonly head?: Json;
}

/** The largest first part a parts-file record repeats as its `head`, in JSON characters. */
export const HEAD_CHARS = 4096;

export function asPartsFileRecord(o: Record<string, unknown>): PartsFileRecord | undefined {
  const count = (v: unknown, min: number): boolean =>
    Number.isSafeInteger(v) && (v as number) >= min;
  return typeof o.key === 'string' &&
    typeof o.file === 'string' &&
    /^snap-\d{16}\.snap$/.test(o.file) &&
    count(o.parts, 1) &&
    count(o.bytes, 0) &&
    Number.isInteger(o.crc) &&
    (o.crc as number) >= 0 &&
    (o.crc as number) <= 0xffffffff
    ? (o as unknown as PartsFileRecord)
    : undefined;
}

/** The record payloads of `key`'s parts, in order, end record last (JSON text each). */
export function partPayload(key: string, part: number, value: Json): string {
  return `{"kind":"part","key":${JSON.stringify(key)},"part":${part},"value":${JSON.stringify(value)}}`;
}

export function partsEndPayload(key: string, parts: number): string {
  return JSON.stringify({ kind: 'parts-end', key, parts });
}

/** The shape check of a part record (the rest of parseOp's checks are wal.ts's). */
export function asPartRecord(o: Record<string, unknown>): PartRecord | undefined {
  if (typeof o.key !== 'string') return undefined;
  if (o.kind === 'part') {
    return Number.isSafeInteger(o.part) && (o.part as number) >= 0 && 'value' in o
      ? (o as unknown as PartRecord)
      : undefined;
  }
  if (o.kind === 'parts-end') {
    return Number.isSafeInteger(o.parts) && (o.parts as number) >= 1
      ? (o as unknown as PartRecord)
      : undefined;
  }
  return undefined;
}

/** Why the records replayed so far are not a well-formed sequence of parts. */
export class PartsProblem {
  constructor(readonly reason: string) {}
}

/**
 * Gathers the part records of one put-parts during replay. `take` returns the completed op when
 * the end record arrives, a PartsProblem when the sequence is broken, or undefined meanwhile.
 */
export class PartsAssembler {
  private key: string | undefined;
  private values: Json[] = [];
  /** Offset of the first part record (where a torn group is cut) and the group's bytes. */
  start = -1;
  bytes = 0;

  get pending(): boolean {
    return this.key !== undefined;
  }

  take(
    rec: PartRecord,
    offset: number,
    recordBytes: number,
  ): Extract<StoreOp, { kind: 'put-parts' }> | PartsProblem | undefined {
    if (rec.kind === 'part') {
      if (this.key === undefined) {
        if (rec.part !== 0)
          return new PartsProblem(`part ${rec.part} of '${rec.key}' without part 0`);
        this.key = rec.key;
        this.start = offset;
        this.bytes = 0;
      } else if (rec.key !== this.key || rec.part !== this.values.length) {
        return new PartsProblem(
          `part ${rec.part} of '${rec.key}' where part ${this.values.length} of '${this.key}' belongs`,
        );
      }
      this.values.push(deepFreeze(rec.value));
      this.bytes += recordBytes;
      return undefined;
    }
    if (this.key !== rec.key || rec.parts !== this.values.length) {
      const seen =
        this.key === undefined ? 'no parts' : `${this.values.length} parts of '${this.key}'`;
      return new PartsProblem(`the end of '${rec.key}' counts ${rec.parts} parts after ${seen}`);
    }
    const op = { kind: 'put-parts' as const, key: rec.key, parts: Object.freeze(this.values) };
    this.bytes += recordBytes;
    this.key = undefined;
    this.values = [];
    return op;
  }
}
