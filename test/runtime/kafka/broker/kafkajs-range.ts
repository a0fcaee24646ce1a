/**
 * Kafka's range assignor for kafkajs (which ships only round robin), computed by truthkit's own
 * rangeAssign, so a kafkajs group assigns as a Java consumer group with RangeAssignor would.
 */
import { createRequire } from 'node:module';
import { rangeAssign } from '../../../../src/systems/kafka/assignors.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const kafkajs = require('kafkajs') as any;

interface Cluster {
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
}

export function rangeAssigner({ cluster }: { cluster: Cluster }) {
  const { MemberMetadata, MemberAssignment } = kafkajs.AssignerProtocol;
  return {
    name: 'range',
    version: 0,
    async assign({
      members,
      topics,
    }: {
      members: { memberId: string; memberMetadata: Buffer }[];
      topics: string[];
    }) {
      const counts = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).length]));
      const subs = members.map((m) => ({
        memberId: m.memberId,
        topics: (MemberMetadata.decode(m.memberMetadata) as { topics: string[] }).topics,
      }));
      const plan = rangeAssign(counts, subs);
      return members.map((m) => {
        const mine: Record<string, number[]> = {};
        for (const tp of plan.get(m.memberId) ?? []) (mine[tp.topic] ??= []).push(tp.partition);
        return {
          memberId: m.memberId,
          memberAssignment: MemberAssignment.encode({ version: 0, assignment: mine }),
        };
      });
    },
    protocol({ topics }: { topics: string[] }) {
      return { name: 'range', metadata: MemberMetadata.encode({ version: 0, topics }) };
    },
  };
}
