/**
 * Seeded random runs of the group coordinator: clients in two groups join, sync (the leader
 * assigns with the range or roundrobin assignor), heartbeat, commit, rejoin, leave, and crash
 * (fall silent), while time jumps past session and rebalance timeouts. After every step the
 * driver checks, from the answers clients got and from `inspect`:
 *  - generations never go down, and each generation has one leader and one protocol;
 *  - every member of a group past PreparingRebalance was answered JoinGroup in its generation;
 *  - a SyncGroup success carries exactly what that generation's leader sent for the member, and
 *    never comes before the leader sent it; every Stable member holds its assignment from the
 *    latest sync, and no partition is assigned twice in a Stable group;
 *  - no member outlives its session unless the coordinator is holding a request of it;
 *  - no request is answered twice, and once everyone has left and time has passed, every
 *    request has been answered;
 *  - at quiet moments, replaying the records so far gives the same durable state.
 * Mutants that remove a rule are caught by these checks within the seeds below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor, type Random } from '../../../src/core/random.js';
import { assign, type AssignorName } from '../../../src/systems/kafka/assignors.js';
import {
  GroupCoordinator,
  type GroupMutant,
} from '../../../src/systems/kafka/group-coordinator.js';
import { GROUP_ERR } from '../../../src/systems/kafka/group-errors.js';
import type { GroupRecord } from '../../../src/systems/kafka/group-records.js';
import type {
  GroupEvent,
  GroupOutcome,
  MemberProtocol,
} from '../../../src/systems/kafka/group-types.js';

const SESSION = 10_000;
const REBALANCE = 15_000;
const GROUPS = ['g0', 'g1'];
const COUNTS = new Map([
  ['t0', 3],
  ['t1', 2],
  ['t2', 5],
]);

class Violation extends Error {}

interface Client {
  readonly name: string;
  readonly group: string;
  protocols: MemberProtocol[];
  memberId: string;
  generation: number;
  phase: 'out' | 'joining' | 'syncing' | 'stable' | 'leaving' | 'crashed' | 'gone';
  leaderOf: {
    generation: number;
    protocol: string;
    members: { memberId: string; metadata: string }[];
  } | null;
  outstanding: number;
}

interface Sent {
  readonly client: Client;
  readonly api: string;
  /** The member id the request was sent as ('' for a first join). */
  readonly memberId: string;
}

/** Runs one seed; returns everything the coordinator said, for comparing two runs. */
function run(seed: number, steps: number, mutant?: GroupMutant): string {
  const r: Random = streamFor(seed, 'test:group-random');
  const c = new GroupCoordinator({
    initialRebalanceDelayMs: r.pick([0, 0, 2_000]),
    memberIdTag: 'x',
    ...(mutant === undefined ? {} : { mutant }),
  });
  let now = 0;
  let seq = 0;
  const records: GroupRecord[] = [];
  const sent = new Map<string, Sent>();
  const answered = new Set<string>();
  const lastHeard = new Map<string, number>(); // member id → last request or answer
  const topGeneration = new Map<string, number>();
  const genInfo = new Map<string, { leader: string; protocol: string | null }>(); // group/gen
  const joinedIn = new Map<string, Set<string>>(); // group/gen → members answered NONE
  const leaderSent = new Map<string, Map<string, string>>(); // group/gen → member → assignment
  const fail = (what: string): never => {
    throw new Violation(`seed ${seed} step at ${now} ms: ${what}`);
  };

  const subsFor = (i: number): MemberProtocol[] => {
    const topics = ['t0', 't1', 't2'].filter((_, j) => (i + j) % 3 !== 0 || j === 0).join(',');
    if (i % 5 === 4) return [{ name: 'roundrobin', metadata: topics }];
    return [
      { name: 'range', metadata: topics },
      { name: 'roundrobin', metadata: topics },
    ];
  };
  const clients: Client[] = [];
  for (let i = 0; i < 7; i++) {
    clients.push({
      name: `k${i}`,
      group: GROUPS[i % 2] ?? 'g0',
      protocols: subsFor(i),
      memberId: '',
      generation: -1,
      phase: 'out',
      leaderOf: null,
      outstanding: 0,
    });
  }

  const key = (group: string, gen: number) => `${group}/${gen}`;
  const deliver = (e: GroupEvent) => {
    const s = sent.get(e.requestId) ?? fail(`answer to unknown request ${e.requestId}`);
    if (answered.has(e.requestId)) fail(`request ${e.requestId} answered twice`);
    answered.add(e.requestId);
    const cl = s.client;
    cl.outstanding -= 1;
    const res = e.response;
    if (res.api === 'JoinGroup') {
      lastHeard.set(res.memberId, now);
      if (res.errorCode === GROUP_ERR.NONE) {
        const k = key(cl.group, res.generationId);
        const info = genInfo.get(k);
        if (info === undefined) genInfo.set(k, { leader: res.leader, protocol: res.protocolName });
        else if (info.leader !== res.leader || info.protocol !== res.protocolName) {
          fail(`generation ${k} has two leaders or protocols`);
        }
        const set = joinedIn.get(k) ?? new Set<string>();
        set.add(res.memberId);
        joinedIn.set(k, set);
      }
      if (cl.phase === 'crashed' || cl.phase === 'gone') return;
      if (res.errorCode === GROUP_ERR.NONE) {
        cl.memberId = res.memberId;
        cl.generation = res.generationId;
        cl.phase = 'syncing';
        cl.leaderOf =
          res.leader === res.memberId
            ? {
                generation: res.generationId,
                protocol: res.protocolName ?? '',
                members: [...res.members],
              }
            : null;
      } else if (res.errorCode === GROUP_ERR.MEMBER_ID_REQUIRED) {
        cl.memberId = res.memberId;
        cl.phase = 'out';
      } else if (res.errorCode === GROUP_ERR.UNKNOWN_MEMBER_ID) {
        cl.memberId = '';
        cl.phase = 'out';
      } else {
        cl.phase = 'out';
      }
    } else if (res.api === 'SyncGroup') {
      lastHeard.set(s.memberId, now);
      if (res.errorCode === GROUP_ERR.NONE) {
        const gen = cl.generation;
        const fromLeader =
          leaderSent.get(key(cl.group, gen)) ??
          fail(`${s.memberId} synced in ${key(cl.group, gen)} before the leader`);
        if ((fromLeader.get(s.memberId) ?? '') !== res.assignment) {
          fail(
            `${s.memberId} got ${res.assignment}, the leader sent ${fromLeader.get(s.memberId) ?? ''}`,
          );
        }
      }
      if (cl.phase === 'crashed' || cl.phase === 'gone') return;
      if (res.errorCode === GROUP_ERR.NONE) cl.phase = 'stable';
      else {
        if (res.errorCode === GROUP_ERR.UNKNOWN_MEMBER_ID) cl.memberId = '';
        cl.phase = 'out';
      }
    } else if (res.api === 'Heartbeat') {
      if (cl.phase !== 'stable' && cl.phase !== 'syncing') return;
      if (res.errorCode === GROUP_ERR.UNKNOWN_MEMBER_ID) {
        cl.memberId = '';
        cl.phase = 'out';
      } else if (res.errorCode !== GROUP_ERR.NONE) cl.phase = 'out';
    } else if (res.api === 'LeaveGroup') {
      if (cl.phase === 'leaving') cl.phase = r.chance(0.5) ? 'out' : 'gone';
      cl.memberId = '';
    }
  };
  const transcript: GroupOutcome[] = [];
  const apply = (o: GroupOutcome) => {
    transcript.push(o);
    records.push(...o.records);
    for (const e of o.events) deliver(e);
  };
  const send = (cl: Client, api: string): string => {
    seq += 1;
    const requestId = `q${seq}`;
    sent.set(requestId, { client: cl, api, memberId: cl.memberId });
    cl.outstanding += 1;
    if (cl.memberId !== '') lastHeard.set(cl.memberId, now);
    return requestId;
  };

  const act = (cl: Client) => {
    if (cl.phase === 'crashed' || cl.phase === 'gone' || cl.phase === 'leaving') return;
    if (cl.outstanding > 0) return; // waiting on a held JoinGroup or SyncGroup
    const g = cl.group;
    if (cl.phase === 'out') {
      cl.phase = 'joining';
      apply(
        c.joinGroup(
          {
            requestId: send(cl, 'join'),
            groupId: g,
            memberId: cl.memberId,
            clientId: cl.name,
            clientHost: 'h',
            sessionTimeoutMs: SESSION,
            rebalanceTimeoutMs: REBALANCE,
            protocolType: 'consumer',
            protocols: cl.protocols,
            requireKnownMemberId: r.chance(0.7),
          },
          now,
        ),
      );
      return;
    }
    if (cl.phase === 'syncing') {
      let assignments: { memberId: string; assignment: string }[] = [];
      const lead = cl.leaderOf;
      if (lead !== null && lead.generation === cl.generation) {
        const subs = lead.members.map((m) => ({
          memberId: m.memberId,
          topics: m.metadata.split(','),
        }));
        const a = assign(lead.protocol as AssignorName, COUNTS, subs);
        assignments = [...a].map(([memberId, tps]) => ({
          memberId,
          assignment: JSON.stringify(tps),
        }));
        const k = key(g, cl.generation);
        if (!leaderSent.has(k))
          leaderSent.set(k, new Map(assignments.map((x) => [x.memberId, x.assignment])));
      }
      apply(
        c.syncGroup(
          {
            requestId: send(cl, 'sync'),
            groupId: g,
            generationId: cl.generation,
            memberId: cl.memberId,
            protocolType: null,
            protocolName: null,
            assignments,
          },
          now,
        ),
      );
      return;
    }
    // stable
    const roll = r.next();
    if (roll < 0.7) {
      apply(
        c.heartbeat(
          {
            requestId: send(cl, 'hb'),
            groupId: g,
            generationId: cl.generation,
            memberId: cl.memberId,
          },
          now,
        ),
      );
    } else if (roll < 0.85) {
      apply(
        c.commitOffsets(
          {
            requestId: send(cl, 'commit'),
            groupId: g,
            generationId: cl.generation,
            memberId: cl.memberId,
            topics: [
              {
                topic: 't0',
                partitions: [
                  { partition: r.int(3), offset: r.int(100), leaderEpoch: 0, metadata: '' },
                ],
              },
            ],
          },
          now,
        ),
      );
    } else if (roll < 0.93) {
      cl.phase = 'out'; // rejoin (as on a metadata change)
    } else {
      cl.phase = 'leaving';
      apply(
        c.leaveGroup({ requestId: send(cl, 'leave'), groupId: g, memberIds: [cl.memberId] }, now),
      );
    }
  };

  const check = () => {
    for (const g of GROUPS) {
      const v = c.inspect(g);
      if (v === undefined) continue;
      const top = topGeneration.get(g) ?? 0;
      if (v.generationId < top) fail(`${g} generation went from ${top} to ${v.generationId}`);
      topGeneration.set(g, v.generationId);
      if (v.state === 'CompletingRebalance' || v.state === 'Stable') {
        const joined = joinedIn.get(key(g, v.generationId)) ?? new Set<string>();
        for (const m of v.members) {
          if (!joined.has(m.memberId))
            fail(`${m.memberId} is in ${key(g, v.generationId)} without having joined it`);
        }
      }
      if (v.state === 'Stable') {
        const fromLeader =
          leaderSent.get(key(g, v.generationId)) ??
          fail(`${key(g, v.generationId)} Stable without a leader's sync`);
        const owners = new Map<string, string>();
        for (const m of v.members) {
          if (m.assignment !== (fromLeader.get(m.memberId) ?? ''))
            fail(`${m.memberId} holds a stale assignment`);
          if (m.assignment === '') continue;
          for (const tp of JSON.parse(m.assignment) as { topic: string; partition: number }[]) {
            const k = `${tp.topic}-${tp.partition}`;
            if (owners.has(k)) fail(`${k} assigned to ${owners.get(k)} and ${m.memberId}`);
            owners.set(k, m.memberId);
          }
        }
      }
      for (const m of v.members) {
        if (m.awaitingJoin || m.awaitingSync) continue;
        const heard = lastHeard.get(m.memberId) ?? fail(`${m.memberId} never heard from`);
        if (now >= heard + SESSION) fail(`${m.memberId} silent since ${heard} is still a member`);
      }
    }
  };

  const quiet = () =>
    GROUPS.every((g) => {
      const s = c.inspect(g)?.state;
      return s === undefined || s === 'Stable' || s === 'Empty';
    });

  for (let step = 0; step < steps; step++) {
    now += r.int(2_500);
    apply(c.tick(now));
    const cl = r.pick(clients);
    if (cl.phase !== 'crashed' && cl.phase !== 'gone' && r.chance(0.02)) cl.phase = 'crashed';
    else if (cl.phase === 'crashed' && r.chance(0.1)) {
      cl.phase = 'out'; // restarted: a new process, a new member id
      cl.memberId = '';
    } else act(cl);
    check();
    if (step % 25 === 0 && quiet()) {
      const replayed = new GroupCoordinator({ memberIdTag: 'y' });
      for (const rec of records) replayed.replay(rec);
      assert.deepEqual(
        replayed.durableState(),
        c.durableState(),
        `seed ${seed} step ${step}: replay`,
      );
    }
  }
  // Everyone still in leaves; then time passes: every request must have been answered.
  for (const cl of clients) {
    if (cl.memberId !== '' && cl.phase !== 'crashed' && cl.phase !== 'gone') {
      apply(
        c.leaveGroup(
          { requestId: send(cl, 'leave'), groupId: cl.group, memberIds: [cl.memberId] },
          now,
        ),
      );
    }
  }
  for (let i = 0; i < 10; i++) {
    now += REBALANCE;
    apply(c.tick(now));
  }
  const open = [...sent.keys()].filter((id) => !answered.has(id));
  if (open.length > 0) fail(`requests never answered: ${open.slice(0, 5).join(', ')}`);
  for (const g of GROUPS) {
    const s = c.inspect(g)?.state;
    if (s !== undefined && s !== 'Empty') fail(`${g} ends ${s} with nobody left`);
  }
  return JSON.stringify(transcript);
}

const SEEDS = 30;
const STEPS = 400;

test(`random runs: invariants hold over ${SEEDS} seeds × ${STEPS} steps`, () => {
  for (let seed = 1; seed <= SEEDS; seed++) run(seed, STEPS);
});

test('the same seed gives the same run, answer for answer and record for record', () => {
  assert.equal(run(7, STEPS), run(7, STEPS));
  assert.notEqual(run(7, STEPS), run(8, STEPS));
});

for (const mutant of ['keep-absent-members', 'no-session-expiry', 'sync-before-leader'] as const) {
  test(`random runs catch the ${mutant} mutant`, () => {
    let caught: string | undefined;
    for (let seed = 1; seed <= SEEDS && caught === undefined; seed++) {
      try {
        run(seed, STEPS, mutant);
      } catch (e) {
        if (!(e instanceof Violation)) throw e;
        caught = e.message;
      }
    }
    assert.ok(caught !== undefined, `${mutant} not caught in ${SEEDS} seeds`);
  });
}
