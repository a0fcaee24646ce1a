/**
 * The group coordinator's durable part: the records it asks to persist rebuild, by `replay`, the
 * same groups and offsets — also after compaction keeps only the last record per key, and after
 * a JSON round trip through `parseGroupRecord`. A rebuilt coordinator then answers as the old one
 * would: members of the stored generation carry on, a stale generation is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { GroupCoordinator } from '../../../src/systems/kafka/group-coordinator.js';
import { GROUP_ERR } from '../../../src/systems/kafka/group-errors.js';
import {
  GroupRecordError,
  parseGroupRecord,
  recordKey,
  type GroupRecord,
} from '../../../src/systems/kafka/group-records.js';
import type { GroupOutcome, JoinGroupResponse } from '../../../src/systems/kafka/group-types.js';

const log: GroupRecord[] = [];
let now = 0;
let n = 0;
const coordinator = new GroupCoordinator({ initialRebalanceDelayMs: 0 });

function keep(outcome: GroupOutcome): GroupOutcome {
  log.push(...outcome.records);
  return outcome;
}
function joinResponse(outcome: GroupOutcome, requestId: string): JoinGroupResponse {
  const r = outcome.events.find((e) => e.requestId === requestId)?.response;
  assert.ok(r?.api === 'JoinGroup', `no JoinGroup answer for ${requestId}`);
  return r;
}
function join(groupId: string, memberId: string): string {
  n += 1;
  const requestId = `j${n}`;
  keep(
    coordinator.joinGroup(
      {
        requestId,
        groupId,
        memberId,
        clientId: 'c',
        clientHost: 'h',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 20_000,
        protocolType: 'consumer',
        protocols: [{ name: 'roundrobin', metadata: `sub-${memberId}` }],
        requireKnownMemberId: false,
      },
      now,
    ),
  );
  return requestId;
}
function sync(groupId: string, memberId: string, generationId: number, assignments: string[] = []) {
  n += 1;
  return keep(
    coordinator.syncGroup(
      {
        requestId: `s${n}`,
        groupId,
        generationId,
        memberId,
        protocolType: 'consumer',
        protocolName: 'roundrobin',
        assignments: assignments.map((m) => ({ memberId: m, assignment: `for-${m}` })),
      },
      now,
    ),
  );
}
function commit(
  groupId: string,
  memberId: string,
  generationId: number,
  partition: number,
  offset: number,
) {
  n += 1;
  return keep(
    coordinator.commitOffsets(
      {
        requestId: `c${n}`,
        groupId,
        generationId,
        memberId,
        topics: [
          {
            topic: 'orders',
            partitions: [{ partition, offset, leaderEpoch: 1, metadata: `m${offset}` }],
          },
        ],
      },
      now,
    ),
  );
}

function rebuilt(records: readonly GroupRecord[]): GroupCoordinator {
  const c = new GroupCoordinator({ initialRebalanceDelayMs: 0, memberIdTag: 'second' });
  for (const r of records) c.replay(r);
  return c;
}

/** Only the last record per key, in the order those last records were written. */
function compacted(records: readonly GroupRecord[]): GroupRecord[] {
  const last = new Map<string, number>();
  records.forEach((r, i) => last.set(recordKey(r), i));
  return records.filter((r, i) => last.get(recordKey(r)) === i);
}

test('replaying the records rebuilds the same groups and offsets, also compacted and round-tripped', () => {
  // Group "a": two members, Stable at generation 2, offsets committed and re-committed.
  const first = joinResponse(
    coordinator.joinGroup(
      {
        requestId: 'j0',
        groupId: 'a',
        memberId: '',
        clientId: 'c',
        clientHost: 'h',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 20_000,
        protocolType: 'consumer',
        protocols: [{ name: 'roundrobin', metadata: 'sub-first' }],
        requireKnownMemberId: false,
      },
      now,
    ),
    'j0',
  );
  const m1 = first.memberId;
  sync('a', m1, 1, [m1]);
  commit('a', m1, 1, 0, 5);
  now += 1_000;
  join('a', '');
  join('a', m1);
  const m2 = coordinator.inspect('a')?.members[1]?.memberId ?? '';
  assert.notEqual(m2, '');
  assert.equal(coordinator.inspect('a')?.state, 'CompletingRebalance');
  sync('a', m1, 2, [m1, m2]);
  sync('a', m2, 2);
  commit('a', m2, 2, 1, 7);
  commit('a', m1, 2, 0, 9);
  // Group "b": one member that left (Empty, generation 2) with an offset; "c": simple commits,
  // then deleted; "d": a simple commit only.
  join('b', '');
  const mb = coordinator.inspect('b')?.members[0]?.memberId ?? '';
  sync('b', mb, 1, [mb]);
  commit('b', mb, 1, 3, 30);
  n += 1;
  keep(coordinator.leaveGroup({ requestId: `l${n}`, groupId: 'b', memberIds: [mb] }, now));
  commit('c', '', -1, 0, 1);
  keep(coordinator.deleteGroups('del', ['c'], now));
  commit('d', '', -1, 2, 4);

  assert.deepEqual(
    coordinator.listGroups().map((g) => [g.groupId, g.state]),
    [
      ['a', 'Stable'],
      ['b', 'Empty'],
      ['d', 'Empty'],
    ],
  );
  const want = coordinator.durableState();
  assert.deepEqual(rebuilt(log).durableState(), want);
  const small = compacted(log);
  assert.ok(small.length < log.length, 'compaction dropped superseded records');
  assert.deepEqual(rebuilt(small).durableState(), want);
  const roundTripped = log.map((r) => parseGroupRecord(JSON.parse(JSON.stringify(r)) as Json));
  assert.deepEqual(rebuilt(roundTripped).durableState(), want);
  // Replay is not vacuous: without a's last group record, a comes back in generation 1.
  const lastOfA = log.map((r) => r.type === 'group' && r.groupId === 'a').lastIndexOf(true);
  assert.notDeepEqual(rebuilt(log.filter((_, i) => i !== lastOfA)).durableState(), want);

  // The rebuilt coordinator carries on: a's members heartbeat in generation 2 and fetch the
  // committed offsets; a stale generation is refused; sessions run from the first tick.
  const next = rebuilt(log);
  next.tick(now);
  const hb = next.heartbeat({ requestId: 'h', groupId: 'a', generationId: 2, memberId: m2 }, now);
  assert.deepEqual(hb.events[0]?.response, { api: 'Heartbeat', errorCode: GROUP_ERR.NONE });
  const stale = next.heartbeat(
    { requestId: 'h2', groupId: 'a', generationId: 1, memberId: m1 },
    now,
  );
  assert.deepEqual(stale.events[0]?.response, {
    api: 'Heartbeat',
    errorCode: GROUP_ERR.ILLEGAL_GENERATION,
  });
  assert.deepEqual(
    next
      .fetchOffsets({ groupId: 'a', topics: null })
      .topics[0]?.partitions.map((p) => [p.partition, p.offset]),
    [
      [0, 9],
      [1, 7],
    ],
  );
  next.heartbeat({ requestId: 'h3', groupId: 'a', generationId: 2, memberId: m2 }, now + 5_000);
  const expired = next.tick(now + 10_000);
  assert.equal(expired.records.length, 0);
  assert.equal(next.inspect('a')?.state, 'PreparingRebalance', 'm1 went silent after the failover');
});

test('a malformed stored record is refused with a typed error', () => {
  for (const bad of [
    null,
    { type: 'group', groupId: 'g' },
    { type: 'offset', groupId: 'g', topic: 't', partition: 1.5 },
    { type: 'mystery', groupId: 'g' },
  ] as Json[]) {
    assert.throws(
      () => parseGroupRecord(bad),
      (e: unknown) => e instanceof GroupRecordError && e.code === 'bad-group-record',
    );
  }
});
