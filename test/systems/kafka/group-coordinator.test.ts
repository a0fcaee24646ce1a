/**
 * The group coordinator's rules, each in a scenario that fails when the rule is removed: members
 * that do not rejoin a rebalance are dropped when it times out (`keep-absent-members`), a member
 * that stops heartbeating is dropped and the others are told to rejoin (`no-session-expiry`),
 * followers' SyncGroup waits for the leader's (`sync-before-leader`), members must share a
 * protocol (`any-protocol`), and a commit from a stale generation is refused
 * (`commit-any-generation`). Then the errors Kafka answers with, the initial rebalance delay, the
 * pending-sync timeout, DescribeGroups / ListGroups / DeleteGroups.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GROUP_MUTANTS,
  GroupCoordinator,
  GroupOptionError,
  type GroupCoordinatorOptions,
  type GroupMutant,
} from '../../../src/systems/kafka/group-coordinator.js';
import { GROUP_ERR, GroupRequestError } from '../../../src/systems/kafka/group-errors.js';
import type {
  GroupOutcome,
  GroupResponse,
  JoinGroupResponse,
  MemberProtocol,
  SyncGroupResponse,
} from '../../../src/systems/kafka/group-types.js';

const SESSION = 10_000;
const REBALANCE = 30_000;
const RANGE: MemberProtocol[] = [{ name: 'range', metadata: 'sub:t' }];

/** A coordinator and a clock, with helpers that send one request and pick out its answer. */
class Harness {
  readonly c: GroupCoordinator;
  now = 1_000;
  private seq = 0;
  last: GroupOutcome = { events: [], records: [] };
  constructor(options: GroupCoordinatorOptions = {}) {
    this.c = new GroupCoordinator({ initialRebalanceDelayMs: 0, ...options });
  }
  rid(): string {
    this.seq += 1;
    return `r${this.seq}`;
  }
  private run(outcome: GroupOutcome): GroupOutcome {
    this.last = outcome;
    return outcome;
  }
  answer(requestId: string): GroupResponse | undefined {
    return this.last.events.find((e) => e.requestId === requestId)?.response;
  }
  join(
    memberId: string,
    protocols: MemberProtocol[] = RANGE,
    extra: { group?: string; protocolType?: string; v4?: boolean } = {},
  ): { requestId: string; response: JoinGroupResponse | undefined } {
    const requestId = this.rid();
    this.run(
      this.c.joinGroup(
        {
          requestId,
          groupId: extra.group ?? 'g',
          memberId,
          clientId: 'client',
          clientHost: '/127.0.0.1',
          sessionTimeoutMs: SESSION,
          rebalanceTimeoutMs: REBALANCE,
          protocolType: extra.protocolType ?? 'consumer',
          protocols,
          requireKnownMemberId: extra.v4 ?? false,
        },
        this.now,
      ),
    );
    return { requestId, response: this.answer(requestId) as JoinGroupResponse | undefined };
  }
  /** A new member as v4+ clients join: MEMBER_ID_REQUIRED, then the join with that id. */
  newMember(protocols: MemberProtocol[] = RANGE): {
    id: string;
    requestId: string;
    response: JoinGroupResponse | undefined;
  } {
    const first = this.join('', protocols, { v4: true });
    assert.equal(first.response?.errorCode, GROUP_ERR.MEMBER_ID_REQUIRED);
    const id = first.response?.memberId ?? '';
    return { id, ...this.join(id, protocols) };
  }
  sync(
    memberId: string,
    generationId: number,
    assignments: { memberId: string; assignment: string }[] = [],
  ): { requestId: string; response: SyncGroupResponse | undefined } {
    const requestId = this.rid();
    this.run(
      this.c.syncGroup(
        {
          requestId,
          groupId: 'g',
          generationId,
          memberId,
          protocolType: null,
          protocolName: null,
          assignments,
        },
        this.now,
      ),
    );
    return { requestId, response: this.answer(requestId) as SyncGroupResponse | undefined };
  }
  heartbeat(memberId: string, generationId: number): number | undefined {
    const requestId = this.rid();
    this.run(this.c.heartbeat({ requestId, groupId: 'g', generationId, memberId }, this.now));
    const r = this.answer(requestId);
    return r?.api === 'Heartbeat' ? r.errorCode : undefined;
  }
  leave(...memberIds: string[]) {
    const requestId = this.rid();
    this.run(this.c.leaveGroup({ requestId, groupId: 'g', memberIds }, this.now));
    const r = this.answer(requestId);
    assert.ok(r?.api === 'LeaveGroup');
    return r;
  }
  commit(
    memberId: string,
    generationId: number,
    offset: number,
    metadata = '',
    group = 'g',
  ): number | undefined {
    const requestId = this.rid();
    this.run(
      this.c.commitOffsets(
        {
          requestId,
          groupId: group,
          generationId,
          memberId,
          topics: [
            { topic: 't', partitions: [{ partition: 0, offset, leaderEpoch: 3, metadata }] },
          ],
        },
        this.now,
      ),
    );
    const r = this.answer(requestId);
    return r?.api === 'OffsetCommit' ? r.topics[0]?.partitions[0]?.errorCode : undefined;
  }
  fetched(group = 'g'): number | undefined {
    return this.c.fetchOffsets({ groupId: group, topics: [{ topic: 't', partitions: [0] }] })
      .topics[0]?.partitions[0]?.offset;
  }
  tick(ms: number): GroupOutcome {
    this.now += ms;
    return this.run(this.c.tick(this.now));
  }
  /** Two members joined (a first, so it leads) and synced: generation 1, Stable. */
  stableTwo(): { a: string; b: string } {
    const ja = this.join('');
    const a = ja.response?.memberId ?? '';
    assert.equal(ja.response?.errorCode, GROUP_ERR.NONE);
    assert.equal(ja.response?.generationId, 1);
    assert.equal(
      this.sync(a, 1, [{ memberId: a, assignment: 'A1' }]).response?.errorCode,
      GROUP_ERR.NONE,
    );
    const jb = this.newMember();
    const b = jb.id;
    assert.equal(jb.response, undefined, 'a new member waits for the others to rejoin');
    const ja2 = this.join(a);
    assert.equal(ja2.response?.generationId, 2);
    assert.equal(this.answer(jb.requestId)?.api, 'JoinGroup');
    this.syncAll(2, a, b);
    return { a, b };
  }
  /** The leader's sync then the follower's, each given its own name as assignment. */
  syncAll(generation: number, leader: string, ...followers: string[]): void {
    const all = [leader, ...followers];
    const r = this.sync(
      leader,
      generation,
      all.map((m) => ({ memberId: m, assignment: `as-${m}` })),
    );
    assert.equal(r.response?.errorCode, GROUP_ERR.NONE);
    for (const f of followers)
      assert.equal(this.sync(f, generation).response?.assignment, `as-${f}`);
    assert.equal(this.c.inspect('g')?.state, 'Stable');
  }
}

const ruleTests: { name: string; mutant: GroupMutant; run: (h: Harness) => void }[] = [
  {
    name: 'a member that does not rejoin is dropped when the rebalance times out',
    mutant: 'keep-absent-members',
    run: (h) => {
      const { a, b } = h.stableTwo();
      const jc = h.newMember();
      const cId = jc.id;
      assert.equal(h.c.inspect('g')?.state, 'PreparingRebalance');
      const ja = h.join(a);
      // b keeps heartbeating (so its session holds) but never rejoins.
      for (let t = 0; t < REBALANCE; t += 5_000) {
        assert.equal(h.heartbeat(b, 2), GROUP_ERR.REBALANCE_IN_PROGRESS);
        assert.equal(h.answer(ja.requestId), undefined, 'the join waits for b');
        h.tick(5_000);
      }
      const answered = h.last.events.map((e) => e.requestId).sort();
      assert.deepEqual(answered, [ja.requestId, jc.requestId].sort());
      const view = h.c.inspect('g');
      assert.equal(view?.generationId, 3);
      assert.deepEqual(view?.members.map((m) => m.memberId).sort(), [a, cId].sort());
      assert.equal(h.heartbeat(b, 2), GROUP_ERR.UNKNOWN_MEMBER_ID);
    },
  },
  {
    name: 'a member that stops heartbeating is dropped and the others are told to rejoin',
    mutant: 'no-session-expiry',
    run: (h) => {
      const { a, b } = h.stableTwo();
      for (let i = 0; i < 3; i++) {
        h.tick(3_000);
        assert.equal(h.heartbeat(a, 2), GROUP_ERR.NONE);
      }
      h.tick(3_000); // b silent for 12 s > its 10 s session
      assert.equal(h.c.inspect('g')?.state, 'PreparingRebalance');
      assert.equal(h.heartbeat(a, 2), GROUP_ERR.REBALANCE_IN_PROGRESS);
      const ja = h.join(a);
      assert.equal(ja.response?.generationId, 3);
      assert.deepEqual(
        ja.response?.members.map((m) => m.memberId),
        [a],
      );
      assert.equal(h.heartbeat(b, 2), GROUP_ERR.UNKNOWN_MEMBER_ID);
    },
  },
  {
    name: "followers' SyncGroup waits for the leader's, then all get the leader's assignment",
    mutant: 'sync-before-leader',
    run: (h) => {
      const a = h.join('').response?.memberId ?? '';
      h.sync(a, 1, [{ memberId: a, assignment: 'x' }]);
      const b = h.newMember().id;
      h.join(a);
      const sb = h.sync(b, 2);
      assert.equal(sb.response, undefined, 'the follower is held until the leader syncs');
      const records = h.last.records.length;
      assert.equal(records, 0);
      const sa = h.sync(a, 2, [
        { memberId: a, assignment: 'for-a' },
        { memberId: b, assignment: 'for-b' },
      ]);
      assert.equal(sa.response?.assignment, 'for-a');
      assert.equal((h.answer(sb.requestId) as SyncGroupResponse | undefined)?.assignment, 'for-b');
      const rec = h.last.records[0];
      assert.ok(rec?.type === 'group' && rec.generationId === 2);
      assert.deepEqual(
        rec.members.map((m) => m.assignment),
        ['for-a', 'for-b'],
      );
    },
  },
  {
    name: 'members must share a protocol: INCONSISTENT_GROUP_PROTOCOL otherwise, and the vote picks',
    mutant: 'any-protocol',
    run: (h) => {
      const a =
        h.join('', [
          { name: 'range', metadata: 'ma' },
          { name: 'roundrobin', metadata: 'ma' },
        ]).response?.memberId ?? '';
      h.sync(a, 1);
      const bad = h.join('', [{ name: 'sticky', metadata: 'mb' }]);
      assert.equal(bad.response?.errorCode, GROUP_ERR.INCONSISTENT_GROUP_PROTOCOL);
      const badType = h.join('', RANGE, { protocolType: 'connect' });
      assert.equal(badType.response?.errorCode, GROUP_ERR.INCONSISTENT_GROUP_PROTOCOL);
      const jb = h.join('', [
        { name: 'roundrobin', metadata: 'mb' },
        { name: 'range', metadata: 'mb' },
      ]);
      const jc = h.join('', [
        { name: 'roundrobin', metadata: 'mc' },
        { name: 'range', metadata: 'mc' },
      ]);
      const ja = h.join(a, [
        { name: 'range', metadata: 'ma' },
        { name: 'roundrobin', metadata: 'ma' },
      ]);
      assert.equal(ja.response?.protocolName, 'roundrobin', 'two votes to one');
      assert.deepEqual(
        ja.response?.members.map((m) => m.metadata),
        ['ma', 'mb', 'mc'],
      );
      assert.equal((h.answer(jb.requestId) as JoinGroupResponse).members.length, 0);
      assert.equal(h.answer(jc.requestId)?.api, 'JoinGroup');
    },
  },
  {
    name: 'an OffsetCommit from a stale generation is refused ILLEGAL_GENERATION',
    mutant: 'commit-any-generation',
    run: (h) => {
      const { a, b } = h.stableTwo();
      assert.equal(h.commit(b, 2, 10), GROUP_ERR.NONE);
      assert.equal(h.fetched(), 10);
      const ja = h.join(a); // leader rejoins: rebalance
      assert.equal(
        h.commit(b, 2, 11),
        GROUP_ERR.NONE,
        'the current generation may commit while preparing',
      );
      h.join(b);
      assert.equal(ja.response, undefined);
      assert.equal(h.c.inspect('g')?.generationId, 3);
      assert.equal(h.commit(b, 3, 12), GROUP_ERR.REBALANCE_IN_PROGRESS, 'not before the sync');
      h.syncAll(3, a, b);
      assert.equal(h.commit(b, 2, 5), GROUP_ERR.ILLEGAL_GENERATION);
      assert.equal(h.fetched(), 11);
      assert.equal(h.commit(b, 3, 13), GROUP_ERR.NONE);
      assert.equal(h.fetched(), 13);
    },
  },
];

for (const rule of ruleTests) {
  test(`${rule.name} (mutant ${rule.mutant} caught)`, () => {
    rule.run(new Harness());
    assert.throws(() => rule.run(new Harness({ mutant: rule.mutant })), assert.AssertionError);
  });
}

test('every group mutant has a rule test that catches it', () => {
  assert.deepEqual(ruleTests.map((r) => r.mutant).sort(), [...GROUP_MUTANTS].sort());
});

test('JoinGroup v4+: a first join gets MEMBER_ID_REQUIRED with its id, and joins with it', () => {
  const h = new Harness();
  const first = h.join('', RANGE, { v4: true });
  assert.equal(first.response?.errorCode, GROUP_ERR.MEMBER_ID_REQUIRED);
  const id = first.response?.memberId ?? '';
  assert.match(id, /^client-/);
  assert.deepEqual(h.c.inspect('g')?.pendingMemberIds, [id]);
  const again = h.join(id, RANGE, { v4: true });
  assert.equal(again.response?.errorCode, GROUP_ERR.NONE);
  assert.equal(again.response?.leader, id);
  assert.equal(again.response?.protocolName, 'range');
  assert.deepEqual(again.response?.members, [{ memberId: id, metadata: 'sub:t' }]);
  // An id handed out but never used lapses after the session timeout and holds nothing up.
  const unused = h.join('', RANGE, { v4: true }).response?.memberId ?? '';
  h.tick(SESSION);
  assert.deepEqual(h.c.inspect('g')?.pendingMemberIds, []);
  assert.equal(h.join(unused).response?.errorCode, GROUP_ERR.UNKNOWN_MEMBER_ID);
});

test('a member id the coordinator never gave, or a join to no group, is UNKNOWN_MEMBER_ID', () => {
  const h = new Harness();
  assert.equal(h.join('nobody').response?.errorCode, GROUP_ERR.UNKNOWN_MEMBER_ID);
  h.join('');
  assert.equal(h.join('nobody').response?.errorCode, GROUP_ERR.UNKNOWN_MEMBER_ID);
  assert.equal(h.join('', RANGE, { group: '' }).response?.errorCode, GROUP_ERR.INVALID_GROUP_ID);
});

test('a session timeout outside the configured bounds is INVALID_SESSION_TIMEOUT', () => {
  const h = new Harness({ minSessionTimeoutMs: 20_000 });
  assert.equal(h.join('').response?.errorCode, GROUP_ERR.INVALID_SESSION_TIMEOUT);
});

test('SyncGroup errors: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS', () => {
  const h = new Harness();
  const { a, b } = h.stableTwo();
  assert.equal(h.sync('stranger', 2).response?.errorCode, GROUP_ERR.UNKNOWN_MEMBER_ID);
  assert.equal(h.sync(b, 1).response?.errorCode, GROUP_ERR.ILLEGAL_GENERATION);
  assert.equal(h.sync(b, 2).response?.assignment, `as-${b}`, 'Stable: the assignment again');
  h.join(a);
  assert.equal(h.sync(b, 2).response?.errorCode, GROUP_ERR.REBALANCE_IN_PROGRESS);
});

test('a rebalance that begins while followers wait for the leader answers them REBALANCE_IN_PROGRESS', () => {
  const h = new Harness();
  const { a, b } = h.stableTwo();
  h.join(a);
  h.join(b);
  const held = h.sync(b, 3);
  assert.equal(held.response, undefined);
  h.join(''); // a newcomer
  assert.equal(
    (h.answer(held.requestId) as SyncGroupResponse).errorCode,
    GROUP_ERR.REBALANCE_IN_PROGRESS,
  );
  assert.equal(h.c.inspect('g')?.state, 'PreparingRebalance');
});

test('a member that never sends SyncGroup is dropped after the rebalance timeout', () => {
  const h = new Harness();
  const a = h.join('').response?.memberId ?? '';
  h.sync(a, 1);
  const b = h.newMember().id;
  h.join(a);
  h.sync(a, 2, [{ memberId: b, assignment: 'p0' }]);
  assert.equal(h.c.inspect('g')?.state, 'Stable');
  for (let t = 0; t < REBALANCE; t += 5_000) {
    h.tick(5_000);
    h.heartbeat(a, 2);
    h.heartbeat(b, 2); // b heartbeats but never syncs: it never learns its assignment
  }
  assert.equal(h.c.inspect('g')?.state, 'PreparingRebalance');
  assert.deepEqual(
    h.c.inspect('g')?.members.map((m) => m.memberId),
    [a],
  );
});

test('Heartbeat: NONE when Stable, ILLEGAL_GENERATION for another generation, UNKNOWN_MEMBER_ID', () => {
  const h = new Harness();
  const { b } = h.stableTwo();
  assert.equal(h.heartbeat(b, 2), GROUP_ERR.NONE);
  assert.equal(h.heartbeat(b, 1), GROUP_ERR.ILLEGAL_GENERATION);
  assert.equal(h.heartbeat('x', 2), GROUP_ERR.UNKNOWN_MEMBER_ID);
  assert.equal(
    h.c.heartbeat({ requestId: 'q', groupId: 'nope', generationId: 1, memberId: b }, h.now)
      .events[0]?.response.api,
    'Heartbeat',
  );
});

test('LeaveGroup: several members at once, per-member errors, the next member leads', () => {
  const h = new Harness();
  const { a, b } = h.stableTwo();
  const c = h.newMember().id;
  h.join(a);
  h.join(b);
  h.syncAll(3, a, b, c);
  const left = h.leave(a, 'ghost');
  assert.deepEqual(left.members, [
    { memberId: a, errorCode: GROUP_ERR.NONE },
    { memberId: 'ghost', errorCode: GROUP_ERR.UNKNOWN_MEMBER_ID },
  ]);
  assert.equal(h.c.inspect('g')?.leaderId, b);
  const jb = h.join(b);
  const jc = h.join(c);
  assert.equal(jb.response, undefined);
  assert.equal((h.answer(jb.requestId) as JoinGroupResponse).members.length, 2, 'b now leads');
  assert.equal(jc.response?.leader, b);
  h.leave(b, c);
  const view = h.c.inspect('g');
  assert.equal(view?.state, 'Empty');
  assert.equal(view?.generationId, 5, 'emptying the group completes a rebalance too');
});

test('a member leaving answers its held JoinGroup; the rest of the rebalance completes without it', () => {
  const h = new Harness();
  const { a, b } = h.stableTwo();
  const ja = h.join(a);
  h.leave(b);
  assert.equal((h.answer(ja.requestId) as JoinGroupResponse).generationId, 3);
  const jb2 = h.join(b);
  assert.equal(jb2.response?.errorCode, GROUP_ERR.UNKNOWN_MEMBER_ID);
});

test('a follower rejoining a Stable group unchanged gets the current generation; the leader forces a rebalance', () => {
  const h = new Harness();
  const { a, b } = h.stableTwo();
  const jb = h.join(b);
  assert.equal(jb.response?.generationId, 2);
  assert.equal(h.c.inspect('g')?.state, 'Stable');
  h.join(a);
  assert.equal(h.c.inspect('g')?.state, 'PreparingRebalance');
});

test('initial rebalance delay: a new group waits for more members, each pushing it on, up to the rebalance timeout', () => {
  const h = new Harness({ initialRebalanceDelayMs: 3_000 });
  const ja = h.join('');
  assert.equal(ja.response, undefined);
  h.tick(2_000);
  const jb = h.join('');
  h.tick(2_000);
  assert.equal(h.last.events.length, 0, 'b pushed the deadline to +3 s from its join');
  h.tick(1_000);
  assert.deepEqual(
    h.last.events.map((e) => e.requestId).sort(),
    [ja.requestId, jb.requestId].sort(),
  );
  assert.equal(h.c.inspect('g')?.generationId, 1);
});

test('offsets: simple commits (generation -1) to an empty group, -1 for nothing committed, metadata kept and bounded', () => {
  const h = new Harness({ maxMetadataSize: 8 });
  assert.equal(h.fetched('solo'), -1);
  assert.equal(h.commit('', -1, 7, 'note', 'solo'), GROUP_ERR.NONE);
  const got = h.c.fetchOffsets({ groupId: 'solo', topics: null });
  assert.deepEqual(got.topics, [
    {
      topic: 't',
      partitions: [{ partition: 0, offset: 7, leaderEpoch: 3, metadata: 'note', errorCode: 0 }],
    },
  ]);
  assert.equal(h.commit('', -1, 8, 'much too long', 'solo'), GROUP_ERR.OFFSET_METADATA_TOO_LARGE);
  assert.equal(h.fetched('solo'), 7);
  assert.equal(h.commit('m', 4, 9, '', 'nogroup'), GROUP_ERR.ILLEGAL_GENERATION);
  const { b } = h.stableTwo();
  assert.equal(
    h.commit('', -1, 1),
    GROUP_ERR.UNKNOWN_MEMBER_ID,
    'no simple commits to a live group',
  );
  assert.equal(h.commit(b, 2, 1), GROUP_ERR.NONE);
});

test('DescribeGroups, ListGroups and DeleteGroups', () => {
  const h = new Harness();
  const { a, b } = h.stableTwo();
  h.commit('', -1, 3, '', 'other');
  const [g, dead] = h.c.describeGroups(['g', 'missing']);
  assert.equal(g?.state, 'Stable');
  assert.equal(g?.protocolData, 'range');
  assert.deepEqual(
    g?.members.map((m) => [m.memberId, m.assignment, m.metadata]),
    [
      [a, `as-${a}`, 'sub:t'],
      [b, `as-${b}`, 'sub:t'],
    ],
  );
  assert.equal(dead?.state, 'Dead');
  assert.deepEqual(h.c.listGroups(), [
    { groupId: 'g', protocolType: 'consumer', state: 'Stable' },
    { groupId: 'other', protocolType: '', state: 'Empty' },
  ]);
  assert.deepEqual(
    h.c.listGroups(['Empty']).map((x) => x.groupId),
    ['other'],
  );
  const del = h.c.deleteGroups('d', ['g', 'other', 'missing'], h.now);
  const resp = del.events[0]?.response;
  assert.ok(resp?.api === 'DeleteGroups');
  assert.deepEqual(
    resp.results.map((r) => r.errorCode),
    [GROUP_ERR.NON_EMPTY_GROUP, GROUP_ERR.NONE, GROUP_ERR.GROUP_ID_NOT_FOUND],
  );
  assert.deepEqual(del.records, [
    { type: 'offset-delete', groupId: 'other', topic: 't', partition: 0 },
    { type: 'group-delete', groupId: 'other' },
  ]);
  assert.equal(h.fetched('other'), -1);
  assert.deepEqual(h.c.describeGroups(['other'])[0]?.state, 'Dead');
});

test('options are validated', () => {
  assert.throws(() => new GroupCoordinator({ minSessionTimeoutMs: -1 }), GroupOptionError);
  assert.throws(
    () => new GroupCoordinator({ minSessionTimeoutMs: 10, maxSessionTimeoutMs: 5 }),
    GroupOptionError,
  );
  assert.throws(() => new GroupCoordinator({ initialRebalanceDelayMs: 1.5 }), GroupOptionError);
  assert.throws(() => new GroupCoordinator({ mutant: 'nope' as GroupMutant }), GroupOptionError);
});

test('nextDeadline names when tick next matters', () => {
  const h = new Harness();
  assert.equal(h.c.nextDeadline(), null);
  const { a } = h.stableTwo();
  assert.equal(h.c.nextDeadline(), h.now + SESSION);
  h.join(a);
  // a is held in the join (kept alive); b's session and the rebalance deadline remain.
  assert.equal(h.c.nextDeadline(), h.now + SESSION);
});

test('a refused join or a lapsed member id leaves no group behind', () => {
  const h = new Harness();
  assert.equal(h.join('', []).response?.errorCode, GROUP_ERR.INCONSISTENT_GROUP_PROTOCOL);
  assert.deepEqual(h.c.listGroups(), []);
  h.join('', RANGE, { v4: true });
  assert.equal(h.c.listGroups().length, 1);
  h.tick(SESSION);
  assert.deepEqual(h.c.listGroups(), []);
});

test('a request with a non-integer number is refused with a typed error, changing nothing', () => {
  const h = new Harness();
  const { b } = h.stableTwo();
  const before = h.c.durableState();
  assert.throws(
    () =>
      h.c.commitOffsets(
        {
          requestId: 'x',
          groupId: 'g',
          generationId: 2,
          memberId: b,
          topics: [
            {
              topic: 't',
              partitions: [{ partition: 0, offset: 2 ** 60, leaderEpoch: 0, metadata: '' }],
            },
          ],
        },
        h.now,
      ),
    (e: unknown) => e instanceof GroupRequestError && e.code === 'bad-group-request',
  );
  assert.throws(
    () => h.c.heartbeat({ requestId: 'y', groupId: 'g', generationId: 1.5, memberId: b }, h.now),
    GroupRequestError,
  );
  assert.deepEqual(h.c.durableState(), before);
});
