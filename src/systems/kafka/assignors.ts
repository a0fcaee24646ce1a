/**
 * The consumer-side partition assignors a group's leader runs after JoinGroup: Kafka's `range`
 * (RangeAssignor) and `roundrobin` (RoundRobinAssignor), assigning as Kafka's do so a truthkit
 * consumer and a Java one in the same group would agree. Orders are fixed: members by id, topics
 * by name, partitions by number. Topics nobody's metadata knows (no partition count) are skipped,
 * as Kafka skips them.
 *
 * range: per topic on its own, the members subscribed to it, sorted, each take a contiguous run
 * of partitions; the first (partitions mod members) take one extra. Balanced within one per topic;
 * across topics the first members get the extras every time (Kafka's known skew).
 *
 * roundrobin: every partition of every subscribed topic, sorted, dealt in turn to the sorted
 * members, skipping a member not subscribed to the partition's topic. Balanced within one
 * overall when every member has the same subscription.
 */
export interface Subscription {
  readonly memberId: string;
  readonly topics: readonly string[];
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Deliberately broken assignors, one rule removed each, that assignors.test.ts must catch. */
export const ASSIGNOR_MUTANTS = [
  /** range forgets the remainder: partitions mod members go to nobody. */
  'range-drop-remainder',
  /** roundrobin deals to the next member whether or not it subscribed to the topic. */
  'roundrobin-ignore-subscription',
] as const;
export type AssignorMutant = (typeof ASSIGNOR_MUTANTS)[number];

export type AssignorName = 'range' | 'roundrobin';
export const ASSIGNOR_NAMES: readonly AssignorName[] = ['range', 'roundrobin'];

/** Partition counts per topic. */
export type PartitionCounts = ReadonlyMap<string, number>;

/** memberId → its partitions, in assignment order; every member present, possibly with none. */
export type Assignment = Map<string, TopicPartition[]>;

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function emptyAssignment(subscriptions: readonly Subscription[]): Assignment {
  const ids = subscriptions.map((s) => s.memberId).sort(byString);
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] === ids[i - 1]) throw new Error(`assignor: member ${ids[i]} subscribed twice`);
  }
  return new Map(ids.map((id) => [id, []]));
}

function countOf(counts: PartitionCounts, topic: string): number | undefined {
  const n = counts.get(topic);
  if (n === undefined) return undefined;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`assignor: topic ${topic} has partition count ${String(n)}`);
  }
  return n;
}

export function rangeAssign(
  counts: PartitionCounts,
  subscriptions: readonly Subscription[],
  mutant?: AssignorMutant,
): Assignment {
  const assignment = emptyAssignment(subscriptions);
  const topics = [...new Set(subscriptions.flatMap((s) => s.topics))].sort(byString);
  for (const topic of topics) {
    const n = countOf(counts, topic);
    if (n === undefined) continue;
    const members = subscriptions
      .filter((s) => s.topics.includes(topic))
      .map((s) => s.memberId)
      .sort(byString);
    const per = Math.floor(n / members.length);
    const extra = mutant === 'range-drop-remainder' ? 0 : n % members.length;
    members.forEach((memberId, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      const mine = assignment.get(memberId);
      if (mine === undefined) throw new Error('unreachable: member missing from assignment');
      for (let p = start; p < start + length; p++) mine.push({ topic, partition: p });
    });
  }
  return assignment;
}

export function roundRobinAssign(
  counts: PartitionCounts,
  subscriptions: readonly Subscription[],
  mutant?: AssignorMutant,
): Assignment {
  const assignment = emptyAssignment(subscriptions);
  const members = [...subscriptions].sort((a, b) => byString(a.memberId, b.memberId));
  const topics = [...new Set(subscriptions.flatMap((s) => s.topics))].sort(byString);
  let next = 0;
  for (const topic of topics) {
    const n = countOf(counts, topic);
    if (n === undefined) continue;
    for (let partition = 0; partition < n; partition++) {
      // Some member subscribes to every topic in `topics`, so this finds one within a lap.
      let member = members[next % members.length];
      if (mutant !== 'roundrobin-ignore-subscription') {
        while (member !== undefined && !member.topics.includes(topic)) {
          next += 1;
          member = members[next % members.length];
        }
      }
      if (member === undefined) throw new Error('unreachable: no member to deal to');
      assignment.get(member.memberId)?.push({ topic, partition });
      next += 1;
    }
  }
  return assignment;
}

export function assign(
  name: AssignorName,
  counts: PartitionCounts,
  subscriptions: readonly Subscription[],
  mutant?: AssignorMutant,
): Assignment {
  return name === 'range'
    ? rangeAssign(counts, subscriptions, mutant)
    : roundRobinAssign(counts, subscriptions, mutant);
}
