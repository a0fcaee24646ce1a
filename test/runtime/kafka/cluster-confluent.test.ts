/**
 * python3-confluent-kafka (librdkafka, Debian's, imported under /usr/bin/python3) against the
 * 3-broker `cluster up --system kafka`: a topic of 3 partitions with replication factor 3 created
 * through its AdminClient, records produced with acks=all and idempotence, read by a consumer
 * group that commits synchronously and closes; a second consumer process of the group then reads
 * only what was produced after the commit, starting at the committed offsets. Under `CI` a
 * missing client fails the test instead of skipping it (test/support/tools.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { needTool, probe, PYTHON } from '../../support/tools.js';
import { upKafka } from './cluster-fixture.js';

const hasConfluent = probe['confluent-kafka']();

const SCRIPT = `
import json, sys
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, phase, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = {}
if phase == "first":
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for name, f in admin.create_topics([NewTopic("cc", 3, 3)], operation_timeout=10).items():
        f.result(timeout=20)
values = [f"{phase}-{i}" for i in range(count)]
delivered = []
p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
              "linger.ms": 5, "message.timeout.ms": 20000})
for i, v in enumerate(values):
    p.produce("cc", value=v.encode(), partition=i % 3,
              on_delivery=lambda err, msg: delivered.append(None if err else msg.offset()))
p.flush(25)
out["delivered"] = len([d for d in delivered if d is not None])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "ccg", "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "session.timeout.ms": 6000})
c.subscribe(["cc"])
got = []
first_offsets = {}
polls = 0
while len(got) < count and polls < 300:
    m = c.poll(0.1)
    polls += 1
    if m is None or m.error():
        continue
    got.append(m.value().decode())
    first_offsets.setdefault(m.partition(), m.offset())
c.commit(asynchronous=False)
committed = c.committed([TopicPartition("cc", i) for i in range(3)], timeout=10)
extra = c.poll(0.5)
out["extra"] = None if extra is None or extra.error() else extra.value().decode()
c.close()
out["got"] = sorted(got)
out["first"] = {str(k): v for k, v in first_offsets.items()}
out["committed"] = {str(tp.partition): tp.offset for tp in committed}
print(json.dumps(out))
`;

interface Phase {
  delivered: number;
  got: string[];
  extra: string | null;
  first: Record<string, number>;
  committed: Record<string, number>;
}

/** One client process (async: the test's own event loop stays free meanwhile). */
function confluent(bootstrap: string, phase: string, count: number): Promise<Phase> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', SCRIPT, bootstrap, phase, String(count)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 50_000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`confluent-kafka ${phase} exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Phase);
    });
  });
}

test(
  'confluent-kafka against the 3-broker cluster: acks=all, group commit, a new consumer resumes at the commit',
  { skip: needTool('confluent-kafka', hasConfluent), timeout: 120_000 },
  async (t) => {
    const c = await upKafka(t);
    const bootstrap = c.bootstrap.join(',');
    const one = await confluent(bootstrap, 'first', 60);
    assert.equal(one.delivered, 60);
    assert.deepEqual(one.got, Array.from({ length: 60 }, (_, i) => `first-${i}`).sort());
    assert.equal(one.extra, null, 'nothing more to read');
    assert.deepEqual(one.committed, { 0: 20, 1: 20, 2: 20 }, 'committed at each end');

    const two = await confluent(bootstrap, 'second', 9);
    assert.equal(two.delivered, 9);
    assert.deepEqual(
      two.got,
      Array.from({ length: 9 }, (_, i) => `second-${i}`).sort(),
      'only what came after the commit',
    );
    assert.deepEqual(two.first, { 0: 20, 1: 20, 2: 20 }, 'each partition read from its commit');
    assert.deepEqual(two.committed, { 0: 23, 1: 23, 2: 23 });
  },
);
