/**
 * One node as a process: opens (recovering) its write-ahead log, builds the system's node on a
 * RuntimeEnv, starts the peer transport and the client port, and starts the node. SIGTERM and
 * SIGINT stop it gracefully (pending syncs finish, sockets close); `kill -9` is a crash, which
 * the log survives.
 */
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { copyJson, type Json } from '../core/json.js';
import { appliesLogOf, type ClientReply, type NodeId, type RequestId } from '../core/node.js';
import type { SystemDefinition } from '../core/system.js';
import { AppliedWaits } from './applied-waits.js';
import { ClientServer } from './client-server.js';
import type { ConnectionLimits } from './connection-limits.js';
import type { EtcdServer, EtcdServerOptions } from './etcd/server.js';
import type { ZkPort } from './zookeeper/replicated-port.js';
import type { KafkaNodePort } from './kafka/broker/replicated-port.js';
import type { ReplicatedBackendOptions as KafkaBackendOptions } from './kafka/broker/replicated-backend.js';
import { seedFor } from './etcd/restore-seed.js';
import { Forwarding } from './forwarding.js';
import { PeerTransport, type Address } from './peer-transport.js';
import { RuntimeEnv } from './runtime-env.js';
import { WAL_FILE, WalStore } from './wal.js';
import { isFrontEndOnlyOp } from '../systems/etcd/auth-ops.js';

export interface NodeConfig {
  readonly system: SystemDefinition;
  readonly mutant?: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly id: NodeId;
  readonly listen: Address;
  readonly peers: ReadonlyMap<NodeId, Address>;
  /** Where clients connect; none when undefined. */
  readonly client?: Address;
  /** Where etcd v3 gRPC clients connect (src/runtime/etcd/); none when undefined. */
  readonly etcd?: Address;
  /** Where ZooKeeper clients connect (src/runtime/zookeeper/); none when undefined. */
  readonly zookeeper?: Address;
  /** Where Kafka clients connect (src/runtime/kafka/broker/replicated-*.ts); none when undefined. */
  readonly kafka?: Address;
  /** Options (and test mutants) of the Kafka broker. */
  readonly kafkaOptions?: KafkaBackendOptions;
  /** Tuning of the etcd front end (call deadline, session slots, watcher lag). */
  readonly etcdOptions?: Omit<EtcdServerOptions, 'listen'>;
  /** Caps and timeouts of the client and etcd ports (default: DEFAULT_LIMITS). */
  readonly limits?: ConnectionLimits;
  readonly dataDir: string;
  /**
   * 'new' (default): a member starting its cluster's life; an empty data directory is expected.
   * 'existing': a member that has been part of its cluster before, so its state must be there
   * (see MemberStateMissingError).
   */
  readonly initialState?: 'new' | 'existing';
  /** A snapshot file (etcdctl snapshot save) this new member's store starts from. */
  readonly fromSnapshot?: string;
  /** Cluster secret; required when there are peers. */
  readonly secret?: Buffer;
  readonly seed?: number;
  readonly compactBytes?: number;
  /** Receives one JSON log line at a time (default: stderr). */
  readonly logLine?: (line: string) => void;
  /** Called after the node stopped itself on an error (default: exit the process with 70). */
  readonly onFatal?: (error: Error) => void;
}

/**
 * A member that has been part of its cluster starts with no state (its data directory wiped, its
 * log gone). Started empty it would be a fresh voter that may vote a second time in a term it
 * voted in before, and forget entries it acknowledged: it is refused unless told to start anew.
 */
export class MemberStateMissingError extends Error {
  constructor(
    readonly id: NodeId,
    readonly dataDir: string,
  ) {
    super(
      `${id} has been a member of its cluster, but ${dataDir} holds no write-ahead log: started ` +
        'empty it could vote twice in one term; restore its data, or start it anew on purpose ' +
        '(truthkit cluster restart --force-new, or truthkit node --initial-state new)',
    );
    this.name = 'MemberStateMissingError';
  }
}

/** Every node agrees on the cluster's order: ids sorted naturally (n1, n2, …, n10). */
export function clusterOrder(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

export class RuntimeNode {
  readonly started = performance.now();
  peerAddress!: Address;
  clientAddress: Address | undefined;
  etcdAddress: Address | undefined;
  etcd: EtcdServer | undefined;
  zookeeperAddress: Address | undefined;
  zookeeper: ZkPort | undefined;
  kafkaAddress: Address | undefined;
  kafka: KafkaNodePort | undefined;
  readonly forwarding: Forwarding;
  /** Forwarded answers held until this node has applied what the leader had (etcd's order). */
  readonly appliedWaits: AppliedWaits;
  private stopping = false;
  /** Requests this process submitted itself (etcd calls, forwarded requests), by id. */
  private readonly local = new Map<RequestId, (reply: ClientReply) => void>();
  /** Request ids, shared by the client port and local submissions. */
  private nextRequestId = 1;

  private constructor(
    readonly config: NodeConfig,
    readonly wal: WalStore,
    readonly host: RuntimeEnv,
    readonly transport: PeerTransport,
    readonly clients: ClientServer | undefined,
    private readonly logFn: (message: string, fields: Record<string, Json>) => void,
  ) {
    this.forwarding = new Forwarding({
      send: (to, json, type) => transport.sendJson(to, json, type),
      submitLocal: (client, seq, op, onReply) => this.submitLocal(client, seq, op, onReply),
      info: () => ({
        etcd: this.etcdAddress
          ? { host: this.etcdAddress.host, port: this.etcdAddress.port }
          : null,
      }),
      appliedEntry: () => appliesLogOf(host.node)?.appliedEntry(),
    });
    this.appliedWaits = new AppliedWaits(
      () => (host.isStopped ? undefined : appliesLogOf(host.node)),
      (fn) => host.guard(fn),
    );
  }

  allocateRequestId(): RequestId {
    return this.nextRequestId++;
  }

  /**
   * Routes the node's reply: to a local submitter, else to the client port (which encodes it at
   * once). `reply` is the node's own object (RuntimeEnv does not copy it).
   */
  routeReply(id: RequestId, reply: ClientReply): void {
    const local = this.local.get(id);
    if (local === undefined) {
      this.clients?.reply(id, reply);
      return;
    }
    this.local.delete(id);
    local(reply);
  }

  /**
   * Submits a request to this process's node, as the client port does; `onReply` gets its
   * answer — the node's own object, during the node's step: a caller that keeps it past that
   * call must copy or encode it first. Returns a function that abandons the request (a later
   * reply is then dropped).
   */
  submitLocal(
    client: string,
    seq: number,
    op: Json,
    onReply: (reply: ClientReply) => void,
  ): () => void {
    const id = this.allocateRequestId();
    const abandon = (): void => {
      this.local.delete(id);
    };
    if (this.stopping || this.host.isStopped || this.host.node === null) {
      onReply({ ok: false, error: 'node is not running', definite: true });
      return abandon;
    }
    this.local.set(id, onReply);
    this.host.guard(() => this.host.node?.onClientRequest({ id, client, seq, op }));
    return abandon;
  }

  /**
   * Forwards a request to the leader, as Forwarding.forward, but reports a successful answer
   * only once this node has applied the entry the leader had applied when it answered, within
   * the same `timeoutMs`; if it cannot catch up in time the answer is reported as null (none
   * came), so the caller retries with the same seq and gets the same result again — or, at its
   * deadline, says the request timed out, as etcd does when its own apply is late.
   */
  forwardApplied(
    to: NodeId,
    client: string,
    seq: number,
    op: Json,
    timeoutMs: number,
    done: (reply: ClientReply | null) => void,
  ): () => void {
    const deadline = performance.now() + timeoutMs;
    let abandonWait: (() => void) | undefined;
    const abandonForward = this.forwarding.forward(to, client, seq, op, timeoutMs, (reply, at) => {
      if (reply === null || at === undefined) return done(reply);
      const left = Math.max(0, deadline - performance.now());
      abandonWait = this.appliedWaits.wait(at.index, at.term, left, (applied) =>
        done(applied ? reply : null),
      );
    });
    return () => {
      abandonForward();
      abandonWait?.();
    };
  }

  static async start(config: NodeConfig): Promise<RuntimeNode> {
    if (config.peers.has(config.id))
      throw new Error(`--peers must not list this node (${config.id})`);
    if (config.peers.size > 0 && config.secret === undefined) {
      throw new Error('peers authenticate with a cluster secret: pass --secret-file');
    }
    const sink = config.logLine ?? ((line: string) => process.stderr.write(line + '\n'));
    const log = (message: string, fields: Record<string, Json>): void =>
      sink(
        JSON.stringify({ t: new Date().toISOString(), node: config.id, msg: message, ...fields }),
      );
    // Filled in below; the callbacks that read these run only once everything is built.
    const ref: { self?: RuntimeNode; transport?: PeerTransport; clients?: ClientServer } = {};
    const factory = config.system.createNode({
      invariants: false,
      ...(config.mutant !== undefined ? { mutant: config.mutant } : {}),
      ...(config.params !== undefined ? { params: config.params } : {}),
    });
    const fatal = (error: Error): void => {
      log('node stopped on an error', { error: error.message });
      void ref.self?.stop();
      if (config.onFatal) config.onFatal(error);
      else process.exit(70);
    };
    if (config.initialState === 'existing' && !existsSync(join(config.dataDir, WAL_FILE))) {
      throw new MemberStateMissingError(config.id, config.dataDir);
    }
    // Before the log exists: a restore makes a new member (etcd/restore-seed.ts).
    const seed = seedFor(config.dataDir, config.fromSnapshot);
    const wal = WalStore.open(config.dataDir, {
      log,
      onFatal: fatal,
      ...(config.compactBytes !== undefined ? { compactBytes: config.compactBytes } : {}),
    });
    const cluster = clusterOrder([config.id, ...config.peers.keys()]);
    const host = new RuntimeEnv({
      id: config.id,
      cluster,
      seed: config.seed ?? randomInt(0, 2 ** 31),
      storage: wal,
      send: (to, msg) => ref.transport?.send(to, msg),
      reply: (id, reply) => ref.self?.routeReply(id, reply),
      log,
      fatal,
      afterStep: () => {
        ref.self?.appliedWaits.check();
        ref.self?.kafka?.afterStep();
      },
    });
    const transport = new PeerTransport({
      id: config.id,
      listen: config.listen,
      peers: config.peers,
      secret: config.secret ?? Buffer.alloc(0),
      // Runtime-level messages are checked by forwarding.ts; the protocol's, by its system.
      checkMessage: (msg) =>
        msg.type.startsWith('$') ? undefined : config.system.checkMessage?.(msg, cluster),
      onMessage: (from, msg) => {
        // Runtime-level messages ('$forward', …) never reach the protocol node.
        if (msg.type.startsWith('$')) ref.self?.forwarding.handle(from, msg);
        else host.guard(() => host.node?.onMessage(from, msg));
      },
      log,
    });
    ref.transport = transport;
    const clients =
      config.client === undefined
        ? undefined
        : new ClientServer({
            listen: config.client,
            onRequest: (request) => {
              if (isFrontEndOnlyOp(request.op)) {
                const error = 'operation only the etcd front end may send';
                return ref.self?.routeReply(request.id, { ok: false, error, definite: true });
              }
              host.guard(() => host.node?.onClientRequest(request));
            },
            allocateId: () => ref.self?.allocateRequestId() ?? 0,
            status: () => ref.self?.status() ?? null,
            log,
            ...(config.limits !== undefined ? { limits: config.limits } : {}),
          });
    ref.clients = clients;
    const self = new RuntimeNode(config, wal, host, transport, clients, log);
    ref.self = self;
    const node = factory(host.env);
    try {
      seed?.(node);
    } catch (e) {
      wal.close();
      throw e;
    }
    if (config.zookeeper !== undefined) {
      const { startZkPort } = await import('./zookeeper/replicated-port.js');
      self.zookeeper = startZkPort(node, {
        id: config.id,
        secret: config.secret,
        running: () => !host.isStopped,
        submit: (client, seq, op, onReply) => self.submitLocal(client, seq, op, onReply),
        guard: (fn) => host.guard(fn),
        log,
      });
    }
    if (config.kafka !== undefined) {
      const { startKafkaPort } = await import('./kafka/broker/replicated-port.js');
      self.kafka = startKafkaPort(
        node,
        {
          id: config.id,
          cluster,
          running: () => !host.isStopped,
          // The backend keeps replies past the node's step: it gets a copy.
          submit: (client, seq, op, onReply) =>
            self.submitLocal(client, seq, op, (reply) => onReply(copyJson(reply))),
          forward: (to, client, seq, op, timeoutMs, done) =>
            self.forwardApplied(to, client, seq, op, timeoutMs, done),
          guard: (fn) => host.guard(fn),
          log,
        },
        config.kafkaOptions,
      );
    }
    if (config.etcd !== undefined) {
      // Loaded only when asked for: gRPC costs every other command ~130 ms to load.
      const { EtcdServer } = await import('./etcd/server.js');
      self.etcd = new EtcdServer(
        {
          id: config.id,
          members: cluster,
          peerAddresses: config.peers,
          peerAddress: () => self.peerAddress,
          // Sessions reads the reply after the node's step (a promise resumes it), so it gets a
          // copy, which also refuses data that is not plain. (Forwarded replies arrive decoded.)
          submitLocal: (client, seq, op, onReply) =>
            self.submitLocal(client, seq, op, (reply) => onReply(copyJson(reply))),
          forward: (to, client, seq, op, timeoutMs, done) =>
            self.forwardApplied(to, client, seq, op, timeoutMs, done),
          node: () => host.node,
          inspect: () => {
            const v = host.node?.inspect();
            return typeof v === 'object' && v !== null && !Array.isArray(v)
              ? (v as Record<string, Json>)
              : null;
          },
          dbSize: () => wal.bytes,
          defragment: () => new Promise((done) => wal.defragment(done)),
          askPeers: (timeoutMs) => self.forwarding.ask([...config.peers.keys()], timeoutMs),
          log,
        },
        {
          ...config.etcdOptions,
          ...(config.limits !== undefined ? { limits: config.limits } : {}),
          listen: config.etcd,
        },
      );
    }
    try {
      self.peerAddress = await transport.start();
      if (clients !== undefined) self.clientAddress = await clients.start();
      if (self.etcd !== undefined) self.etcdAddress = await self.etcd.start();
      if (self.zookeeper !== undefined && config.zookeeper !== undefined) {
        self.zookeeperAddress = await self.zookeeper.listen(config.zookeeper);
      }
      if (self.kafka !== undefined && config.kafka !== undefined) {
        self.kafkaAddress = await self.kafka.listen(config.kafka);
      }
    } catch (e) {
      transport.close();
      clients?.close();
      self.etcd?.close();
      self.zookeeper?.close();
      self.kafka?.close();
      wal.close();
      throw e;
    }
    const recovered = wal.recovery.existed;
    log('node starting', {
      system: config.system.name,
      cluster,
      peer: `${self.peerAddress.host}:${self.peerAddress.port}`,
      client: self.clientAddress ? `${self.clientAddress.host}:${self.clientAddress.port}` : null,
      etcd: self.etcdAddress ? `${self.etcdAddress.host}:${self.etcdAddress.port}` : null,
      zookeeper: self.zookeeperAddress
        ? `${self.zookeeperAddress.host}:${self.zookeeperAddress.port}`
        : null,
      ...(self.kafkaAddress
        ? { kafka: `${self.kafkaAddress.host}:${self.kafkaAddress.port}` }
        : {}),
      recovered,
      walRecords: wal.recovery.records,
      tornBytes: wal.recovery.truncatedBytes,
    });
    host.guard(() => {
      host.node = node;
      node.start({ recovered });
    });
    return self;
  }

  status(): Json {
    const metrics: Record<string, Json> = {};
    for (const [k, m] of this.host.metrics) metrics[k] = { ...m };
    return {
      id: this.config.id,
      system: this.config.system.name,
      pid: process.pid,
      uptimeMs: Math.round(performance.now() - this.started),
      node: this.host.node?.inspect() ?? null,
      wal: {
        bytes: this.wal.bytes,
        fsyncs: this.wal.fsyncs,
        compactions: this.wal.compactions,
        unsynced: this.wal.unsyncedWrites,
        recoveredRecords: this.wal.recovery.records,
        tornBytes: this.wal.recovery.truncatedBytes,
      },
      peers: { ...this.transport.stats, queued: this.transport.queued() },
      clients: { requests: this.clients?.requests ?? 0, inFlight: this.clients?.inFlight ?? 0 },
      ...(this.etcd !== undefined
        ? {
            etcd: {
              address: this.etcdAddress
                ? `${this.etcdAddress.host}:${this.etcdAddress.port}`
                : null,
              ...this.etcd.stats,
              ...this.etcd.sessions.stats,
              slots: this.etcd.sessions.slots,
              slotsInUse: this.etcd.sessions.inUse,
              watchers: this.etcd.watches.watchers,
            },
          }
        : {}),
      ...(this.zookeeper !== undefined ? { zookeeper: this.zookeeper.status() } : {}),
      ...(this.kafka !== undefined ? { kafka: this.kafka.status() } : {}),
      forwarding: { ...this.forwarding.stats, appliedWaits: { ...this.appliedWaits.stats } },
      // Per port: open, accepted, refused (port or address cap), closed by timeouts.
      connections: {
        peer: { ...this.transport.gate.stats },
        ...(this.clients !== undefined ? { client: { ...this.clients.gate.stats } } : {}),
        ...(this.etcd?.port ? { etcd: { ...this.etcd.port.gate.stats } } : {}),
      },
      metrics,
    };
  }

  /** Stops the node: no more protocol steps, sockets closed, pending syncs finished. */
  stop(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.stopping = true;
    this.host.stop();
    this.etcd?.close();
    this.zookeeper?.close();
    this.kafka?.close();
    this.forwarding.close();
    this.appliedWaits.close();
    this.transport.close();
    this.clients?.close();
    this.logFn('node stopped', {});
    return new Promise((resolve) => this.wal.close(resolve));
  }
}

/** Runs a node until SIGTERM/SIGINT. Resolves once it has started. */
export async function runNodeProcess(config: NodeConfig): Promise<RuntimeNode> {
  const node = await RuntimeNode.start(config);
  const shutdown = (): void => {
    void node.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  return node;
}
