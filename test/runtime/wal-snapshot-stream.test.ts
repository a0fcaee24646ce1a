/**
 * Snapshots in parts through the real runtime: a 3-member etcd-raft cluster on loopback with a
 * small part size, so a store of a few MB is a snapshot of a hundred-odd parts. A follower
 * killed while the leader snapshots and compacts its log past it catches up by InstallSnapshot
 * (a part at a time), its data directory then holds the snapshot as a snapshot file of parts
 * that its write-ahead log names, and after a kill -9 it restarts from them with every value
 * intact, read through the `etcd3` client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../src/core/json.js';
import {
  clusterDown,
  clusterStatus,
  clusterUp,
  killNode,
  readClusterFile,
  spawnNode,
  waitReady,
} from '../../src/runtime/cluster.js';
import { recoverWal, WAL_FILE } from '../../src/runtime/wal.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const KEYS = 48;
const VALUE = 32 * 1024;
const valueFor = (i: number, round: number): string =>
  `${round}/${i}/`.padEnd(VALUE, String.fromCharCode(97 + ((i + round) % 26)));
const keyFor = (i: number): string => `k/${String(i).padStart(3, '0')}`;

interface View {
  role?: string;
  applied?: number;
  commit?: number;
  lastIndex?: number;
  snapshotIndex?: number;
}

async function views(dir: string): Promise<Map<string, View>> {
  const out = new Map<string, View>();
  for (const s of await clusterStatus(dir)) {
    const node = (s.status as { node?: View } | null)?.node;
    if (node !== undefined) out.set(s.id, node);
  }
  return out;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function putAll(client: Etcd3, round: number): Promise<void> {
  for (let i = 0; i < KEYS; i++) {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.put(keyFor(i)).value(valueFor(i, round));
        break;
      } catch (e) {
        if (attempt === 5) throw e; // an election under load: tried again, as a client would
        await sleep(100 * attempt);
      }
    }
  }
}

async function assertValuesAt(endpoint: string, round: number): Promise<void> {
  const client = new Etcd3({ hosts: `http://${endpoint}` });
  try {
    for (let i = 0; i < KEYS; i++) {
      assert.equal(await client.get(keyFor(i)).string(), valueFor(i, round), keyFor(i));
    }
  } finally {
    client.close();
  }
}

test(
  'a follower catches up by a many-part InstallSnapshot and restarts from the parts in its WAL',
  { timeout: 60_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'truthkit-snapstream-'));
    t.after(async () => {
      await clusterDown(dir).catch(() => []);
      rmSync(dir, { recursive: true, force: true });
    });
    await clusterUp({
      dir,
      nodes: 3,
      system: 'etcd-raft',
      params: {
        'snapshot-every': '16',
        retain: '16',
        'snapshot-part-bytes': '16384',
        'chunk-size': '8192',
      },
    });
    const c = readClusterFile(dir);
    const client = new Etcd3({ hosts: c.nodes.map((n) => `http://${n.etcd as string}`) });
    t.after(() => client.close());
    await putAll(client, 0);

    const leader = await until('a leader', async () => {
      for (const [id, v] of await views(dir)) if (v.role === 'leader') return id;
      return undefined;
    });
    const follower = c.nodes.find((n) => n.id !== leader);
    assert.ok(follower !== undefined);
    const before = (await views(dir)).get(follower.id)?.lastIndex ?? 0;
    await killNode(dir, follower.id);
    await putAll(client, 1);
    await putAll(client, 2);
    const lv = (await views(dir)).get(leader);
    assert.ok(
      (lv?.snapshotIndex ?? 0) > before,
      `the leader's log starts past the follower's (${lv?.snapshotIndex} > ${before})`,
    );

    const catchUp = async (): Promise<void> => {
      spawnNode(dir, follower.id, 'existing');
      await waitReady(dir, follower.id, 20_000);
      const target = (await views(dir)).get(leader)?.commit ?? 0;
      await until(`${follower.id} to apply ${target}`, async () => {
        const v = (await views(dir)).get(follower.id);
        return (v?.applied ?? 0) >= target ? true : undefined;
      });
    };
    await catchUp();
    await assertValuesAt(follower.etcd as string, 2);

    // The snapshot it installed is in a snapshot file of dozens of bounded parts beside its
    // log, which holds only a record naming it (raft-snapshot-file.ts).
    await killNode(dir, follower.id);
    const data = join(dir, follower.id, 'data');
    const wal = recoverWal(join(data, WAL_FILE));
    const parts = wal.state.parted.get('raft/snapshot') as readonly Json[] | undefined;
    assert.ok(parts !== undefined && parts.length > 50, `${parts?.length} parts in the snapshot`);
    const file = wal.files.get('raft/snapshot')?.file;
    assert.ok(file !== undefined && readdirSync(data).includes(file), `${file} in ${data}`);
    const text = readFileSync(join(data, WAL_FILE), 'latin1');
    assert.ok(text.includes(`"kind":"parts-file","key":"raft/snapshot","file":"${file}"`));
    assert.ok(!text.includes('"kind":"part"'), 'no part of it is in the log');

    // Restarted from those parts after kill -9: every value is there.
    await catchUp();
    await assertValuesAt(follower.etcd as string, 2);
  },
);
