/**
 * Committed offsets per group, per (topic, partition): what OffsetCommit stores and OffsetFetch
 * reads. A group's offsets outlive its members (an Empty group keeps them) and go only when the
 * group is deleted.
 */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
}

function partitionKey(topic: string, partition: number): string {
  return JSON.stringify([topic, partition]);
}

function byTopicThenPartition(a: CommittedOffset, b: CommittedOffset): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

export class GroupOffsets {
  private readonly byGroup = new Map<string, Map<string, CommittedOffset>>();

  hasAny(groupId: string): boolean {
    return (this.byGroup.get(groupId)?.size ?? 0) > 0;
  }

  put(groupId: string, committed: CommittedOffset): void {
    let offsets = this.byGroup.get(groupId);
    if (offsets === undefined) {
      offsets = new Map();
      this.byGroup.set(groupId, offsets);
    }
    offsets.set(partitionKey(committed.topic, committed.partition), committed);
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(groupId)?.get(partitionKey(topic, partition));
  }

  remove(groupId: string, topic: string, partition: number): void {
    const offsets = this.byGroup.get(groupId);
    if (offsets === undefined) return;
    offsets.delete(partitionKey(topic, partition));
    if (offsets.size === 0) this.byGroup.delete(groupId);
  }

  /** The group's offsets, sorted by topic then partition. */
  all(groupId: string): CommittedOffset[] {
    return [...(this.byGroup.get(groupId)?.values() ?? [])].sort(byTopicThenPartition);
  }

  /** Forgets the group's offsets and returns what it had. */
  removeGroup(groupId: string): CommittedOffset[] {
    const had = this.all(groupId);
    this.byGroup.delete(groupId);
    return had;
  }
}
