/**
 * The end-to-end phase: a real `truthkit node` process (etcd-raft, member n1 of a cluster whose
 * other member n2 is this fuzzer) on loopback, sent mutated input over many connections to its
 * three ports — the peer port (strangers' byte streams, and frames after authenticating as n2),
 * the client port (mutated lines) and the etcd gRPC port (raw HTTP/2 via node:http2: valid gRPC
 * framing around mutated request bodies, and lying gRPC length prefixes and flags). After every
 * round the node must still answer a client's status request within a deadline (else a hang),
 * must not have exited (a crash), and at the end its RSS must be within a bound of where it
 * started after warm-up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Random } from '../../src/core/random.js';
import { proof, PROTOCOL_VERSION } from '../../src/runtime/auth.js';
import { freePorts } from '../../src/runtime/cluster.js';
import { decodeJsonFrame, encodeJsonFrame, FrameDecoder } from '../../src/runtime/frames.js';
import { havoc, hex, inputRandom } from './mutate.js';
import type { Finding } from './target.js';
import { clientStream, etcdBody, etcdMethods, frameStream } from './targets.js';

const BIN = fileURLToPath(new URL('../../../bin/truthkit.js', import.meta.url));
const SECRET = 'end-to-end-fuzzing-secret';

export interface E2eOptions {
  readonly seed: number;
  /** Inputs per port. */
  readonly inputs: number;
  /** Connections open at once per port. */
  readonly parallel?: number;
  /**
   * Send no authenticated peer stream holding a "snapshot" message (it goes to the stranger
   * path instead). An authenticated peer's snapshot whose chunk is not the system's state stops
   * an etcd-raft node (a known finding, docs/fuzzing.md); this lets the rest be fuzzed clean.
   */
  readonly noPeerSnapshots?: boolean;
  /** Growth of the node's RSS allowed over the run, bytes. */
  readonly rssBound?: number;
}

export interface E2eResult {
  readonly inputs: number;
  readonly findings: Finding[];
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly ms: number;
}

/** The process's resident set, bytes; 0 once it has exited. */
function rssOf(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m === null ? 0 : Number(m[1]) * 1024;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Opens a connection, writes `bytes`, and waits for the node to close it or a short while. */
function sendRaw(port: number, bytes: Buffer, lingerMs = 50): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.end(bytes));
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve();
    };
    const t = setTimeout(done, lingerMs);
    s.on('data', () => {});
    s.on('error', done);
    s.on('close', done);
  });
}

/** Authenticates as n2 on the peer port, then writes `bytes`. */
function sendAsPeer(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const nonce = 'f'.repeat(32);
    const s: Socket = connect({ host: '127.0.0.1', port }, () =>
      s.write(encodeJsonFrame({ t: 'hello', v: PROTOCOL_VERSION, from: 'n2', to: 'n1', nonce })),
    );
    const decoder = new FrameDecoder(4096);
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve();
    };
    const t = setTimeout(done, 150);
    s.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        const c = decodeJsonFrame(f) as { nonce?: unknown };
        if (typeof c.nonce !== 'string') return done();
        const p = proof(Buffer.from(SECRET), 'dialer', 'n2', 'n1', nonce, c.nonce);
        s.write(encodeJsonFrame({ t: 'auth', proof: p }));
        s.end(bytes);
      }
    });
    s.on('error', done);
    s.on('close', done);
  });
}

/** One gRPC call with a body, or with a gRPC message prefix that lies (flag, length). */
function grpcCall(
  session: ReturnType<typeof http2Connect>,
  r: Random,
): { path: string; data: Buffer; done: Promise<void> } {
  const m = r.pick(etcdMethods());
  const body = etcdBody(r, m);
  const service = m.name.startsWith('Lease') ? 'Lease' : 'KV';
  const path = `/etcdserverpb.${service}/${m.name}`;
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  let data: Buffer = Buffer.concat([prefix, body]);
  if (r.chance(0.2)) data = havoc(r, data, []);
  const done = new Promise<void>((resolve) => {
    try {
      const req = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        // Without a quorum a write waits for its deadline: answered DEADLINE_EXCEEDED quickly.
        'grpc-timeout': '100m',
      });
      req.setTimeout(300, () => req.close());
      req.on('data', () => {});
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.end(data);
    } catch {
      resolve();
    }
  });
  return { path, data, done };
}

/** The node answers a status request on its client port within `ms`. */
function clientAnswers(port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let got = '';
    const s = connect({ host: '127.0.0.1', port }, () =>
      s.write('{"rid":"probe","status":true}\n'),
    );
    const t = setTimeout(() => finish(false), ms);
    const finish = (ok: boolean): void => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      got += c;
      if (got.includes('\n')) finish(got.includes('"probe"') && got.includes('"status"'));
    });
    s.on('error', () => finish(false));
  });
}

export async function runE2e(
  o: E2eOptions,
  log: (line: string) => void = () => {},
): Promise<E2eResult> {
  const parallel = o.parallel ?? 16;
  const rssBound = o.rssBound ?? 64 * 1024 * 1024;
  const dir = mkdtempSync(join(tmpdir(), 'truthkit-fuzz-'));
  const [peerPort, clientPort, etcdPort, n2Port] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];
  writeFileSync(join(dir, 'secret'), SECRET, { mode: 0o600 });
  const child: ChildProcess = spawn(
    process.execPath,
    [
      BIN,
      'node',
      '--system',
      'etcd-raft',
      '--id',
      'n1',
      '--listen',
      `127.0.0.1:${peerPort}`,
      '--peers',
      `n2=127.0.0.1:${n2Port}`,
      '--data',
      join(dir, 'data'),
      '--client',
      `127.0.0.1:${clientPort}`,
      '--etcd',
      `127.0.0.1:${etcdPort}`,
      '--secret-file',
      join(dir, 'secret'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  // The node's log lines (stdout) and errors, the last few KiB, for a finding's report.
  const keep = (c: Buffer): void => void (stderr = (stderr + c.toString('utf8')).slice(-8192));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | null = null;
  child.on(
    'exit',
    (code, signal) => void (exited = `exited ${code ?? signal}: ${stderr.slice(-2000)}`),
  );
  const findings: Finding[] = [];
  const t0 = performance.now();
  let rssBefore = 0;
  let rssAfter = 0;
  let sent = 0;
  try {
    for (let i = 0; i < 100 && !(await clientAnswers(clientPort, 200)); i++) await sleep(100);
    if (!(await clientAnswers(clientPort, 2000))) throw new Error(`node did not start: ${stderr}`);
    const session = http2Connect(`http://127.0.0.1:${etcdPort}`);
    session.on('error', () => {});
    let h2 = session;
    const rounds = Math.ceil(o.inputs / parallel);
    for (let round = 0; round < rounds; round++) {
      if (round === Math.min(5, rounds - 1)) rssBefore = rssOf(child.pid ?? 0); // after warm-up
      const batch: Promise<void>[] = [];
      const inputsOf: string[] = [];
      for (let k = 0; k < parallel; k++) {
        const index = round * parallel + k;
        const r = inputRandom(o.seed, 'e2e', index);
        const port = r.int(3);
        if (port === 0) {
          const bytes = frameStream(r);
          const asPeer = r.chance(0.5) && !(o.noPeerSnapshots && bytes.includes('"snapshot"'));
          inputsOf.push(
            `${index} peer ${asPeer ? 'after-handshake:' : ''}${hex(bytes).slice(0, 400)}`,
          );
          batch.push(asPeer ? sendAsPeer(peerPort, bytes) : sendRaw(peerPort, bytes));
        } else if (port === 1) {
          const bytes = clientStream(r);
          inputsOf.push(`${index} client ${hex(bytes).slice(0, 400)}`);
          batch.push(sendRaw(clientPort, bytes));
        } else {
          if (h2.closed || h2.destroyed) {
            h2 = http2Connect(`http://127.0.0.1:${etcdPort}`);
            h2.on('error', () => {});
          }
          const call = grpcCall(h2, r);
          inputsOf.push(`${index} etcd ${call.path} ${hex(call.data).slice(0, 400)}`);
          batch.push(call.done);
        }
        sent++;
      }
      await Promise.all(batch);
      const alive = exited === null && (await clientAnswers(clientPort, 3000));
      if (!alive) {
        findings.push({
          target: 'e2e',
          seed: o.seed,
          index: round * parallel,
          input: inputsOf.join('\n'),
          problem:
            exited ??
            `the node stopped answering its client port (hang); log: ${stderr.slice(-3000)}`,
        });
        break;
      }
      if (round % 50 === 0)
        log(`e2e: ${sent} inputs, rss ${(rssOf(child.pid ?? 0) / 1048576).toFixed(1)} MiB`);
    }
    h2.close();
    await sleep(200);
    rssAfter = rssOf(child.pid ?? 0);
    if (findings.length === 0 && (exited !== null || rssAfter === 0)) {
      findings.push({
        target: 'e2e',
        seed: o.seed,
        index: sent,
        input: '',
        problem: `the node exited after the last round: ${exited ?? stderr.slice(-2000)}`,
      });
    } else if (exited === null) {
      if (rssBefore > 0 && rssAfter - rssBefore > rssBound) {
        findings.push({
          target: 'e2e',
          seed: o.seed,
          index: 0,
          input: '',
          problem: `RSS grew by ${rssAfter - rssBefore} bytes (bound ${rssBound})`,
        });
      }
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (exited !== null ? r(null) : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
  return { inputs: sent, findings, rssBefore, rssAfter, ms: performance.now() - t0 };
}
