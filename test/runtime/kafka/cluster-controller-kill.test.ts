/**
 * kill -9 of the active controller of `cluster up --system kafka` — the Raft leader of the
 * metadata quorum, which also hosts every group coordinator — under a kafkajs consumer group's
 * load: the group's coordinator moves to the new controller (FindCoordinator names it, the group
 * is Stable there with its member: the new coordinator replays the group from the metadata log,
 * so the member need not rejoin), offsets committed before the kill are still there after it,
 * every acknowledged record is read, a second member makes the group rebalance on the new
 * coordinator, and a consumer started afterwards resumes at the committed offsets. cluster.test.ts kills a partition leader that is not the controller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../../src/core/json.js';
import { clusterStatus, killNode } from '../../../src/runtime/cluster.js';
import { sleep, waitFor } from '../wait-for.js';
import {
  committed,
  consume,
  createTopic,
  disconnectWithin,
  upKafka,
  type KafkaCluster,
} from './cluster-fixture.js';

/** The node whose Raft server leads the metadata quorum now (the active controller). */
async function controllerOf(c: KafkaCluster, not?: string): Promise<string> {
  return waitFor(
    'a metadata leader',
    async () => {
      for (const s of await clusterStatus(c.dir)) {
        const node = (s.status as { node?: { role?: Json } } | null)?.node;
        if (node?.role === 'leader' && s.id !== not) return s.id;
      }
      return undefined;
    },
    15_000,
  );
}

test(
  'kafkajs: kill -9 of the controller under a group: the coordinator moves, offsets stay, nothing acknowledged is lost',
  { timeout: 60_000 },
  async (t) => {
    const c = await upKafka(t);
    const admin = c.kafka.admin();
    await admin.connect();
    t.after(() => disconnectWithin(admin));
    await createTopic(admin, 'ctl', 3, 3);
    const victim = await controllerOf(c);

    const producer = c.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    t.after(() => disconnectWithin(producer));
    const { consumer, seen } = await consume(c.kafka, 'gk', 'ctl');
    const joins: { at: number; memberId: string }[] = [];
    consumer.on(consumer.events.GROUP_JOIN, (e) =>
      joins.push({ at: Date.now(), memberId: e.payload.memberId }),
    );
    const acked = new Set<string>();
    let stop = false;
    const loops = [0, 1, 2].map(async (partition) => {
      for (let i = 0; !stop; i++) {
        const value = `p${partition}-${i}`;
        try {
          await producer.send({ topic: 'ctl', acks: -1, messages: [{ partition, value }] });
          acked.add(value);
        } catch {
          await sleep(20); // not acknowledged: the check does not count it
        }
      }
    });

    // The group has read and committed something before the kill.
    const before = await waitFor(
      'offsets committed before the kill',
      async () => {
        const o = await committed(c.kafka, 'gk', 'ctl');
        return [...o.values()].reduce((s, x) => s + Math.max(0, x), 0) >= 20 ? o : undefined;
      },
      20_000,
    );
    const ackedBeforeKill = acked.size;
    const killedAt = Date.now();
    await killNode(c.dir, victim);
    const next = await controllerOf(c, victim);
    t.diagnostic(`controller ${victim} killed; ${next} leads the metadata quorum now`);

    await waitFor(
      'acknowledgements after the kill',
      () => (acked.size >= ackedBeforeKill + 30 ? true : undefined),
      20_000,
    );
    stop = true;
    await Promise.all(loops);
    await waitFor(
      'every acknowledged record consumed by the group',
      () => ([...acked].every((v) => seen.values.has(v)) ? true : undefined),
      20_000,
    );

    // The coordinator is on the new controller, and the group is Stable there with its member.
    const group = await waitFor(
      'the group Stable on its new coordinator',
      async () => {
        const { groups } = await admin.describeGroups(['gk']);
        const g = groups[0];
        return g !== undefined && g.state === 'Stable' && g.members.length === 1 ? g : undefined;
      },
      15_000,
    );
    assert.equal(group.protocol, 'RoundRobinAssigner');
    // The member the new coordinator has is the consumer as it last joined (if it rejoined:
    // the new coordinator replays the group from the metadata log, so it need not).
    const rejoined = joins.filter((j) => j.at > killedAt);
    const lastJoin = rejoined.at(-1);
    if (lastJoin !== undefined) assert.equal(group.members[0]?.memberId, lastJoin.memberId);
    t.diagnostic(
      `${rejoined.length} rejoin(s) after the kill; the new coordinator serves member ` +
        `${group.members[0]?.memberId}`,
    );
    // A second member: the group rebalances on the new coordinator, the first member rejoins.
    const joinsBefore = joins.length;
    const second = await consume(c.kafka, 'gk', 'ctl');
    await waitFor(
      'a rebalance to two members on the new coordinator',
      async () => {
        const g = (await admin.describeGroups(['gk'])).groups[0];
        return g?.state === 'Stable' && g.members.length === 2 && joins.length > joinsBefore
          ? true
          : undefined;
      },
      20_000,
    );
    await disconnectWithin(second.consumer, 10_000);
    const after = await committed(c.kafka, 'gk', 'ctl');
    for (const [p, o] of before) {
      assert.ok(
        (after.get(p) ?? -1) >= o,
        `partition ${p}: committed ${o} before the kill, ${after.get(p)} after`,
      );
    }

    await disconnectWithin(consumer, 10_000); // commits what it consumed
    const from = await committed(c.kafka, 'gk', 'ctl');
    for (let i = 0; i < 15; i++) {
      await producer.send({
        topic: 'ctl',
        acks: -1,
        messages: [{ partition: i % 3, value: `after-${i}` }],
      });
    }
    const again = await consume(c.kafka, 'gk', 'ctl');
    await waitFor(
      'the records produced after the first consumer left',
      () =>
        Array.from({ length: 15 }, (_, i) => `after-${i}`).every((v) => again.seen.values.has(v))
          ? true
          : undefined,
      20_000,
    );
    await disconnectWithin(again.consumer);
    for (const [p, offsets] of again.seen.offsets) {
      const start = from.get(p) ?? 0;
      assert.ok(
        offsets.every((o) => o >= start),
        `partition ${p}: read from ${Math.min(...offsets)}, committed ${start}`,
      );
    }
  },
);
