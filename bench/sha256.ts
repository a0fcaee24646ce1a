/**
 * Double SHA-256 of an 80-byte block header per second: truthkit's pure-TypeScript SHA-256
 * (src/protocols/nakamoto/sha256.ts, used by protocol code so it runs in the browser too)
 * against node:crypto (OpenSSL through Node's binding), beside `openssl speed sha256` on the same
 * machine in the same run. Ratios are what carry across machines.
 *
 * Run alone: node dist/bench/sha256.js
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../src/protocols/nakamoto/bytes.js';
import { sha256d } from '../src/protocols/nakamoto/sha256.js';

const GENESIS =
  '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c';

/** Hashes per second of `hash` over headers with a changing nonce, for about `ms`. */
function rate(hash: (header: Uint8Array) => Uint8Array, ms: number): number {
  const header = fromHex(GENESIS);
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) {
      header[76] = n & 0xff;
      header[77] = (n >>> 8) & 0xff;
      hash(header);
      n++;
    }
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

const nodeSha256d = (h: Uint8Array): Uint8Array =>
  createHash('sha256').update(createHash('sha256').update(h).digest()).digest();

/**
 * `openssl speed` on 64-byte inputs: SHA-256 hashes of 64 bytes per second. Undefined when
 * openssl is missing or prints something unexpected.
 */
function opensslBlocksPerSecond(): { perSecond: number; command: string } | undefined {
  for (const args of [
    ['speed', '-seconds', '1', '-bytes', '64', 'sha256'],
    ['speed', '-seconds', '1', 'sha256'],
  ]) {
    const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) continue;
    // "sha256   123456.78k ..." — the first column is 16 or 64-byte blocks, in 1000s of bytes/s.
    const line = r.stdout.split('\n').find((l) => /^sha256\s/.test(l));
    const cols = line?.trim().split(/\s+/).slice(1);
    if (cols === undefined || cols.length === 0) continue;
    const sizes = args.includes('-bytes') ? [64] : [16, 64, 256, 1024, 8192, 16384];
    const at = sizes.indexOf(64);
    const kbps = parseFloat(cols[at] ?? '');
    if (!Number.isFinite(kbps)) continue;
    return { perSecond: (kbps * 1000) / 64, command: `openssl ${args.join(' ')}` };
  }
  return undefined;
}

export async function run(): Promise<void> {
  const ms = 1000;
  rate(sha256d, 100); // warm up the JIT
  const ours = rate(sha256d, ms);
  const node = rate(nodeSha256d, ms);
  const openssl = opensslBlocksPerSecond();
  const fmt = (n: number): string => `${(n / 1e6).toFixed(3)} M/s`;
  console.log('double SHA-256 of an 80-byte header');
  console.log(`  pure TS (truthkit)   ${fmt(ours)}`);
  console.log(
    `  node:crypto          ${fmt(node)}   pure TS = ${(ours / node).toFixed(2)}× node:crypto`,
  );
  if (openssl !== undefined) {
    // A 64-byte message is two compressions (data + padding); a header's double hash is three
    // (80 bytes + padding = two, then the 32-byte digest = one): 2/3 of a header per hash.
    const headers = (openssl.perSecond * 2) / 3;
    console.log(
      `  openssl speed        ${fmt(headers)} (from ${fmt(openssl.perSecond)} 64-byte hashes × 2/3, ${openssl.command})` +
        `   pure TS = ${(ours / headers).toFixed(3)}× openssl, node:crypto = ${(node / headers).toFixed(3)}× openssl`,
    );
  } else console.log('  openssl speed        unavailable');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
