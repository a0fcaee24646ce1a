/**
 * Local clusters: `truthkit cluster up` starts one detached process per node on loopback and
 * records everything about them in a directory (default `.truthkit`):
 *
 *   DIR/cluster.json     system, nodes (id, peer, client and etcd addresses, whether a node
 *                        is a spare: known to all, not yet a member; a node's optional `dial`:
 *                        where its peers dial it, when not at `peer`), the secret file
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
import {
  addAndPromote,
  adminCall,
  discardState,
  MembershipError,
  promoteWhenReady,
  type AdminEndpoint,
} from './membership-admin.js';
import { MEMBERSHIP_REFUSALS } from '../protocols/raft/membership.js';
import { limitsAsNodeFlags, type ConnectionLimits } from './connection-limits.js';
import { getSystem } from '../systems/index.js';
import { fetchStatus, parseAddress, type Endpoint } from './kv-client.js';
import type { Address } from './peer-transport.js';

/** The CLI entry of this same build (a path, not an import: runtime does not depend on cli). */
export const LAUNCHER = fileURLToPath(new URL('../cli/launch.js', import.meta.url));

export interface ClusterNode {
  readonly id: NodeId;
  /** Where the node listens for peers (and where they dial it, unless `dial` says otherwise). */
  readonly peer: string;
  /**
   * Where the other members dial this node, when not at `peer`: a proxy in front of its peer
   * port (truthkit chaos cuts links there, src/runtime/chaos/partition-proxy.ts).
   */
  readonly dial?: string;
  readonly client: string;
  /** The node's etcd v3 gRPC address, for systems that serve one (src/runtime/etcd/). */
  readonly etcd?: string;
  /** The node's ZooKeeper client port, for systems that serve one (src/runtime/zookeeper/). */
  readonly zk?: string;
  /** The node's Kafka port, for systems that serve one (src/runtime/kafka/broker/). */
  readonly kafka?: string;
  /**
   * Known to every node (its addresses are in every node's `--peers`) but not a member: `cluster
   * up` does not start it, and it becomes one through `cluster join` (membership-admin.ts).
   */
  readonly spare?: boolean;
}

export interface ClusterFile {
  readonly system: string;
  readonly mutant?: string;
  readonly params?: Readonly<Record<string, string>>;
  /** Connection limits given at `cluster up` (the rest are defaults), for every node. */
  readonly limits?: Partial<ConnectionLimits>;
  readonly nodes: readonly ClusterNode[];
  /**
   * The snapshot file the cluster's stores started from (`cluster up --from-snapshot`). A member
   * that starts without a log later (a spare joining, a wiped member rejoining) starts from it
   * too: the restored store is not in the Raft log, so replaying the log onto an empty store
   * would leave that member without it.
   */
  readonly fromSnapshot?: string;
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

/** The first port the kernel hands out to outgoing connections (Linux: ip_local_port_range). */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * Ports free right now below the ephemeral range, for nodes that start much later (spares): a
 * port from the ephemeral range (what binding port 0 gives) is soon taken by some outgoing
 * connection on a busy host, and the spare could not listen when it finally starts.
 */
export async function reservedPorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const hi = ephemeralLow() - 1;
  const lo = Math.max(1024, hi - 12_000);
  const ports: number[] = [];
  for (let tries = 0; ports.length < count && tries < 200; tries++) {
    const port = lo + Math.floor(Math.random() * (hi - lo + 1));
    if (ports.includes(port)) continue;
    const free = await new Promise<boolean>((res) => {
      const srv = createServer();
      srv.once('error', () => res(false));
      srv.listen(port, host, () => srv.close(() => res(true)));
    });
    if (free) ports.push(port);
  }
  if (ports.length < count) return freePorts(count, host);
  return ports;
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
    checkDialAddresses(file, c);
    return c;
  } catch (e) {
    if (e instanceof ClusterError) throw e;
    throw new ClusterError(`${file} is not a cluster description`);
  }
}

function writeClusterFile(dir: string, c: ClusterFile): void {
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(c, null, 2) + '\n');
}

/** A node's `dial`, when present, is a host:port (files written before it existed have none). */
function checkDialAddresses(file: string, c: ClusterFile): void {
  for (const n of c.nodes) {
    const dial: unknown = (n as { dial?: unknown }).dial;
    if (dial === undefined) continue;
    let ok = typeof dial === 'string';
    if (ok) {
      try {
        parseAddress(dial as string);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      throw new ClusterError(
        `${file}: node ${String(n.id)} has dial ${JSON.stringify(dial)}, not host:port`,
      );
    }
  }
}

export function clusterEndpoints(dir: string): Endpoint[] {
  return readClusterFile(dir)
    .nodes.filter((n) => n.spare !== true)
    .map((n) => ({ id: n.id, ...parseAddress(n.client) }));
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

/**
 * Starts node `id` of the cluster in `dir`, detached, logging to DIR/<id>/node.log; returns its
 * pid. `initialState` 'new' is for the cluster's first start (and a deliberate fresh start);
 * every restart is 'existing', so a member whose data is gone refuses to come back as a fresh
 * voter; 'join' starts a node empty as no member, to be added by the leader. A node that
 * starts without a log in a cluster restored from a snapshot file starts from that file.
 */
export function spawnNode(
  dir: string,
  id: NodeId,
  initialState: 'new' | 'existing' | 'join',
): number {
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
  if (me.zk !== undefined) args.push('--zk', me.zk);
  if (me.kafka !== undefined) args.push('--kafka', me.kafka);
  const seed =
    initialState !== 'existing' && !existsSync(join(dir, id, 'data', 'wal.log'))
      ? c.fromSnapshot
      : undefined;
  if (seed !== undefined) args.push('--from-snapshot', seed);
  const peers = c.nodes.filter((n) => n.id !== id).map((n) => `${n.id}=${n.dial ?? n.peer}`);
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
  /** Extra nodes known to all but not started nor members, for `cluster join` (default 0). */
  readonly spares?: number;
  /** Per node id, where the others dial it instead of its peer port (a proxy's address). */
  readonly dial?: Readonly<Record<NodeId, string>>;
  /** A snapshot file every member's store starts from (etcd-raft; checked before any starts). */
  readonly fromSnapshot?: string;
}

/** A snapshot file every member would refuse, refused once before any starts (one line). */
async function checkSnapshotFile(file: string): Promise<void> {
  const { readSnapshotFile } = await import('./etcd/restore-seed.js');
  const { machineSnapshotOf } = await import('./etcd/store-state.js');
  try {
    machineSnapshotOf(readSnapshotFile(file).state, file);
  } catch (e) {
    throw new ClusterError((e as Error).message);
  }
}

/** Starts a fresh local cluster in `dir`. */
export async function clusterUp(o: UpOptions): Promise<ClusterFile> {
  const dir = resolve(o.dir);
  const fromSnapshot = o.fromSnapshot !== undefined ? resolve(o.fromSnapshot) : undefined;
  if (fromSnapshot !== undefined) await checkSnapshotFile(fromSnapshot);
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
  const zk = getSystem(o.system)?.zookeeperApi === true;
  const kafka = getSystem(o.system)?.kafkaApi === true;
  const per = 2 + (etcd ? 1 : 0) + (zk ? 1 : 0) + (kafka ? 1 : 0);
  const spares = o.spares ?? 0;
  const total = o.nodes + spares;
  const ports = [
    ...(await freePorts(o.nodes * per, host)),
    ...(await reservedPorts(spares * per, host)),
  ];
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < total; i++) {
    nodes.push({
      id: `n${i + 1}`,
      peer: `${host}:${ports[per * i] as number}`,
      ...(o.dial?.[`n${i + 1}`] !== undefined ? { dial: o.dial[`n${i + 1}`] as string } : {}),
      client: `${host}:${ports[per * i + 1] as number}`,
      ...(etcd ? { etcd: `${host}:${ports[per * i + 2] as number}` } : {}),
      ...(zk ? { zk: `${host}:${ports[per * i + per - 1] as number}` } : {}),
      ...(kafka ? { kafka: `${host}:${ports[per * i + per - 1 - (zk ? 1 : 0)] as number}` } : {}),
      ...(i >= o.nodes ? { spare: true } : {}),
    });
  }
  const founders = nodes.filter((n) => n.spare !== true);
  // Spares are in every node's universe, so the initial voters must leave them out.
  const params =
    spares > 0 && o.params?.voters === undefined
      ? { ...o.params, voters: founders.map((n) => n.id).join(',') }
      : o.params;
  const file: ClusterFile = {
    system: o.system,
    ...(o.mutant !== undefined ? { mutant: o.mutant } : {}),
    ...(params !== undefined ? { params } : {}),
    ...(o.limits !== undefined && Object.keys(o.limits).length > 0 ? { limits: o.limits } : {}),
    nodes,
    ...(fromSnapshot !== undefined ? { fromSnapshot } : {}),
  };
  writeFileSync(join(dir, 'secret'), generateSecret() + '\n', { mode: 0o600 });
  writeClusterFile(dir, file);
  for (const n of founders) spawnNode(dir, n.id, 'new');
  try {
    await Promise.all(founders.map((n) => waitReady(dir, n.id)));
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
  readonly zk?: string;
  readonly kafka?: string;
  readonly spare?: boolean;
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
        ...(n.zk !== undefined ? { zk: n.zk } : {}),
        ...(n.kafka !== undefined ? { kafka: n.kafka } : {}),
        ...(n.spare === true ? { spare: true } : {}),
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
  if (nodeOf(readClusterFile(dir), id).spare === true) {
    throw new ClusterError(`${id} is not a member yet: start it with truthkit cluster join ${id}`);
  }
  await stopNode(dir, id);
  spawnNode(dir, id, options.forceNew === true ? 'new' : 'existing');
  return waitReady(dir, id);
}

/** The members' client ports, for admin operations (spares and `except` left out). */
function adminEndpoints(c: ClusterFile, except: NodeId): AdminEndpoint[] {
  return c.nodes.filter((n) => n.spare !== true && n.id !== except);
}

/** Records in the cluster file that `id` is a member (no longer a spare). */
function markMember(dir: string, id: NodeId): void {
  const c = readClusterFile(dir);
  writeClusterFile(dir, {
    ...c,
    nodes: c.nodes.map((n) => {
      if (n.id !== id) return n;
      const { spare: _spare, ...member } = n;
      return member;
    }),
  });
}

/** A MembershipError as the one line `cluster` commands print. */
async function asClusterError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof MembershipError) throw new ClusterError(e.message);
    throw e;
  }
}

export interface JoinOptions {
  /** Leave it a learner (default: promote it to voter once it has caught up). */
  readonly learner?: boolean;
  /** Told each step as it is done. */
  readonly onStep?: (what: string) => void;
}

/**
 * Starts a node that is not a member (a spare, or one added already with etcdctl member add)
 * as a joining server, and has the leader add it: a learner, promoted once caught up unless
 * `learner`. A node that is already a member by the leader's configuration is only started.
 */
export async function joinNode(dir: string, id: NodeId, o: JoinOptions = {}): Promise<void> {
  const c = readClusterFile(dir);
  nodeOf(c, id);
  const step = o.onStep ?? (() => {});
  const others = adminEndpoints(c, id);
  if (others.length === 0) throw new ClusterError(`${id} has no cluster to join`);
  // Running already (a join that failed half way, asked again): only the changes are left. It
  // may be a member, even the leader, so it is asked too: its followers can only point at it.
  const running = runningPid(dir, id) !== undefined;
  const endpoints = running ? [...others, nodeOf(c, id)] : others;
  if (running) step(`${id} is running`);
  else {
    spawnNode(dir, id, 'join');
    await waitReady(dir, id);
    step(`${id} started empty, joining`);
  }
  markMember(dir, id);
  await asClusterError(async () => {
    try {
      await adminCall(endpoints, { f: 'add-learner', node: id });
      step(`${id} added as a learner`);
    } catch (e) {
      const added = e instanceof MembershipError && e.refusal === MEMBERSHIP_REFUSALS.alreadyMember;
      if (!added) throw e;
      step(`${id} was a member already`);
    }
    if (o.learner !== true) {
      try {
        await promoteWhenReady(endpoints, id, 30_000, step);
      } catch (e) {
        // Added with etcdctl as a voter, the leader may have promoted it already itself.
        if (!(e instanceof MembershipError && e.refusal === MEMBERSHIP_REFUSALS.alreadyMember))
          throw e;
        step(`${id} is a voter`);
      }
    }
  });
}

/**
 * Brings back member `id` whose state is gone (or is to be discarded) through a membership
 * change: stops it if it runs, has the leader remove it and waits for that to commit, discards
 * its data directory, starts it empty as a joining server, has it added as a learner and
 * promoted once caught up. Safe where `restart --force-new` is not: see membership-admin.ts.
 */
export async function rejoinNode(
  dir: string,
  id: NodeId,
  onStep: (what: string) => void = () => {},
): Promise<void> {
  const c = readClusterFile(dir);
  if (nodeOf(c, id).spare === true) {
    throw new ClusterError(`${id} has never been a member: use truthkit cluster join ${id}`);
  }
  const endpoints = adminEndpoints(c, id);
  if (endpoints.length === 0) {
    throw new ClusterError(`${id} is the cluster's only member: there is nobody to rejoin`);
  }
  if (await stopNode(dir, id)) onStep(`${id} stopped`);
  await asClusterError(async () => {
    try {
      await adminCall(endpoints, { f: 'remove-server', node: id });
      onStep(`${id} removed from the configuration (committed)`);
    } catch (e) {
      if (!(e instanceof MembershipError && e.refusal === MEMBERSHIP_REFUSALS.notMember)) throw e;
      onStep(`${id} was not a member`);
    }
  });
  discardState(dir, id);
  spawnNode(dir, id, 'join');
  await waitReady(dir, id);
  onStep(`${id} started empty, joining`);
  await asClusterError(() => addAndPromote(endpoints, id, 30_000, onStep));
}

/** Stops every node. Returns the ids that were running. */
export async function clusterDown(dir: string): Promise<NodeId[]> {
  const c = readClusterFile(dir);
  const stopped = await Promise.all(c.nodes.map((n) => stopNode(dir, n.id)));
  return c.nodes.filter((_, i) => stopped[i]).map((n) => n.id);
}

export type { Address };
