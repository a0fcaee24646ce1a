/**
 * The ZooKeeper client port of a node that runs the zookeeper system (`truthkit node --zk`): the
 * wire front end (server.ts) over the replicated backend on this node (replicated-backend.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Json } from '../../core/json.js';
import type { ClientReply, ProtocolNode } from '../../core/node.js';
import { ZkServer as ZkNode } from '../../systems/zookeeper/zk-server.js';
import type { Address } from '../listen.js';
import { ReplicatedBackend, type ReplicatedBackendOptions } from './replicated-backend.js';
import { ZkServer } from './server.js';

export interface ZkPortHost {
  readonly id: string;
  /** The cluster secret; a single node without one derives passwords from a key of its own. */
  readonly secret: Buffer | undefined;
  running(): boolean;
  submit(client: string, seq: number, op: Json, onReply: (reply: ClientReply) => void): () => void;
  guard(fn: () => void): void;
  log(message: string, fields: Record<string, Json>): void;
}

export interface ZkPort {
  listen(at: Address): Promise<Address>;
  status(): Json;
  close(): void;
}

/** A system whose nodes are not zookeeper servers has no ZooKeeper port to give. */
export class NotZookeeperError extends Error {
  readonly code = 'not-zookeeper';
  constructor() {
    super('--zk needs the zookeeper system: its node is not a zookeeper server');
    this.name = 'NotZookeeperError';
  }
}

export function startZkPort(
  node: ProtocolNode,
  host: ZkPortHost,
  options: ReplicatedBackendOptions = {},
): ZkPort {
  if (!(node instanceof ZkNode)) throw new NotZookeeperError();
  // Without a cluster secret (one node, no peers) its sessions do not outlive the process's key:
  // a client resuming after a restart is told its session expired.
  const secret = host.secret ?? randomBytes(32);
  const backend = new ReplicatedBackend(
    {
      id: host.id,
      server: node,
      running: () => host.running(),
      submit: (client, seq, op, onReply) => host.submit(client, seq, op, onReply),
      guard: (fn) => host.guard(fn),
      secret,
    },
    options,
  );
  let front: ZkServer | undefined;
  return {
    listen: (at) => {
      if (front !== undefined) throw new Error('the zookeeper port is already listening');
      front = new ZkServer({ backend, listen: at, log: (m, f) => host.log(m, f) });
      return front.start();
    },
    status: () => ({
      address: front?.address ? `${front.address.host}:${front.address.port}` : null,
      connections: front?.connectionCount ?? 0,
      serving: backend.serving(),
      lastZxid: Number(backend.lastZxid()),
    }),
    close: () => {
      backend.close();
      void front?.close();
    },
  };
}
