/**
 * The Kafka port of a node that runs the kafka system (`truthkit node --kafka`): the wire front
 * end (server.ts) over the replicated backend on this node (replicated-backend.ts). The port
 * listens before the node starts, so the node's first heartbeats carry its Kafka address into its
 * registration record.
 */
import type { Json } from '../../../core/json.js';
import type { ProtocolNode } from '../../../core/node.js';
import { KafkaNode } from '../../../systems/kafka/kafka-node.js';
import type { Address } from '../../listen.js';
import { ReplicatedKafkaBackend, type ReplicatedBackendOptions } from './replicated-backend.js';
import type { ReplicatedKafkaHost } from './replicated-host.js';
import { DEFAULT_MAX_QUEUED, KafkaPort } from './server.js';

export interface KafkaNodePort {
  readonly backend: ReplicatedKafkaBackend;
  listen(at: Address): Promise<Address>;
  /** Called after every step of the node. */
  afterStep(): void;
  status(): Json;
  close(): void;
}

/** A system whose nodes are not kafka nodes has no Kafka port to give. */
export class NotKafkaError extends Error {
  readonly code = 'not-kafka';
  constructor() {
    super('--kafka needs the kafka system: its node is not a kafka node');
    this.name = 'NotKafkaError';
  }
}

export function startKafkaPort(
  node: ProtocolNode,
  host: Omit<ReplicatedKafkaHost, 'node'>,
  options: ReplicatedBackendOptions = {},
): KafkaNodePort {
  if (!(node instanceof KafkaNode)) throw new NotKafkaError();
  const backend = new ReplicatedKafkaBackend({ ...host, node }, options);
  let front: KafkaPort | undefined;
  return {
    backend,
    listen: async (at) => {
      if (front !== undefined) throw new Error('the kafka port is already listening');
      front = new KafkaPort({
        backend,
        listen: at,
        // Every request read is handled at once (reading stops at maxQueued): the backend acts
        // on a produce in arrival order before its first wait, and responses keep that order.
        maxInFlight: DEFAULT_MAX_QUEUED,
        log: (m, f) => host.log(m, f),
      });
      const address = await front.start();
      node.advertise(`${address.host}:${address.port}`);
      return address;
    },
    afterStep: () => backend.afterStep(),
    status: () => ({
      address: front?.address ? `${front.address.host}:${front.address.port}` : null,
      connections: front?.connectionCount ?? 0,
      requests: front?.stats.requests ?? 0,
      coordinator: backend.groups.leads(),
    }),
    close: () => {
      void front?.close(0).then(() => backend.close());
    },
  };
}
