/**
 * `kafka`: a replicated log with Kafka's semantics, every node both a KRaft controller-quorum
 * voter and a broker (kafka-node.ts). Metadata — brokers, fencing, the topic `t` and its
 * partitions' leaders, epochs and ISRs, committed offsets — is a Raft log applied by every node
 * (metadata-machine.ts); data is replicated per partition by Kafka's ISR protocol
 * (src/protocols/isr). Clients produce with acks=all, poll, commit and seek (kafka-workload.ts);
 * the judge is Jepsen's Kafka analysis (log-judge.ts); after every step the ISR recorder and
 * Raft's must hold, and no leader's HW may pass the log end of an ISR member following it.
 */
import type { Json } from '../../core/json.js';
import type { Message, NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import { InvariantRecorder } from '../../protocols/raft/invariants.js';
import { IsrRecorder } from '../../protocols/isr/invariants.js';
import { ISR_MUTANTS, isrMutantsFor } from '../../protocols/isr/mutants.js';
import { KafkaNode } from './kafka-node.js';
import { DEFAULT_KAFKA_PARAMS, KAFKA_PARAMS, kafkaParamsFrom } from './kafka-params.js';
import { nextKafkaOp } from './kafka-workload.js';
import { hwProblem } from './hw-invariant.js';
import { judgeKafka } from './log-judge.js';
import { kafkaMessageProblem } from './kafka-messages.js';
import { kafkaLabViews } from './kafka-lab-views.js';

const TOPIC = 't';

const UNCLEAN_ELECTION = {
  name: 'unclean-election',
  description: 'the controller may elect a live out-of-ISR replica when no ISR member is alive',
} as const;

const KEEP_DATA_ON_DELETE = {
  name: 'keep-data-on-delete',
  description: "replicas of a deleted topic's partitions keep their stored data",
} as const;

const REUSE_PARTITION_NAMES = {
  name: 'reuse-partition-names',
  description:
    "a topic created under a deleted topic's name gets its partition names (no new topic id in them)",
} as const;

/** Mutants of the kafka system itself, not of the ISR protocol. */
const SYSTEM_MUTANTS: readonly string[] = [
  UNCLEAN_ELECTION.name,
  KEEP_DATA_ON_DELETE.name,
  REUSE_PARTITION_NAMES.name,
];

export const kafkaSystem: SystemDefinition = {
  name: 'kafka',
  description:
    "Kafka's replicated log: KRaft metadata on Raft, ISR replication with leader epochs, " +
    'acks=all with min.insync.replicas, consumers committing offsets',
  workload: 'custom',
  mutants: [...ISR_MUTANTS, UNCLEAN_ELECTION, KEEP_DATA_ON_DELETE, REUSE_PARTITION_NAMES],
  defaultNodes: 3,
  minNodes: 1,
  kafkaApi: true,
  params: KAFKA_PARAMS,
  labViews: kafkaLabViews,
  createNode(options) {
    const params = kafkaParamsFrom(options.params ?? {}, options.cluster?.length);
    const mutant =
      options.mutant !== undefined && SYSTEM_MUTANTS.includes(options.mutant)
        ? undefined
        : options.mutant;
    const mutants = isrMutantsFor(mutant);
    const recorders =
      options.invariants !== false
        ? { raft: new InvariantRecorder(), isr: new IsrRecorder() }
        : undefined;
    return (env) =>
      new KafkaNode(env as NodeEnv<Message>, {
        raft: recorders !== undefined ? { recorder: recorders.raft } : {},
        replicas: {
          minIsr: params.minIsr,
          lagTimeMs: params.lagTimeMs,
          fetchIdleMs: params.fetchIdleMs,
          fetchWaitMs: params.fetchWaitMs,
          fetchTimeoutMs: 200,
          maxFetchBatches: 32,
          mutants,
          ...(recorders !== undefined ? { recorder: recorders.isr } : {}),
        },
        controller: {
          sessionTimeoutMs: params.sessionTimeoutMs,
          topic: TOPIC,
          partitions: params.partitions,
          replicationFactor: Math.min(params.replicationFactor, env.cluster.length),
        },
        unclean: params.unclean || options.mutant === UNCLEAN_ELECTION.name,
        keepDataOnDelete: options.mutant === KEEP_DATA_ON_DELETE.name,
        reusePartitionNames: options.mutant === REUSE_PARTITION_NAMES.name,
      });
  },
  nextOp: (random, process, issued, lastOk): Json =>
    nextKafkaOp(random, process, issued, lastOk, TOPIC, DEFAULT_KAFKA_PARAMS.partitions),
  configure(params) {
    if (!kafkaParamsFrom(params).deleteTopic) return undefined;
    const { configure: _configure, ...rest } = kafkaSystem;
    return {
      ...rest,
      nextOp: (random, process, issued, lastOk): Json =>
        nextKafkaOp(random, process, issued, lastOk, TOPIC, DEFAULT_KAFKA_PARAMS.partitions, true),
    };
  },
  judge: (history, _cluster, nodes) => {
    // Checked once, on the nodes the run leaves (each step's storage scan would cost too much).
    for (const [id, node] of nodes) {
      const left = node instanceof KafkaNode ? node.leftoverOfDeleted() : undefined;
      if (left !== undefined) {
        return {
          verdict: 'invalid',
          message: `deleted data kept: ${id} still stores partition ${left} of a deleted topic`,
        };
      }
    }
    return judgeKafka(history);
  },
  // Some seeds delete and re-create the topic, so the deletion rules meet faults unaided.
  swarmParams: (random): Readonly<Record<string, string>> =>
    random.chance(0.25) ? { 'delete-topic': 'on' } : {},
  checkMessage: kafkaMessageProblem,
  checkInvariants(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined {
    for (const node of nodes.values()) {
      if (!(node instanceof KafkaNode)) continue;
      const v = node.raft.recorder?.violation ?? node.replicas.recorder?.violation;
      if (v !== undefined) return v;
    }
    return hwProblem(nodes);
  },
};
