/**
 * How a group moves between rebalances, as Kafka's GroupCoordinator moves it: members added or
 * updated start a rebalance (PreparingRebalance); it completes when every member has rejoined or
 * the rebalance timeout passes, dropping those that did not, and the generation goes up by one
 * (CompletingRebalance, or Empty when nobody is left); members silent for their session, and
 * members that never send SyncGroup within the rebalance timeout, are dropped. Every change that
 * answers a held request or must be stored goes into the `OutcomeBuilder` it is given.
 */
import { GROUP_ERR } from './group-errors.js';
import {
  protocolsCompatible,
  protocolsEqual,
  selectProtocol,
  type Member,
} from './group-members.js';
import type { GroupMutant } from './group-mutants.js';
import {
  joinAnswer,
  joinError,
  syncAnswer,
  syncError,
  type OutcomeBuilder,
} from './group-outcome.js';
import { groupRecord } from './group-records.js';
import { allMembersJoined, rebalanceTimeoutMs, type Group } from './group-state.js';
import type { JoinGroupRequest, MemberProtocol } from './group-types.js';

type Out = OutcomeBuilder;

export class Rebalancer {
  constructor(
    private readonly initialDelay: number,
    private readonly mutant: GroupMutant | undefined,
  ) {}

  knownMemberJoin(
    group: Group,
    member: Member,
    req: JoinGroupRequest,
    now: number,
    out: Out,
  ): void {
    const unchanged = protocolsEqual(member.protocols, req.protocols);
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, req, now, out);
        return;
      case 'CompletingRebalance':
        // Same metadata: the member most likely lost our JoinGroup answer; give it again.
        if (unchanged) {
          member.lastHeartbeat = now;
          out.answer(req.requestId, member.memberId, joinAnswer(group, member.memberId));
        } else {
          this.updateMemberAndRebalance(group, member, req, now, out);
        }
        return;
      case 'Stable':
        // The leader rejoining forces a rebalance: that is how it reacts to changes (such as
        // new partitions) that its metadata does not show.
        if (group.leaderId === member.memberId || !unchanged) {
          this.updateMemberAndRebalance(group, member, req, now, out);
        } else {
          member.lastHeartbeat = now;
          out.answer(req.requestId, member.memberId, joinAnswer(group, member.memberId));
        }
        return;
      case 'Empty':
      case 'Dead':
        out.answer(
          req.requestId,
          member.memberId,
          joinError(member.memberId, GROUP_ERR.UNKNOWN_MEMBER_ID),
        );
        return;
    }
  }

  supportsProtocols(
    group: Group,
    memberId: string,
    protocolType: string,
    protocols: readonly MemberProtocol[],
  ): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (group.members.size === 0) return true;
    if (this.mutant === 'any-protocol') return true;
    if (protocolType !== group.protocolType) return false;
    const others = [...group.members.values()].filter((m) => m.memberId !== memberId);
    return protocolsCompatible(others, protocols);
  }

  addMemberAndRebalance(
    group: Group,
    memberId: string,
    req: JoinGroupRequest,
    now: number,
    out: Out,
  ): void {
    if (group.members.size === 0) group.protocolType = req.protocolType;
    group.members.set(memberId, {
      memberId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: '',
      lastHeartbeat: now,
      heldJoin: req.requestId,
      heldSync: null,
    });
    group.pending.delete(memberId);
    if (group.leaderId === null) group.leaderId = memberId;
    if (group.initialDelayUntil !== null && group.initialDelayCap !== null) {
      group.initialDelayUntil = Math.min(now + this.initialDelay, group.initialDelayCap);
    }
    this.maybePrepareRebalance(group, now, out);
  }

  updateMemberAndRebalance(
    group: Group,
    member: Member,
    req: JoinGroupRequest,
    now: number,
    out: Out,
  ): void {
    // A second JoinGroup while one is held replaces it; the first is told to rejoin rather than
    // left for its caller to hold for ever.
    if (member.heldJoin !== null) {
      out.answer(
        member.heldJoin,
        member.memberId,
        joinError(member.memberId, GROUP_ERR.REBALANCE_IN_PROGRESS),
      );
    }
    member.protocols = req.protocols;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.heldJoin = req.requestId;
    member.lastHeartbeat = now;
    this.maybePrepareRebalance(group, now, out);
  }

  maybePrepareRebalance(group: Group, now: number, out: Out): void {
    if (
      group.state === 'Empty' ||
      group.state === 'Stable' ||
      group.state === 'CompletingRebalance'
    ) {
      this.prepareRebalance(group, now, out);
    }
  }

  prepareRebalance(group: Group, now: number, out: Out): void {
    if (group.state === 'CompletingRebalance') {
      // The generation being synced is void: followers waiting for the leader are told to
      // rejoin, and nobody keeps an assignment from it.
      for (const m of group.members.values()) {
        m.assignment = '';
        if (m.heldSync !== null) {
          out.answer(
            m.heldSync,
            m.memberId,
            syncAnswer(group, GROUP_ERR.REBALANCE_IN_PROGRESS, ''),
          );
          m.heldSync = null;
        }
      }
    }
    group.pendingSync.clear();
    group.syncDeadline = null;
    const timeout = rebalanceTimeoutMs(group);
    group.joinDeadline = now + timeout;
    if (group.state === 'Empty') {
      group.initialDelayUntil = now + Math.min(this.initialDelay, timeout);
      group.initialDelayCap = now + timeout;
    }
    group.state = 'PreparingRebalance';
  }

  completeJoin(group: Group, now: number, out: Out): void {
    group.joinDeadline = null;
    group.initialDelayUntil = null;
    group.initialDelayCap = null;
    if (this.mutant !== 'keep-absent-members') {
      for (const m of [...group.members.values()]) {
        if (m.heldJoin === null) this.dropMember(group, m, out);
      }
    }
    group.generationId += 1;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      out.records.push(groupRecord(group));
      return;
    }
    const members = [...group.members.values()];
    let protocol = selectProtocol(members);
    if (protocol === undefined && this.mutant === 'any-protocol') {
      protocol = members.find((m) => m.memberId === group.leaderId)?.protocols[0]?.name;
    }
    if (protocol === undefined) {
      // Every join was checked against the members present, so they always share one.
      throw new Error(`group ${group.groupId}: members share no protocol at rebalance`);
    }
    group.protocolName = protocol;
    group.state = 'CompletingRebalance';
    if (group.leaderId === null || !group.members.has(group.leaderId)) {
      group.leaderId = members[0]?.memberId ?? null;
    }
    for (const m of members) {
      m.assignment = '';
      m.lastHeartbeat = now;
      if (m.heldJoin !== null) {
        out.answer(m.heldJoin, m.memberId, joinAnswer(group, m.memberId));
        m.heldJoin = null;
      }
    }
    for (const m of members) group.pendingSync.add(m.memberId);
    group.syncDeadline = now + rebalanceTimeoutMs(group);
  }

  /** Drops a member and reacts as Kafka does: a Stable or syncing group rebalances. */
  removeMember(group: Group, member: Member, now: number, out: Out): void {
    this.dropMember(group, member, out);
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
      this.prepareRebalance(group, now, out);
    }
  }

  dropMember(group: Group, member: Member, out: Out): void {
    if (member.heldJoin !== null) {
      out.answer(
        member.heldJoin,
        member.memberId,
        joinError(member.memberId, GROUP_ERR.UNKNOWN_MEMBER_ID),
      );
    }
    if (member.heldSync !== null) {
      out.answer(member.heldSync, member.memberId, syncError(GROUP_ERR.UNKNOWN_MEMBER_ID));
    }
    group.members.delete(member.memberId);
    group.pendingSync.delete(member.memberId);
    if (group.leaderId === member.memberId) {
      group.leaderId = group.members.keys().next().value ?? null;
    }
  }

  advance(group: Group, now: number, out: Out): void {
    for (const m of group.members.values()) if (m.lastHeartbeat === null) m.lastHeartbeat = now;
    for (const [memberId, lapses] of [...group.pending]) {
      if (now >= lapses) group.pending.delete(memberId);
    }
    if (this.mutant !== 'no-session-expiry') {
      for (const m of [...group.members.values()]) {
        const waitingOnUs = m.heldJoin !== null || m.heldSync !== null;
        if (
          !waitingOnUs &&
          m.lastHeartbeat !== null &&
          now >= m.lastHeartbeat + m.sessionTimeoutMs
        ) {
          this.removeMember(group, m, now, out);
        }
      }
    }
    if (group.syncDeadline !== null && now >= group.syncDeadline) {
      const late = [...group.pendingSync];
      group.syncDeadline = null;
      group.pendingSync.clear();
      if (late.length > 0 && (group.state === 'CompletingRebalance' || group.state === 'Stable')) {
        for (const memberId of late) {
          const m = group.members.get(memberId);
          if (m !== undefined) this.dropMember(group, m, out);
        }
        this.prepareRebalance(group, now, out);
      }
    }
    if (group.state === 'PreparingRebalance') {
      const due =
        group.initialDelayUntil !== null
          ? now >= group.initialDelayUntil
          : allMembersJoined(group) || (group.joinDeadline !== null && now >= group.joinDeadline);
      if (due) this.completeJoin(group, now, out);
    }
  }
}
