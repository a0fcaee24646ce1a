/**
 * A value in parts in the write-ahead log (wal-parts.ts): a record per part and an end record,
 * read back whole through reopen, rewrite and windowed recovery; a missing, damaged or torn
 * part is refused or cut, never restored as a shorter value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../../src/core/json.js';
import {
  HEADER,
  MAGIC,
  parseOp,
  readRecord,
  recoverWal,
  WAL_FILE,
  WalCorruptionError,
  WalStore,
} from '../../src/runtime/wal.js';
import { closed, synced, tempDir } from './wal-helpers.js';

/** `n` parts of about `bytes` characters, each recognisable by its tag. */
function partsOf(tag: string, n: number, bytes: number): Json[] {
  return Array.from({ length: n }, (_, i) => ({ tag, i, text: `${tag}${i}`.padEnd(bytes, '.') }));
}

/** Every record of a log file: where it is and what it holds. */
function recordsOf(file: string): { off: number; end: number; kind: string; part?: number }[] {
  const buf = readFileSync(file);
  const out: { off: number; end: number; kind: string; part?: number }[] = [];
  for (let off = MAGIC.length; off < buf.length;) {
    const r = readRecord(buf, off);
    assert.ok('end' in r, `an intact record at ${off}`);
    const op = parseOp(buf.subarray(off + HEADER, r.end));
    assert.ok(op !== undefined);
    out.push({ off, end: r.end, kind: op.kind, ...(op.kind === 'part' ? { part: op.part } : {}) });
    off = r.end;
  }
  return out;
}

/** A log holding `first` as parts, then a put and an append after it. */
async function logWithParts(dir: string, first: Json[]): Promise<string> {
  const s = WalStore.open(dir);
  s.put('before', 1);
  s.putParts('snap', first);
  s.put('after', 2);
  s.append({ e: 1 });
  await synced(s);
  await closed(s);
  return join(dir, WAL_FILE);
}

test('a value in parts is a record per part, read back whole after reopen and rewrite', async (t) => {
  const dir = tempDir(t, 'truthkit-walparts-');
  const parts = partsOf('a', 40, 20_000);
  const file = await logWithParts(dir, parts);
  const kinds = recordsOf(file).map((r) => r.kind);
  assert.equal(kinds.filter((k) => k === 'part').length, 40, 'one record per part');
  assert.equal(kinds.filter((k) => k === 'parts-end').length, 1);
  assert.ok(
    recordsOf(file).every((r) => r.end - r.off < 30_000),
    'no record holds more than one part',
  );

  // Read a few KiB at a time, recovery gives the same state as reading it in one window.
  const whole = recoverWal(file);
  const windowed = recoverWal(file, 4096);
  assert.deepEqual(windowed.state.parted.get('snap'), parts);
  assert.deepEqual(windowed.state.records, whole.state.records);
  assert.equal(windowed.validBytes, whole.validBytes);

  // Garbage puts force a rewrite; the value in parts survives it and another reopen.
  const s = WalStore.open(dir, { compactBytes: 64 * 1024 });
  assert.deepEqual(s.getParts('snap'), parts);
  assert.deepEqual(s.keys(), ['after', 'before', 'snap']);
  for (let i = 0; i < 60; i++) {
    s.put('churn', 'x'.repeat(40_000));
    await synced(s);
  }
  assert.ok(s.compactions > 0, 'the log was rewritten');
  const next = partsOf('b', 3, 10);
  s.putParts('snap', next); // a newer value replaces the older in full
  await synced(s);
  await closed(s);
  const r = WalStore.open(dir);
  assert.deepEqual(r.getParts('snap'), next);
  assert.equal(r.get('snap'), undefined);
  r.put('snap', 'plain'); // and a plain put replaces parts
  await synced(r);
  await closed(r);
  const r2 = WalStore.open(dir);
  assert.equal(r2.get('snap'), 'plain');
  assert.equal(r2.getParts('snap'), undefined);
  await closed(r2);
});

test('a missing part is corruption (missing-part), not a shorter value', async (t) => {
  const dir = tempDir(t, 'truthkit-walparts-');
  const file = await logWithParts(dir, partsOf('a', 10, 500));
  const recs = recordsOf(file);
  const victim = recs.find((r) => r.kind === 'part' && r.part === 4);
  assert.ok(victim !== undefined);
  const buf = readFileSync(file);
  writeFileSync(file, Buffer.concat([buf.subarray(0, victim.off), buf.subarray(victim.end)]));
  assert.throws(
    () => recoverWal(file),
    (e: unknown) =>
      e instanceof WalCorruptionError && e.code === 'missing-part' && e.offset === victim.off,
  );
  // The end record counting parts it did not follow is refused too.
  const end = recs.find((r) => r.kind === 'parts-end');
  assert.ok(end !== undefined);
  writeFileSync(
    file,
    Buffer.concat([
      buf.subarray(0, recs.find((r) => r.kind === 'part' && r.part === 9)?.off),
      buf.subarray(end.off),
    ]),
  );
  assert.throws(
    () => recoverWal(file),
    (e: unknown) => e instanceof WalCorruptionError && e.code === 'missing-part',
  );
});

test('a damaged part is refused with the checksum code, naming its offset', async (t) => {
  const dir = tempDir(t, 'truthkit-walparts-');
  const file = await logWithParts(dir, partsOf('a', 10, 500));
  const victim = recordsOf(file).find((r) => r.kind === 'part' && r.part === 6);
  assert.ok(victim !== undefined);
  const buf = readFileSync(file);
  buf[victim.off + HEADER + 40] = (buf[victim.off + HEADER + 40] as number) ^ 0x20;
  writeFileSync(file, buf);
  assert.throws(
    () => WalStore.open(dir),
    (e: unknown) =>
      e instanceof WalCorruptionError && e.code === 'checksum' && e.offset === victim.off,
  );
});

test('a put-parts torn by a crash leaves the old value whole; a durable one cut is refused', async (t) => {
  const dir = tempDir(t, 'truthkit-walparts-');
  const old = partsOf('old', 5, 300);
  const s = WalStore.open(dir);
  s.putParts('snap', old);
  await synced(s);
  s.putParts('snap', partsOf('new', 8, 300));
  await synced(s);
  await closed(s);
  const file = join(dir, WAL_FILE);
  const recs = recordsOf(file);
  const newParts = recs.filter((r) => r.kind === 'part').slice(5);
  const buf = readFileSync(file);
  for (const cut of [newParts[0], newParts[3], newParts[7]]) {
    assert.ok(cut !== undefined);
    // Cut at a record boundary (the end record and some parts never written), and mid-record.
    for (const at of [cut.off, cut.off + 100]) {
      writeFileSync(file, buf.subarray(0, at));
      const r = recoverWal(file, 1024);
      assert.deepEqual(r.state.parted.get('snap'), old, `cut at ${at}`);
      assert.equal(r.validBytes, newParts[0]?.off, 'the whole torn group is cut');
      // The durable mark says the new value was made durable: its loss is refused.
      assert.throws(
        () => WalStore.open(dir),
        (e: unknown) => e instanceof WalCorruptionError && e.code === 'shorter-than-durable',
      );
    }
  }
});
