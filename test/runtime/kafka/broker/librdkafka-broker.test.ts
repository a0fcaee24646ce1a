/**
 * librdkafka's clients against `truthkit kafka serve` run as a child process: kcat producing and
 * consuming in a group (-G) that resumes from its committed offsets across a broker restart, and
 * python3-confluent-kafka (under /usr/bin/python3) with an idempotent producer, a consumer group
 * committing synchronously, and a resume after the restart. Skipped when the client is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { spawnBroker, tempDir } from './broker-fixture.js';
import { needTool, probe } from '../../../support/tools.js';

const hasKcat = probe.kcat();
const PYTHON = '/usr/bin/python3';
const hasConfluent = probe['confluent-kafka']();

function kcat(args: readonly string[], input?: string): { out: string[]; err: string } {
  const r = spawnSync('kcat', [...args], { input: input ?? '', encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `kcat ${args.join(' ')} failed: ${r.stderr}`);
  return { out: r.stdout.split('\n').filter((l) => l !== ''), err: r.stderr };
}

test(
  'kcat: produce, consume in a group, resume from the committed offset after a restart',
  { skip: needTool('kcat', hasKcat), timeout: 60_000 },
  async () => {
    const { dir, remove } = tempDir('kcat');
    let broker = await spawnBroker(dir, ['--auto-create', '--partitions', '2']);
    try {
      const b = () => `127.0.0.1:${broker.port}`;
      const first = Array.from({ length: 20 }, (_, i) => `first-${i}`);
      kcat(
        ['-b', b(), '-P', '-t', 'kt', '-X', 'acks=all', '-X', 'enable.idempotence=true'],
        first.join('\n') + '\n',
      );
      // auto.offset.reset, not -o beginning, so that committed offsets are honoured on the second run.
      const group = [
        '-G',
        'kg',
        '-X',
        'auto.offset.reset=earliest',
        '-X',
        'enable.auto.commit=true',
        '-e',
        '-q',
      ];
      const read1 = kcat(['-b', b(), ...group, 'kt']);
      assert.deepEqual([...read1.out].sort(), [...first].sort());

      assert.equal(await broker.stop(), 0);
      broker = await spawnBroker(dir, ['--auto-create', '--partitions', '2']);
      const second = Array.from({ length: 7 }, (_, i) => `second-${i}`);
      kcat(['-b', b(), '-P', '-t', 'kt', '-X', 'acks=all'], second.join('\n') + '\n');
      const read2 = kcat(['-b', b(), ...group, 'kt']);
      assert.deepEqual(
        [...read2.out].sort(),
        [...second].sort(),
        'only what came after the commit',
      );
      const all = kcat(['-b', b(), '-C', '-t', 'kt', '-o', 'beginning', '-e', '-q']);
      assert.equal(all.out.length, 27);
    } finally {
      await broker.stop().catch(() => null);
      remove();
    }
  },
);

const CONFLUENT = `
import json, sys
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, phase = sys.argv[1], sys.argv[2]
out = {}
if phase == "first":
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for name, f in admin.create_topics([NewTopic("ct", 2, 1)], operation_timeout=5).items():
        f.result(timeout=10)
values = [f"{phase}-{i}" for i in range(50 if phase == "first" else 5)]
delivered = []
p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5})
for i, v in enumerate(values):
    p.produce("ct", value=v.encode(), partition=i % 2,
              on_delivery=lambda err, msg: delivered.append(None if err else msg.offset()))
p.flush(15)
out["delivered"] = len([d for d in delivered if d is not None])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "cg", "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "session.timeout.ms": 6000})
c.subscribe(["ct"])
got = []
deadline = 0
while len(got) < len(values) and deadline < 200:
    m = c.poll(0.1)
    deadline += 1
    if m is None or m.error():
        continue
    got.append(m.value().decode())
c.commit(asynchronous=False)
extra = c.poll(0.5)
out["extra"] = None if extra is None or extra.error() else extra.value().decode()
c.close()
out["got"] = sorted(got)
print(json.dumps(out))
`;

function confluent(
  port: number,
  phase: string,
): { delivered: number; got: string[]; extra: string | null } {
  const r = spawnSync(PYTHON, ['-c', CONFLUENT, `127.0.0.1:${port}`, phase], {
    encoding: 'utf8',
    timeout: 40_000,
  });
  assert.equal(r.status, 0, `confluent-kafka ${phase}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
}

test(
  'confluent-kafka: idempotent producer, group commit, resume after a restart',
  { skip: needTool('confluent-kafka', hasConfluent), timeout: 90_000 },
  async () => {
    const { dir, remove } = tempDir('ck');
    let broker = await spawnBroker(dir);
    try {
      const one = confluent(broker.port, 'first');
      assert.equal(one.delivered, 50);
      assert.deepEqual(one.got, Array.from({ length: 50 }, (_, i) => `first-${i}`).sort());
      assert.equal(one.extra, null);
      assert.equal(await broker.stop(), 0);
      broker = await spawnBroker(dir);
      const two = confluent(broker.port, 'second');
      assert.equal(two.delivered, 5);
      assert.deepEqual(
        two.got,
        Array.from({ length: 5 }, (_, i) => `second-${i}`).sort(),
        'resumed at the commit',
      );
    } finally {
      await broker.stop().catch(() => null);
      remove();
    }
  },
);
