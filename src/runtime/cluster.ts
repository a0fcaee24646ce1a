/**
 * Local clusters: `truthkit cluster up` starts one detached process per node on loopback and
 * records everything about them in a directory (default `.truthkit`):
 *
 *   DIR/cluster.json     system, nodes (id, peer, client and etcd addresses), the secret file
 *   DIR/secret           the generated cluster secret (mode 0600)
 *   DIR/<id>/data/       the node's write-ahead log
 *   DIR/<id>/node.log    its stdout and stderr (JSON log lines)
 *   DIR/<id>/pid         its process id while it runs
 *
 * Nodes are spawned with this build's own launcher (src/cli/launch.ts), so a cluster
 * runs the same code as the command that started it.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Json } from '../core/json.js';
import type { NodeId } from '../core/node.js';
import { generateSecret } from './auth.js';
import { limitsAsNodeFlags, type ConnectionLimits } from './connection-limits.js';
import { getSystem } from '../systems/index.js';
import { fetchStatus, parseAddress, type Endpoint } from './kv-client.js';
import type { Address } from './peer-transport.js';

/** The CLI entry of this same build (a path, not an import: runtime does not depend on cli). */
export const LAUNCHER = fileURLToPath(new URL('../cli/launch.js', import.meta.url));

export interface ClusterNode {
  readonly id: NodeId;
  readonly peer: string;
  readonly client: string;
  /** The node's etcd v3 gRPC address, for systems that serve one (src/runtime/etcd/). */
  readonly etcd?: string;
}

export interface ClusterFile {
  readonly system: string;
  readonly mutant?: string;
  readonly params?: Readonly<Record<string, string>>;
  /** Connection limits given at `cluster up` (the rest are defaults), for every node. */
  readonly limits?: Partial<ConnectionLimits>;
  readonly nodes: readonly ClusterNode[];
}

export class ClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Ports free right now on `host`, found by binding port 0 (all held until every one is known). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.listen(0, host, () => res());
      });
      const a = s.address();
      if (typeof a !== 'object' || a === null) throw new Error('could not bind a free port');
      ports.push(a.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
  }
}

export function readClusterFile(dir: string): ClusterFile {
  const file = join(dir, 'cluster.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ClusterError(
      `no cluster in ${dir} (start one with: truthkit cluster up --dir ${dir})`,
    );
  }
  try {
    const c = JSON.parse(text) as ClusterFile;
    if (typeof c.system !== 'string' || !Array.isArray(c.nodes)) throw new Error('bad shape');
    return c;
  } catch {
    throw new ClusterError(`${file} is not a cluster description`);
  }
}

export function clusterEndpoints(dir: string): Endpoint[] {
  return readClusterFile(dir).nodes.map((n) => ({ id: n.id, ...parseAddress(n.client) }));
}

function nodeOf(c: ClusterFile, id: NodeId): ClusterNode {
  const n = c.nodes.find((x) => x.id === id);
  if (n === undefined) {
    throw new ClusterError(`no node '${id}' (choose from ${c.nodes.map((x) => x.id).join(', ')})`);
  }
  return n;
}

function pidFile(dir: string, id: NodeId): string {
  return join(dir, id, 'pid');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The node's process id when it is running. */
export function runningPid(dir: string, id: NodeId): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(dir, id), 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isSafeInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** Spawns one node, detached, logging to DIR/<id>/node.log. Returns its pid. */
/**
 * Starts node `id` of the cluster in `dir`. `initialState` 'new' is for the cluster's first start
 * (and a deliberate fresh start); every restart is 'existing', so a member whose data is gone
 * refuses to come back as a fresh voter.
 */
export function spawnNode(dir: string, id: NodeId, initialState: 'new' | 'existing'): number {
  const c = readClusterFile(dir);
  const me = nodeOf(c, id);
  mkdirSync(join(dir, id), { recursive: true });
  const args = [
    LAUNCHER,
    'node',
    '--system',
    c.system,
    '--id',
    id,
    '--listen',
    me.peer,
    '--data',
    join(dir, id, 'data'),
    '--client',
    me.client,
    '--secret-file',
    join(dir, 'secret'),
    '--initial-state',
    initialState,
  ];
  if (me.etcd !== undefined) args.push('--etcd', me.etcd);
  const peers = c.nodes.filter((n) => n.id !== id).map((n) => `${n.id}=${n.peer}`);
  if (peers.length > 0) args.push('--peers', peers.join(','));
  if (c.mutant !== undefined) args.push('--mutant', c.mutant);
  for (const [k, v] of Object.entries(c.params ?? {})) args.push('--param', `${k}=${v}`);
  args.push(...limitsAsNodeFlags(c.limits ?? {}));
  const log = openSync(join(dir, id, 'node.log'), 'a');
  try {
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
    if (child.pid === undefined) throw new ClusterError(`could not start ${id}`);
    writeFileSync(pidFile(dir, id), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** The node's own last complaint (a `truthkit: …` line) in its log, to show beside the failure. */
function lastErrorLine(logFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((l) => l.startsWith('truthkit: '));
  return lines[lines.length - 1]?.slice('truthkit: '.length);
}

/** Waits until the node answers a status request, or fails naming its log. */
export async function waitReady(dir: string, id: NodeId, timeoutMs = 15_000): Promise<Json> {
  const c = readClusterFile(dir);
  const address = parseAddress(nodeOf(c, id).client);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pid = runningPid(dir, id);
    if (pid === undefined) {
      const logFile = join(dir, id, 'node.log');
      const why = lastErrorLine(logFile);
      throw new ClusterError(
        `${id} exited during start${why !== undefined ? ` (${why})` : ''}; see ${logFile}`,
      );
    }
    const s = await fetchStatus(address, 500);
    if (s !== undefined) return s;
    await sleep(50);
  }
  throw new ClusterError(
    `${id} did not answer within ${timeoutMs} ms; see ${join(dir, id, 'node.log')}`,
  );
}

export interface UpOptions {
  readonly dir: string;
  readonly nodes: number;
  readonly system: string;
  readonly mutant?: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly limits?: Partial<ConnectionLimits>;
  readonly host?: string;
  /** Give every node an etcd v3 gRPC port too (default: when the system takes etcd's API). */
  readonly etcd?: boolean;
}

/** Starts a fresh local cluster in `dir`. */
export async function clusterUp(o: UpOptions): Promise<ClusterFile> {
  const dir = resolve(o.dir);
  if (existsSync(join(dir, 'cluster.json'))) {
    const old = readClusterFile(dir);
    if (old.nodes.some((n) => runningPid(dir, n.id) !== undefined)) {
      throw new ClusterError(
        `a cluster is running in ${dir} (stop it: truthkit cluster down --dir ${o.dir})`,
      );
    }
    for (const n of old.nodes) rmSync(join(dir, n.id), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  const host = o.host ?? '127.0.0.1';
  const etcd = o.etcd ?? getSystem(o.system)?.etcdApi === true;
  const per = etcd ? 3 : 2;
  const ports = await freePorts(o.nodes * per, host);
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < o.nodes; i++) {
    nodes.push({
      id: `n${i + 1}`,
      peer: `${host}:${ports[per * i] as number}`,
      client: `${host}:${ports[per * i + 1] as number}`,
      ...(etcd ? { etcd: `${host}:${ports[per * i + 2] as number}` } : {}),
    });
  }
  const file: ClusterFile = {
    system: o.system,
    ...(o.mutant !== undefined ? { mutant: o.mutant } : {}),
    ...(o.params !== undefined ? { params: o.params } : {}),
    ...(o.limits !== undefined && Object.keys(o.limits).length > 0 ? { limits: o.limits } : {}),
    nodes,
  };
  writeFileSync(join(dir, 'secret'), generateSecret() + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(file, null, 2) + '\n');
  for (const n of nodes) spawnNode(dir, n.id, 'new');
  try {
    await Promise.all(nodes.map((n) => waitReady(dir, n.id)));
  } catch (e) {
    await clusterDown(dir);
    throw e;
  }
  return file;
}

export interface NodeState {
  readonly id: NodeId;
  readonly client: string;
  readonly etcd?: string;
  readonly pid: number | null;
  /** What the node reported, or null when it is down or did not answer. */
  readonly status: Json | null;
}

export async function clusterStatus(dir: string): Promise<NodeState[]> {
  const c = readClusterFile(dir);
  return Promise.all(
    c.nodes.map(async (n) => {
      const pid = runningPid(dir, n.id) ?? null;
      const status =
        pid === null ? null : ((await fetchStatus(parseAddress(n.client), 1000)) ?? null);
      return {
        id: n.id,
        client: n.client,
        ...(n.etcd !== undefined ? { etcd: n.etcd } : {}),
        pid,
        status,
      };
    }),
  );
}

async function waitExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(20);
  }
  return !isAlive(pid);
}

/** Stops a node: SIGTERM (graceful), SIGKILL after `graceMs`. False if it was not running. */
export async function stopNode(dir: string, id: NodeId, graceMs = 5000): Promise<boolean> {
  nodeOf(readClusterFile(dir), id);
  const pid = runningPid(dir, id);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  if (!(await waitExit(pid, graceMs))) {
    process.kill(pid, 'SIGKILL');
    await waitExit(pid, 5000);
  }
  rmSync(pidFile(dir, id), { force: true });
  return true;
}

/** `kill -9`: the node crashes; what it had not fsynced is lost. False if it was not running. */
export async function killNode(dir: string, id: NodeId): Promise<boolean> {
  nodeOf(readClusterFile(dir), id);
  const pid = runningPid(dir, id);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGKILL');
  await waitExit(pid, 5000);
  rmSync(pidFile(dir, id), { force: true });
  return true;
}

/**
 * Stops the node if it runs, starts it again from its data, and waits until it answers. With
 * `forceNew` a node whose data is gone starts empty, as a fresh voter (the caller's decision).
 */
export async function restartNode(
  dir: string,
  id: NodeId,
  options: { forceNew?: boolean } = {},
): Promise<Json> {
  await stopNode(dir, id);
  spawnNode(dir, id, options.forceNew === true ? 'new' : 'existing');
  return waitReady(dir, id);
}

/** Stops every node. Returns the ids that were running. */
export async function clusterDown(dir: string): Promise<NodeId[]> {
  const c = readClusterFile(dir);
  const stopped = await Promise.all(c.nodes.map((n) => stopNode(dir, n.id)));
  return c.nodes.filter((_, i) => stopped[i]).map((n) => n.id);
}

export type { Address };
