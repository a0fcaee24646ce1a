/** Every system truthkit can run, by name. */
import type { SystemDefinition } from '../core/system.js';
import { echoSystem } from './reference/echo.js';
import { kvAsyncSystem } from './reference/kv-async.js';
import { kvSingleSystem } from './reference/kv-single.js';
import { twoPcReplicatedSystem, twoPcSystem } from './twopc/twopc.js';
import { paxosCommitSystem } from './twopc/paxos-commit.js';
import { nakamotoSystem } from './chain/nakamoto.js';
import { kvRaftSystem } from './kv/kv-raft.js';
import { etcdRaftSystem } from './etcd/etcd-raft.js';
import { kvPaxosSystem } from './paxos/kv-paxos.js';
import { paxosSystem } from './paxos/paxos.js';
import { pbftSystem } from './pbft/pbft.js';
import { kvZabSystem } from './zab/kv-zab.js';
import { zookeeperSystem } from './zookeeper/zookeeper.js';
import { kafkaSystem } from './kafka/kafka.js';
import { cockroachSystem, spannerSystem } from './txndb/txndb.js';
import { dynamoSystem } from './dynamo/dynamo.js';
import { ethereumSystem } from './ethereum/ethereum.js';

const SYSTEMS: readonly SystemDefinition[] = [
  echoSystem,
  kvSingleSystem,
  kvAsyncSystem,
  paxosSystem,
  kvPaxosSystem,
  twoPcSystem,
  twoPcReplicatedSystem,
  paxosCommitSystem,
  kvRaftSystem,
  etcdRaftSystem,
  nakamotoSystem,
  pbftSystem,
  kvZabSystem,
  zookeeperSystem,
  kafkaSystem,
  spannerSystem,
  cockroachSystem,
  dynamoSystem,
  ethereumSystem,
];

export function systems(): readonly SystemDefinition[] {
  return SYSTEMS;
}

export function getSystem(name: string): SystemDefinition | undefined {
  return SYSTEMS.find((s) => s.name === name);
}
