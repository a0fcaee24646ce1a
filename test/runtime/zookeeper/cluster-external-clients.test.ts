/**
 * ZooKeeper's own clients against a real 3-node zookeeper cluster, through the connect string
 * `cluster up` prints. Python's kazoo (Debian python3-kazoo): writes by one session read by
 * another after sync, an ephemeral gone once its session closes, and kazoo's Lock recipe with
 * two contenders. Debian's zkCli.sh (package zookeeper): create, then get in a second run. Each
 * skips, saying why, when its tool is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { upZk } from './zk-cluster.js';
import { needTool, probe, ZKCLI } from '../../support/tools.js';

/** Debian's interpreter, explicitly: another python3 earlier on PATH may lack kazoo. */
const PYTHON = '/usr/bin/python3';

const zkCliMissing = (): string | false => needTool('zkCli', probe.zkCli());

function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { timeout: 60_000, encoding: 'utf8' }, (e, out, err) =>
      e ? reject(new Error(`${file} failed: ${e.message}\n${err}`)) : resolve(out + err),
    ),
  );
}

const kazooMissing = (): string | false => needTool('kazoo', probe.kazoo());

const SCENARIO = `
import json, sys, threading
from kazoo.client import KazooClient
from kazoo.recipe.lock import Lock

hosts = sys.argv[1]
out = {}
a = KazooClient(hosts=hosts, timeout=10)
b = KazooClient(hosts=hosts, timeout=10)
a.start(timeout=10)
b.start(timeout=10)
a.create("/kz", b"one")
a.set("/kz", b"two")
a.create("/kz/e", b"", ephemeral=True)
b.sync("/kz")
data, stat = b.get("/kz")
out["read"] = [data.decode(), stat.version]
out["children"] = sorted(b.get_children("/kz"))
holders = []
inside = [0]
overlap = [False]
def contend(client, name):
    for _ in range(5):
        with Lock(client, "/kzlock", name):
            inside[0] += 1
            if inside[0] > 1:
                overlap[0] = True
            holders.append(name)
            inside[0] -= 1
ts = [threading.Thread(target=contend, args=(a, "a")), threading.Thread(target=contend, args=(b, "b"))]
for t in ts: t.start()
for t in ts: t.join(30)
out["holds"] = len(holders)
out["overlap"] = overlap[0]
a.stop()
a.close()
b.sync("/kz")
out["ephemeralAfterClose"] = b.exists("/kz/e") is not None
b.stop()
b.close()
print(json.dumps(out))
`;

test(
  'kazoo through the connect string: sync, ephemerals, Lock',
  { skip: kazooMissing() },
  async (t) => {
    const c = await upZk(t, { params: { tick: '100' } });
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        PYTHON,
        ['-c', SCENARIO, c.connectString],
        { timeout: 60_000, encoding: 'utf8' },
        (e, out, err) =>
          e ? reject(new Error(`kazoo failed: ${e.message}\n${err}`)) : resolve(out),
      ),
    );
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    assert.deepEqual(out, {
      read: ['two', 1],
      children: ['e'],
      holds: 10,
      overlap: false,
      ephemeralAfterClose: false,
    });
  },
);

test(
  'zkCli.sh through the connect string: create, then get',
  { skip: zkCliMissing() },
  async (t) => {
    const c = await upZk(t, { params: { tick: '100' } });
    const created = await run(ZKCLI, ['-server', c.connectString, 'create', '/cli', 'hello']);
    assert.match(created, /Created \/cli/);
    const got = await run(ZKCLI, ['-server', c.connectString, 'get', '/cli']);
    assert.match(got, /^hello$/m);
  },
);
