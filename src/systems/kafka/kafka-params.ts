/**
 * The kafka system's parameters (`truthkit sim kafka --param name=value`), checked: a bad value
 * is a one-line usage error naming it. Times are the simulator's scale (Raft's election timeout
 * is 150–300 ms here, not etcd's seconds), so Kafka's defaults are scaled down alike.
 */
export const KAFKA_PARAMS = [
  {
    name: 'unclean',
    description:
      "'off' (default): leaders come from the ISR only; 'on': unclean.leader.election.enable " +
      '(a live out-of-ISR replica may lead when no ISR member is alive; loses data)',
  },
  { name: 'min-isr', description: 'min.insync.replicas for acks=all (default 2)' },
  { name: 'lag-time', description: 'replica.lag.time.max.ms, sim-scaled (default 400)' },
  {
    name: 'session-timeout',
    description: 'broker.session.timeout.ms: ms without heartbeats before fencing (default 500)',
  },
  {
    name: 'replication-factor',
    description: 'replicas per partition (default 3, at most the number of nodes)',
  },
  {
    name: 'fetch-idle',
    description:
      'ms a caught-up follower waits before its next fetch when it does not long-poll (default 20)',
  },
  {
    name: 'fetch-wait',
    description:
      'replica.fetch.wait.max.ms: ms a leader may hold a follower fetch it has nothing for, ' +
      'answering it as soon as it appends (default 0: no long poll; below lag-time)',
  },
  {
    name: 'delete-topic',
    description:
      "'on': clients also delete topic t now and then (0.5 % of ops; the controller creates it " +
      "anew, with a new topic id); 'off' (default)",
  },
] as const;

export interface KafkaParams {
  readonly unclean: boolean;
  readonly minIsr: number;
  readonly lagTimeMs: number;
  readonly sessionTimeoutMs: number;
  /** Partitions of topic `t`: fixed, as the workload's clients know it. */
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly fetchIdleMs: number;
  readonly fetchWaitMs: number;
  /** The workload deletes topic `t` now and then. */
  readonly deleteTopic: boolean;
}

export const DEFAULT_KAFKA_PARAMS: KafkaParams = {
  unclean: false,
  minIsr: 2,
  lagTimeMs: 400,
  sessionTimeoutMs: 500,
  partitions: 3,
  replicationFactor: 3,
  fetchIdleMs: 20,
  fetchWaitMs: 0,
  deleteTopic: false,
};

function whole(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`--param ${name} wants a whole number from ${min} to ${max}`);
  }
  return n;
}

export function kafkaParamsFrom(
  params: Readonly<Record<string, string>>,
  nodes?: number,
): KafkaParams {
  let p: KafkaParams = DEFAULT_KAFKA_PARAMS;
  for (const [name, v] of Object.entries(params)) {
    switch (name) {
      case 'unclean':
        if (v !== 'on' && v !== 'off') throw new Error("--param unclean wants 'on' or 'off'");
        p = { ...p, unclean: v === 'on' };
        break;
      case 'min-isr':
        p = { ...p, minIsr: whole(name, v, 1, 16) };
        break;
      case 'lag-time':
        p = { ...p, lagTimeMs: whole(name, v, 1, 3_600_000) };
        break;
      case 'session-timeout':
        p = { ...p, sessionTimeoutMs: whole(name, v, 1, 3_600_000) };
        break;
      case 'replication-factor':
        p = { ...p, replicationFactor: whole(name, v, 1, 16) };
        break;
      case 'delete-topic':
        if (v !== 'on' && v !== 'off') throw new Error("--param delete-topic wants 'on' or 'off'");
        p = { ...p, deleteTopic: v === 'on' };
        break;
      case 'fetch-idle':
        p = { ...p, fetchIdleMs: whole(name, v, 1, 60_000) };
        break;
      case 'fetch-wait':
        p = { ...p, fetchWaitMs: whole(name, v, 0, 60_000) };
        break;
      default:
        throw new Error(`kafka has no parameter '${name}'`);
    }
  }
  // A caught-up follower's held fetch would otherwise outlast the lag time, and the leader
  // would drop it from the ISR while it waits (Kafka asks the same of its settings).
  if (p.fetchWaitMs >= p.lagTimeMs) {
    throw new Error(
      `--param fetch-wait=${p.fetchWaitMs} must be below lag-time (${p.lagTimeMs} ms)`,
    );
  }
  if (nodes !== undefined && p.replicationFactor > nodes) {
    if ('replication-factor' in params) {
      throw new Error(
        `--param replication-factor=${p.replicationFactor} exceeds the ${nodes} nodes`,
      );
    }
    p = { ...p, replicationFactor: nodes };
  }
  return p;
}
