/**
 * Kafka's classic group coordinator (JoinGroup / SyncGroup / Heartbeat / LeaveGroup, offsets,
 * DescribeGroups / ListGroups / DeleteGroups) as a pure state machine. It keeps no clock and no
 * timers: every call takes `now` (ms) from its caller, and `nextDeadline()` says when the caller
 * should call `tick(now)` next. JoinGroup and SyncGroup answers may be deferred — the caller holds
 * the request and sends its answer when an outcome of a later call (or tick) carries an event with
 * that request's id. See group-types.ts for the persist-then-answer contract.
 *
 * Rules, as Apache Kafka's GroupCoordinator: a group goes Empty → PreparingRebalance →
 * CompletingRebalance → Stable (deleted groups are Dead, i.e. gone). A rebalance completes when
 * every member has rejoined or the rebalance timeout passes (members that did not rejoin are
 * dropped); the generation then goes up by one, the group's protocol is chosen by vote among those
 * every member supports, and the leader (the first member to join, or the next one if it left)
 * gets every member's metadata. Followers' SyncGroup waits for the leader's; the leader's
 * assignments are persisted, then everyone is answered and the group is Stable. A member silent
 * for its session timeout is dropped and the others are told (REBALANCE_IN_PROGRESS) to rejoin.
 */
import type { Json } from '../../core/json.js';
import { GROUP_ERR, requireInt } from './group-errors.js';
import { metadataFor } from './group-members.js';
import { GROUP_MUTANTS, type GroupMutant } from './group-mutants.js';
import { GroupOffsets } from './group-offsets.js';
import { OutcomeBuilder, joinError, syncAnswer, syncError } from './group-outcome.js';
import { groupRecord, type GroupRecord, type OffsetRecord } from './group-records.js';
import { Rebalancer } from './group-rebalance.js';
import { newGroup, type Group } from './group-state.js';
import type {
  DescribedGroup,
  GroupOutcome,
  GroupStateName,
  HeartbeatRequest,
  JoinGroupRequest,
  LeaveGroupRequest,
  ListedGroup,
  OffsetCommitRequest,
  OffsetFetchRequest,
  OffsetFetchResponse,
  SyncGroupRequest,
} from './group-types.js';

export { GROUP_MUTANTS, type GroupMutant };

export interface GroupCoordinatorOptions {
  /** group.min.session.timeout.ms (Kafka: 6000). */
  readonly minSessionTimeoutMs?: number;
  /** group.max.session.timeout.ms (Kafka: 1800000). */
  readonly maxSessionTimeoutMs?: number;
  /** group.initial.rebalance.delay.ms (Kafka: 3000). */
  readonly initialRebalanceDelayMs?: number;
  /** offset.metadata.max.bytes (Kafka: 4096), counted here in string length. */
  readonly maxMetadataSize?: number;
  /** Part of every member id this coordinator hands out. Kafka uses a random UUID; a caller
   * that may restart gives each coordinator incarnation its own tag (e.g. broker id and
   * coordinator epoch) so a new incarnation never hands out an id an old one did. */
  readonly memberIdTag?: string;
  readonly mutant?: GroupMutant;
}

export class GroupOptionError extends Error {
  readonly code = 'bad-group-option';
  constructor(message: string) {
    super(message);
    this.name = 'GroupOptionError';
  }
}

function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new GroupOptionError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
  return v;
}

/** What a group looks like now, for tests, judges and the lab. */
export interface GroupView {
  readonly groupId: string;
  readonly state: GroupStateName;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  readonly members: readonly {
    readonly memberId: string;
    readonly assignment: string;
    readonly awaitingJoin: boolean;
    readonly awaitingSync: boolean;
  }[];
  readonly pendingMemberIds: readonly string[];
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly offsets = new GroupOffsets();
  private readonly minSession: number;
  private readonly maxSession: number;
  private readonly initialDelay: number;
  private readonly maxMetadata: number;
  private readonly tag: string;
  private readonly mutant: GroupMutant | undefined;
  private readonly rules: Rebalancer;
  private memberCounter = 0;

  constructor(options: GroupCoordinatorOptions = {}) {
    this.minSession = nonNegativeInt('minSessionTimeoutMs', options.minSessionTimeoutMs, 6000);
    this.maxSession = nonNegativeInt('maxSessionTimeoutMs', options.maxSessionTimeoutMs, 1_800_000);
    if (this.maxSession < this.minSession) {
      throw new GroupOptionError('maxSessionTimeoutMs must be at least minSessionTimeoutMs');
    }
    this.initialDelay = nonNegativeInt(
      'initialRebalanceDelayMs',
      options.initialRebalanceDelayMs,
      3000,
    );
    this.maxMetadata = nonNegativeInt('maxMetadataSize', options.maxMetadataSize, 4096);
    this.tag = options.memberIdTag ?? 'm';
    if (options.mutant !== undefined && !GROUP_MUTANTS.includes(options.mutant)) {
      throw new GroupOptionError(`unknown group coordinator mutant ${String(options.mutant)}`);
    }
    this.mutant = options.mutant;
    this.rules = new Rebalancer(this.initialDelay, this.mutant);
  }

  // ---- JoinGroup ----------------------------------------------------------------------------

  joinGroup(req: JoinGroupRequest, now: number): GroupOutcome {
    requireInt('sessionTimeoutMs', req.sessionTimeoutMs, 0);
    requireInt('rebalanceTimeoutMs', req.rebalanceTimeoutMs, 0);
    const out = new OutcomeBuilder();
    let group = this.groups.get(req.groupId);
    const fail = (memberId: string, code: number): GroupOutcome => {
      if (group !== undefined) this.forgetIfUnused(group);
      out.answer(req.requestId, memberId, joinError(memberId, code));
      return out.done();
    };
    if (req.groupId === '') return fail(req.memberId, GROUP_ERR.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.minSession || req.sessionTimeoutMs > this.maxSession) {
      return fail(req.memberId, GROUP_ERR.INVALID_SESSION_TIMEOUT);
    }
    const isNewMember = req.memberId === '';
    if (group === undefined) {
      if (!isNewMember) return fail(req.memberId, GROUP_ERR.UNKNOWN_MEMBER_ID);
      group = newGroup(req.groupId);
      this.groups.set(req.groupId, group);
    }
    this.rules.advance(group, now, out);
    if (!this.rules.supportsProtocols(group, req.memberId, req.protocolType, req.protocols)) {
      return fail(req.memberId, GROUP_ERR.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (isNewMember) {
      const memberId = this.newMemberId(group, req.clientId);
      if (req.requireKnownMemberId) {
        group.pending.set(memberId, now + req.sessionTimeoutMs);
        out.answer(req.requestId, memberId, joinError(memberId, GROUP_ERR.MEMBER_ID_REQUIRED));
      } else {
        this.rules.addMemberAndRebalance(group, memberId, req, now, out);
      }
    } else if (group.pending.has(req.memberId)) {
      this.rules.addMemberAndRebalance(group, req.memberId, req, now, out);
    } else {
      const member = group.members.get(req.memberId);
      if (member === undefined) return fail(req.memberId, GROUP_ERR.UNKNOWN_MEMBER_ID);
      this.rules.knownMemberJoin(group, member, req, now, out);
    }
    this.rules.advance(group, now, out);
    return out.done();
  }

  private newMemberId(group: Group, clientId: string): string {
    for (;;) {
      this.memberCounter += 1;
      const id = `${clientId}-${this.tag}${this.memberCounter}`;
      if (!group.members.has(id) && !group.pending.has(id)) return id;
    }
  }

  // ---- SyncGroup ----------------------------------------------------------------------------

  syncGroup(req: SyncGroupRequest, now: number): GroupOutcome {
    requireInt('generationId', req.generationId);
    const out = new OutcomeBuilder();
    const group = this.groups.get(req.groupId);
    const fail = (code: number): GroupOutcome => {
      out.answer(req.requestId, req.memberId, syncError(code));
      return out.done();
    };
    if (req.groupId === '') return fail(GROUP_ERR.INVALID_GROUP_ID);
    if (group === undefined) return fail(GROUP_ERR.UNKNOWN_MEMBER_ID);
    this.rules.advance(group, now, out);
    const member = group.members.get(req.memberId);
    if (member === undefined) return fail(GROUP_ERR.UNKNOWN_MEMBER_ID);
    if (req.generationId !== group.generationId) return fail(GROUP_ERR.ILLEGAL_GENERATION);
    if (
      (req.protocolType !== null && req.protocolType !== group.protocolType) ||
      (req.protocolName !== null && req.protocolName !== group.protocolName)
    ) {
      return fail(GROUP_ERR.INCONSISTENT_GROUP_PROTOCOL);
    }
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return fail(GROUP_ERR.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return fail(GROUP_ERR.REBALANCE_IN_PROGRESS);
      case 'Stable':
        group.pendingSync.delete(member.memberId);
        member.lastHeartbeat = now;
        out.answer(
          req.requestId,
          member.memberId,
          syncAnswer(group, GROUP_ERR.NONE, member.assignment),
        );
        return out.done();
      case 'CompletingRebalance':
        break;
    }
    group.pendingSync.delete(member.memberId);
    if (member.heldSync !== null) {
      out.answer(
        member.heldSync,
        member.memberId,
        syncAnswer(group, GROUP_ERR.REBALANCE_IN_PROGRESS, ''),
      );
    }
    member.heldSync = req.requestId;
    if (group.leaderId !== member.memberId) {
      if (this.mutant === 'sync-before-leader') {
        out.answer(
          req.requestId,
          member.memberId,
          syncAnswer(group, GROUP_ERR.NONE, member.assignment),
        );
        member.heldSync = null;
      }
      return out.done();
    }
    const given = new Map<string, string>();
    for (const a of req.assignments) given.set(a.memberId, a.assignment);
    for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? '';
    group.state = 'Stable';
    out.records.push(groupRecord(group));
    for (const m of group.members.values()) {
      if (m.heldSync === null) continue;
      out.answer(m.heldSync, m.memberId, syncAnswer(group, GROUP_ERR.NONE, m.assignment));
      m.heldSync = null;
      m.lastHeartbeat = now;
    }
    return out.done();
  }

  // ---- Heartbeat, LeaveGroup ----------------------------------------------------------------

  heartbeat(req: HeartbeatRequest, now: number): GroupOutcome {
    requireInt('generationId', req.generationId);
    const out = new OutcomeBuilder();
    const answer = (errorCode: number): GroupOutcome => {
      out.answer(req.requestId, req.memberId, { api: 'Heartbeat', errorCode });
      return out.done();
    };
    if (req.groupId === '') return answer(GROUP_ERR.INVALID_GROUP_ID);
    const group = this.groups.get(req.groupId);
    if (group === undefined) return answer(GROUP_ERR.UNKNOWN_MEMBER_ID);
    this.rules.advance(group, now, out);
    const member = group.members.get(req.memberId);
    if (member === undefined) return answer(GROUP_ERR.UNKNOWN_MEMBER_ID);
    if (req.generationId !== group.generationId) return answer(GROUP_ERR.ILLEGAL_GENERATION);
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return answer(GROUP_ERR.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        member.lastHeartbeat = now;
        return answer(GROUP_ERR.REBALANCE_IN_PROGRESS);
      case 'CompletingRebalance':
      case 'Stable':
        member.lastHeartbeat = now;
        return answer(GROUP_ERR.NONE);
    }
  }

  leaveGroup(req: LeaveGroupRequest, now: number): GroupOutcome {
    const out = new OutcomeBuilder();
    const answer = (errorCode: number, members: { memberId: string; errorCode: number }[]) => {
      out.answer(req.requestId, req.memberIds.length === 1 ? (req.memberIds[0] ?? '') : '', {
        api: 'LeaveGroup',
        errorCode,
        members,
      });
      return out.done();
    };
    if (req.groupId === '') return answer(GROUP_ERR.INVALID_GROUP_ID, []);
    const group = this.groups.get(req.groupId);
    if (group === undefined) {
      return answer(
        GROUP_ERR.NONE,
        req.memberIds.map((memberId) => ({ memberId, errorCode: GROUP_ERR.UNKNOWN_MEMBER_ID })),
      );
    }
    this.rules.advance(group, now, out);
    const results = req.memberIds.map((memberId) => {
      if (group.pending.delete(memberId)) return { memberId, errorCode: GROUP_ERR.NONE };
      const member = group.members.get(memberId);
      if (member === undefined) return { memberId, errorCode: GROUP_ERR.UNKNOWN_MEMBER_ID };
      this.rules.removeMember(group, member, now, out);
      return { memberId, errorCode: GROUP_ERR.NONE };
    });
    this.rules.advance(group, now, out);
    return answer(GROUP_ERR.NONE, results);
  }

  // ---- Offsets ------------------------------------------------------------------------------

  commitOffsets(req: OffsetCommitRequest, now: number): GroupOutcome {
    requireInt('generationId', req.generationId);
    for (const t of req.topics) {
      for (const p of t.partitions) {
        requireInt('partition', p.partition, 0);
        requireInt('offset', p.offset);
        requireInt('leaderEpoch', p.leaderEpoch);
      }
    }
    const out = new OutcomeBuilder();
    const respond = (codeFor: (p: { partition: number; metadata: string }) => number) => {
      out.answer(req.requestId, req.memberId, {
        api: 'OffsetCommit',
        topics: req.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: codeFor(p) })),
        })),
      });
      return out.done();
    };
    if (req.groupId === '') return respond(() => GROUP_ERR.INVALID_GROUP_ID);
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      // No group: either a client that manages its own partitions (generation -1), or one from
      // a generation this coordinator no longer has.
      if (req.generationId >= 0) return respond(() => GROUP_ERR.ILLEGAL_GENERATION);
      group = newGroup(req.groupId);
      this.groups.set(req.groupId, group);
    }
    this.rules.advance(group, now, out);
    const simple = req.generationId < 0 && group.state === 'Empty';
    if (!simple) {
      const member = group.members.get(req.memberId);
      if (member === undefined) return respond(() => GROUP_ERR.UNKNOWN_MEMBER_ID);
      if (req.generationId !== group.generationId && this.mutant !== 'commit-any-generation') {
        return respond(() => GROUP_ERR.ILLEGAL_GENERATION);
      }
      if (group.state === 'CompletingRebalance')
        return respond(() => GROUP_ERR.REBALANCE_IN_PROGRESS);
      // Stable or PreparingRebalance: a member of the current generation may still commit what
      // it consumed before it rejoins. A commit counts as a heartbeat.
      member.lastHeartbeat = now;
    }
    for (const t of req.topics) {
      for (const p of t.partitions) {
        if (p.metadata.length > this.maxMetadata) continue;
        const record: OffsetRecord = {
          type: 'offset',
          groupId: req.groupId,
          topic: t.topic,
          partition: p.partition,
          offset: p.offset,
          leaderEpoch: p.leaderEpoch,
          metadata: p.metadata,
          commitTimestamp: now,
        };
        this.applyOffset(record);
        out.records.push(record);
      }
    }
    return respond((p) =>
      p.metadata.length > this.maxMetadata ? GROUP_ERR.OFFSET_METADATA_TOO_LARGE : GROUP_ERR.NONE,
    );
  }

  fetchOffsets(req: OffsetFetchRequest): OffsetFetchResponse {
    if (req.groupId === '') return { errorCode: GROUP_ERR.INVALID_GROUP_ID, topics: [] };
    const fetched = (topic: string, partition: number) => {
      const c = this.offsets.get(req.groupId, topic, partition);
      return {
        partition,
        offset: c?.offset ?? -1,
        leaderEpoch: c?.leaderEpoch ?? -1,
        metadata: c?.metadata ?? '',
        errorCode: GROUP_ERR.NONE,
      };
    };
    if (req.topics !== null) {
      return {
        errorCode: GROUP_ERR.NONE,
        topics: req.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => fetched(t.topic, p)),
        })),
      };
    }
    const topics: { topic: string; partitions: ReturnType<typeof fetched>[] }[] = [];
    for (const c of this.offsets.all(req.groupId)) {
      let last = topics[topics.length - 1];
      if (last === undefined || last.topic !== c.topic) {
        last = { topic: c.topic, partitions: [] };
        topics.push(last);
      }
      last.partitions.push(fetched(c.topic, c.partition));
    }
    return { errorCode: GROUP_ERR.NONE, topics };
  }

  private applyOffset(record: OffsetRecord): void {
    this.offsets.put(record.groupId, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      leaderEpoch: record.leaderEpoch,
      metadata: record.metadata,
      commitTimestamp: record.commitTimestamp,
    });
  }

  // ---- DescribeGroups, ListGroups, DeleteGroups ---------------------------------------------

  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const group = this.groups.get(groupId);
      if (group === undefined) {
        return {
          groupId,
          errorCode: GROUP_ERR.NONE,
          state: 'Dead',
          protocolType: '',
          protocolData: '',
          members: [],
        };
      }
      const stable = group.state === 'Stable';
      return {
        groupId,
        errorCode: GROUP_ERR.NONE,
        state: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: stable ? (group.protocolName ?? '') : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          metadata: stable ? metadataFor(m, group.protocolName) : '',
          assignment: stable ? m.assignment : '',
        })),
      };
    });
  }

  /** Every group (in id order), or those in one of `states` when given (ListGroups v4). */
  listGroups(states?: readonly GroupStateName[]): ListedGroup[] {
    return [...this.groups.values()]
      .filter((g) => states === undefined || states.length === 0 || states.includes(g.state))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state }))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** Deletes Empty groups and their offsets (tombstones to persist); others are refused. */
  deleteGroups(requestId: string, groupIds: readonly string[], now: number): GroupOutcome {
    const out = new OutcomeBuilder();
    const results = groupIds.map((groupId) => {
      if (groupId === '') return { groupId, errorCode: GROUP_ERR.INVALID_GROUP_ID };
      const group = this.groups.get(groupId);
      if (group === undefined) return { groupId, errorCode: GROUP_ERR.GROUP_ID_NOT_FOUND };
      this.rules.advance(group, now, out);
      if (group.state !== 'Empty') return { groupId, errorCode: GROUP_ERR.NON_EMPTY_GROUP };
      for (const c of this.offsets.removeGroup(groupId)) {
        out.records.push({
          type: 'offset-delete',
          groupId,
          topic: c.topic,
          partition: c.partition,
        });
      }
      out.records.push({ type: 'group-delete', groupId });
      this.groups.delete(groupId);
      return { groupId, errorCode: GROUP_ERR.NONE };
    });
    out.answer(requestId, '', { api: 'DeleteGroups', results });
    return out.done();
  }

  // ---- Time ---------------------------------------------------------------------------------

  /** Expires sessions, pending member ids and rebalance deadlines that have passed by `now`. */
  tick(now: number): GroupOutcome {
    const out = new OutcomeBuilder();
    for (const group of [...this.groups.values()]) {
      this.rules.advance(group, now, out);
      this.forgetIfUnused(group);
    }
    return out.done();
  }

  /** A group that holds nothing (never completed a rebalance, no members, no handed-out ids,
   * no offsets) is dropped, so refused joins and lapsed member ids leave no group behind. */
  private forgetIfUnused(group: Group): void {
    if (
      group.state === 'Empty' &&
      group.generationId === 0 &&
      group.members.size === 0 &&
      group.pending.size === 0 &&
      !this.offsets.hasAny(group.groupId)
    ) {
      this.groups.delete(group.groupId);
    }
  }

  /** The earliest time a `tick` could change something (null: nothing is waiting on time).
   * After `replay`, call `tick(now)` once: loaded members' sessions start from that call. */
  nextDeadline(): number | null {
    let next: number | null = null;
    const consider = (t: number | null) => {
      if (t !== null && (next === null || t < next)) next = t;
    };
    for (const group of this.groups.values()) {
      for (const t of group.pending.values()) consider(t);
      if (this.mutant !== 'no-session-expiry') {
        for (const m of group.members.values()) {
          if (m.heldJoin === null && m.heldSync === null && m.lastHeartbeat !== null) {
            consider(m.lastHeartbeat + m.sessionTimeoutMs);
          }
        }
      }
      if (group.pendingSync.size > 0) consider(group.syncDeadline);
      if (group.state === 'PreparingRebalance') {
        consider(group.initialDelayUntil ?? group.joinDeadline);
      }
    }
    return next;
  }

  // ---- Durable state ------------------------------------------------------------------------

  /**
   * Applies one persisted record (as Kafka loads `__consumer_offsets` when it becomes a group's
   * coordinator). Meant for a coordinator being rebuilt, before it serves requests: a group with
   * members comes back Stable in its stored generation (a rebalance that had not synced is
   * lost, and its members rejoin on ILLEGAL_GENERATION), one without members Empty.
   */
  replay(record: GroupRecord): void {
    switch (record.type) {
      case 'group': {
        const group = newGroup(record.groupId);
        group.generationId = record.generationId;
        group.protocolType = record.protocolType;
        group.protocolName = record.protocolName;
        group.leaderId = record.leader;
        for (const r of record.members) {
          group.members.set(r.memberId, {
            memberId: r.memberId,
            clientId: r.clientId,
            clientHost: r.clientHost,
            sessionTimeoutMs: r.sessionTimeoutMs,
            rebalanceTimeoutMs: r.rebalanceTimeoutMs,
            protocolType: record.protocolType ?? '',
            protocols:
              record.protocolName === null
                ? []
                : [{ name: record.protocolName, metadata: r.subscription }],
            assignment: r.assignment,
            lastHeartbeat: null,
            heldJoin: null,
            heldSync: null,
          });
        }
        group.state = group.members.size > 0 ? 'Stable' : 'Empty';
        this.groups.set(record.groupId, group);
        return;
      }
      case 'group-delete':
        this.groups.delete(record.groupId);
        this.offsets.removeGroup(record.groupId);
        return;
      case 'offset':
        if (!this.groups.has(record.groupId))
          this.groups.set(record.groupId, newGroup(record.groupId));
        this.applyOffset(record);
        return;
      case 'offset-delete':
        this.offsets.remove(record.groupId, record.topic, record.partition);
        return;
    }
  }

  /** The group as it is now (undefined when there is no such group). */
  inspect(groupId: string): GroupView | undefined {
    const group = this.groups.get(groupId);
    if (group === undefined) return undefined;
    return {
      groupId,
      state: group.state,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        assignment: m.assignment,
        awaitingJoin: m.heldJoin !== null,
        awaitingSync: m.heldSync !== null,
      })),
      pendingMemberIds: [...group.pending.keys()],
    };
  }

  groupIds(): string[] {
    return [...this.groups.keys()].sort();
  }

  /**
   * The part of every group that records carry — generation, protocol, leader, members with
   * their subscriptions and assignments, committed offsets — for comparing a coordinator with
   * one rebuilt by `replay`. Meaningful when no rebalance is in flight (every group Stable or
   * Empty): a rebalance's progress is not durable, by design, as in Kafka.
   */
  durableState(): Json {
    // A group that has left no record (a handed-out member id, nothing completed or committed)
    // is not durable, as in Kafka: it is not listed.
    const durable = this.groupIds().filter((groupId) => {
      const g = this.groups.get(groupId);
      return (
        g !== undefined &&
        (g.generationId > 0 || g.state !== 'Empty' || this.offsets.hasAny(groupId))
      );
    });
    return durable.map((groupId) => {
      const group = this.groups.get(groupId);
      if (group === undefined) throw new Error('unreachable: listed group missing');
      const r = groupRecord(group);
      return {
        groupId,
        state: group.state,
        generationId: r.generationId,
        protocolType: r.protocolType,
        protocolName: r.protocolName,
        leader: r.leader,
        members: r.members,
        offsets: this.offsets.all(groupId).map((c) => ({ ...c })),
      };
    });
  }
}
