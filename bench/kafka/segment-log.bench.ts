/**
 * The Kafka partition log on disk (src/runtime/kafka/segment-log.ts), on this machine's temp
 * directory: appends per second without fsync, with an fsync per append, and with appends grouped
 * under one flush (as a broker's acks=all produce requests would be); fetches of 1 MiB in order
 * and single-batch reads at random offsets (index lookups); recovery time on open after a clean
 * close and after a crash (every batch re-read and CRC-checked).
 *
 * Run alone: node dist/bench/kafka/segment-log.bench.js  (SEGMENT_BENCH_MB sets the log size, 256)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BATCH_HEADER_BYTES } from '../../src/runtime/kafka/batch-header.js';
import { crc32c } from '../../src/runtime/kafka/crc32c.js';
import { RECOVERY_POINT_FILE, SegmentLog } from '../../src/runtime/kafka/segment-log.js';

/** A v2 batch of `records` 100-byte records (their framing is opaque here: one body). */
function makeBatch(records: number): Buffer {
  const bytes = Buffer.alloc(BATCH_HEADER_BYTES + records * 100);
  bytes.writeInt32BE(bytes.length - 12, 8);
  bytes.writeInt8(2, 16);
  bytes.writeInt32BE(records - 1, 23);
  bytes.writeBigInt64BE(1_700_000_000_000n, 27);
  bytes.writeBigInt64BE(1_700_000_000_000n, 35);
  bytes.writeBigInt64BE(-1n, 43);
  bytes.writeInt32BE(records, 57);
  for (let i = BATCH_HEADER_BYTES; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
  return bytes;
}

/** Stamps `b` at the log end (the CRC does not cover the base offset) and appends it. */
function appendAtEnd(log: SegmentLog, b: Buffer): void {
  b.writeBigInt64BE(BigInt(log.logEndOffset), 0);
  log.append(b);
}

function sealed(b: Buffer): Buffer {
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

export async function run(): Promise<void> {
  const mb = Number(process.env.SEGMENT_BENCH_MB ?? 256);
  const base = mkdtempSync(join(tmpdir(), 'truthkit-segment-bench-'));
  console.log(`kafka segment log (${base}, segment.bytes 64 MiB, index.interval.bytes 4096)`);
  const o = { segmentBytes: 64 << 20 };
  try {
    // Appends without fsync: what the page cache takes.
    for (const records of [1, 100]) {
      const dir = join(base, `nosync-${records}`);
      const log = SegmentLog.open(dir, o);
      const b = sealed(makeBatch(records));
      const total = Math.floor((mb << 20) / b.length);
      const t0 = performance.now();
      for (let i = 0; i < total; i++) appendAtEnd(log, b);
      const s = (performance.now() - t0) / 1000;
      console.log(
        `  append, no fsync, ${records} record(s) of 100 B per batch: ${fmt(total / s)} batches/s, ` +
          `${fmt((total * records) / s)} records/s, ${fmt((total * b.length) / s / 2 ** 20)} MiB/s`,
      );
      await log.close();
      if (records === 1) rmSync(dir, { recursive: true });
    }

    // An fsync per append, and appends grouped under shared flushes.
    for (const inFlight of [1, 16, 64]) {
      const log = SegmentLog.open(join(base, `sync-${inFlight}`), o);
      const b = sealed(makeBatch(1));
      const durationMs = 3000;
      let acked = 0;
      const t0 = performance.now();
      const lat: number[] = [];
      const worker = async (): Promise<void> => {
        while (performance.now() - t0 < durationMs) {
          const start = performance.now();
          appendAtEnd(log, b);
          await log.flush();
          lat.push(performance.now() - start);
          acked++;
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
      const s = (performance.now() - t0) / 1000;
      lat.sort((x, y) => x - y);
      const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? 0;
      console.log(
        `  append + fsync, ${inFlight} in flight, 1 record: ${fmt(acked / s)} durable appends/s, ` +
          `p50 ${fmt(p(0.5), 2)} ms, p99 ${fmt(p(0.99), 2)} ms`,
      );
      await log.close();
    }

    // Reads over the 100-record log.
    const dir = join(base, 'nosync-100');
    let log = SegmentLog.open(dir, o);
    const end = log.logEndOffset;
    let t0 = performance.now();
    let bytes = 0;
    for (let next = 0; next < end;) {
      const r = log.read(next, 1 << 20);
      bytes += r.bytes.length;
      next = r.nextOffset;
    }
    let s = (performance.now() - t0) / 1000;
    console.log(`  fetch 1 MiB at a time, in order: ${fmt(bytes / s / 2 ** 20)} MiB/s`);
    let seed = 12345;
    const reads = 20_000;
    t0 = performance.now();
    for (let i = 0; i < reads; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      log.read(seed % end, 1);
    }
    s = (performance.now() - t0) / 1000;
    console.log(
      `  read one batch at a random offset: ${fmt(reads / s)} reads/s (${fmt((s * 1e6) / reads, 1)} µs each)`,
    );
    const sizeMiB = log.sizeInBytes() / 2 ** 20;
    const segments = log.segmentBases().length;
    await log.close();

    t0 = performance.now();
    log = SegmentLog.open(dir, o);
    console.log(
      `  open after a clean close (${fmt(sizeMiB)} MiB, ${segments} segments): ${fmt(performance.now() - t0, 1)} ms`,
    );
    await log.close();
    // A crash before the first close: the appends ran no flush, so the recovery point was 0.
    writeFileSync(join(dir, RECOVERY_POINT_FILE), '0\n1\n0\n');
    const rpText = '0';
    t0 = performance.now();
    log = SegmentLog.open(dir, o);
    const ms = performance.now() - t0;
    console.log(
      `  open after a crash (recovery point ${rpText}, every later batch read and CRC-checked): ` +
        `${fmt(ms, 1)} ms, ${fmt(sizeMiB / (ms / 1000))} MiB/s`,
    );
    await log.close();
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
