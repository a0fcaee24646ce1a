/** What the WAL tests share: a temporary directory per test, and the store's callbacks as promises. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WalStore } from '../../src/runtime/wal.js';

/** A fresh directory, removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'truthkit-wal-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const synced = (store: WalStore): Promise<void> => new Promise((r) => store.sync(r));
export const closed = (store: WalStore): Promise<void> => new Promise((r) => store.close(r));
