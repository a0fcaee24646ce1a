/**
 * Real librdkafka (Debian's kcat, librdkafka 2.0.2) against our codec, over loopback: it
 * negotiates ApiVersions (v3, flexible, first), reads our Metadata, produces batches we decode
 * with their CRC, and consumes them back through our ListOffsets and Fetch encoders. The server
 * is one-partition-fixture.ts, a test fixture; the assertions are on what kcat printed and on
 * the versions it chose against our table. Skipped when kcat is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startFixture } from './one-partition-fixture.js';
import { needTool, probe } from '../../support/tools.js';

const hasKcat = probe.kcat();
// Debian's python3-confluent-kafka lives under /usr/bin/python3, not another python3 on PATH.
const PYTHON = '/usr/bin/python3';
const hasConfluent = probe['confluent-kafka']();

/**
 * python3-confluent-kafka (librdkafka underneath) runs the APIs kcat does not: CreateTopics,
 * DeleteTopics, InitProducerId (idempotent producer), ListGroups and DescribeGroups (of a group
 * it joins first). It prints
 * one JSON line of what it saw.
 */
const CONFLUENT_SCRIPT = `
import json
import sys

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = sys.argv[1]
admin = AdminClient({"bootstrap.servers": bootstrap})
out = {}

for name, f in admin.create_topics([NewTopic("fresh", 2, 1), NewTopic("tk", 1, 1)], operation_timeout=5).items():
    try:
        f.result(timeout=5)
        out["create:" + name] = "ok"
    except KafkaException as e:
        out["create:" + name] = e.args[0].name()
for name, f in admin.delete_topics(["fresh"], operation_timeout=5).items():
    f.result(timeout=5)
    out["delete:" + name] = "ok"

producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
acked = []
for v in ["i1", "i2"]:
    producer.produce("tk", v.encode(), partition=0, on_delivery=lambda err, m: acked.append([str(err), m.offset()]))
out["unflushed"] = producer.flush(10)
out["acked"] = acked

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "g2", "session.timeout.ms": 6000})
assigned = []
consumer.subscribe(["tk"], on_assign=lambda c, parts: assigned.extend(p.partition for p in parts))
for _ in range(50):
    consumer.poll(0.1)
    if assigned:
        break
out["assigned"] = assigned
out["groups"] = sorted([g.id, g.state, g.protocol_type] for g in admin.list_groups(timeout=5))
consumer.close()
print(json.dumps(out))
`;

function run(
  cmd: string,
  args: string[],
  input = '',
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 8000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    p.stdin.end(input);
  });
}

const kcat = (args: string[], input = '') => run('kcat', args, input);

test(
  'kcat lists, produces, consumes in a group and resumes from its commit, through our codec',
  { skip: needTool('kcat', hasKcat) },
  async () => {
    const fx = await startFixture('tk');
    try {
      const broker = `127.0.0.1:${fx.port}`;
      const list = await kcat(['-L', '-b', broker, '-t', 'tk', '-m', '5']);
      assert.equal(list.code, 0, list.err);
      assert.match(list.out, /topic "tk" with 1 partitions/);
      assert.match(list.out, /partition 0, leader 1, replicas: 1, isrs: 1/);

      const produce = await kcat(
        ['-P', '-b', broker, '-t', 'tk', '-p', '0', '-m', '5'],
        'one\ntwo\nthree\n',
      );
      assert.equal(produce.code, 0, produce.err);
      assert.deepEqual(fx.values, ['one', 'two', 'three']);

      const consume = await kcat([
        '-C',
        '-b',
        broker,
        '-t',
        'tk',
        '-p',
        '0',
        '-X',
        'auto.offset.reset=earliest',
        '-e',
        '-f',
        '%o:%s\n',
        '-m',
        '5',
      ]);
      assert.equal(consume.code, 0, consume.err);
      assert.deepEqual(consume.out.trim().split('\n'), ['0:one', '1:two', '2:three']);

      // A consumer group: join (with KIP-394's member id round trip), sync, consume, commit on
      // close; a second run resumes from the committed offset and finds nothing new. (Not
      // `-o beginning`: with -G, kcat assigns that offset over the committed one.)
      const group = [
        '-G',
        'g1',
        '-b',
        broker,
        '-X',
        'auto.offset.reset=earliest',
        '-e',
        '-f',
        '%o:%s\n',
        '-m',
        '5',
        '-X',
        'session.timeout.ms=6000',
      ];
      const first = await kcat([...group, 'tk']);
      assert.equal(first.code, 0, first.err);
      assert.deepEqual(first.out.trim().split('\n'), ['0:one', '1:two', '2:three']);
      assert.equal(fx.committed.get('g1/tk/0'), 3n);
      assert.deepEqual(fx.subscriptions[0]?.topics, ['tk']);
      assert.deepEqual(fx.assignments[0]?.partitions, [{ topic: 'tk', partitions: [0] }]);
      const again = await kcat([...group, 'tk']);
      assert.equal(again.code, 0, again.err);
      assert.equal(again.out.trim(), '');

      assert.deepEqual(fx.closedFor, []);
      const chosen = [...new Set(fx.calls)].sort();
      console.log(`librdkafka chose: ${chosen.join(', ')}`);
      assert.ok(fx.calls.includes('ApiVersions v3'), 'librdkafka speaks ApiVersions v3 to us');
      assert.ok(chosen.some((c) => /^Produce v[3-7]$/.test(c)));
      assert.ok(chosen.some((c) => /^Fetch v([4-9]|1[01])$/.test(c)));
      for (const api of [
        'FindCoordinator',
        'JoinGroup',
        'SyncGroup',
        'OffsetFetch',
        'OffsetCommit',
        'LeaveGroup',
      ]) {
        assert.ok(
          chosen.some((c) => c.startsWith(`${api} v`)),
          `kcat used ${api}`,
        );
      }
    } finally {
      await fx.close();
    }
  },
);

test(
  'confluent-kafka (librdkafka) creates and deletes topics, produces idempotently and lists groups through our codec',
  { skip: needTool('confluent-kafka', hasConfluent) },
  async () => {
    const fx = await startFixture('tk');
    try {
      const broker = `127.0.0.1:${fx.port}`;
      const py = await run(PYTHON, ['-c', CONFLUENT_SCRIPT, broker]);
      assert.equal(py.code, 0, py.err);
      const seen = JSON.parse(py.out);
      assert.equal(seen['create:fresh'], 'ok');
      assert.equal(seen['create:tk'], 'TOPIC_ALREADY_EXISTS');
      assert.equal(seen['delete:fresh'], 'ok');
      assert.deepEqual(fx.created.sort(), ['fresh', 'tk']);
      assert.deepEqual(fx.deleted, ['fresh']);
      assert.equal(seen.unflushed, 0);
      assert.deepEqual(seen.acked, [
        ['None', 0],
        ['None', 1],
      ]);
      assert.deepEqual(fx.values, ['i1', 'i2']);
      assert.deepEqual(seen.assigned, [0]);
      assert.deepEqual(seen.groups, [['g2', 'Stable', 'consumer']]);
      assert.deepEqual(fx.closedFor, []);
      const chosen = [...new Set(fx.calls)].sort();
      console.log(`confluent-kafka chose: ${chosen.join(', ')}`);
      for (const api of [
        'CreateTopics',
        'DeleteTopics',
        'InitProducerId',
        'ListGroups',
        'DescribeGroups',
      ]) {
        assert.ok(
          chosen.some((c) => c.startsWith(`${api} v`)),
          `confluent-kafka used ${api}`,
        );
      }
    } finally {
      await fx.close();
    }
  },
);
