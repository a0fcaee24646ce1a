/**
 * ZooKeeper's own clients against the coordination backend on loopback: Python's kazoo
 * (Debian python3-kazoo) runs the core scenario and kazoo's Lock recipe with two contenders;
 * Debian's zkCli.sh (package zookeeper) creates, reads and lists in non-interactive mode. Each
 * test skips, saying why, when its tool is not installed. Runs in a few seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { serveCoordination } from './coord-harness.js';
import { needTool, probe, runs } from '../../support/tools.js';

/** Debian's interpreter, explicitly: another python3 earlier on PATH may lack kazoo. */
const PYTHON = '/usr/bin/python3';
const LOCK_ROUNDS = 10;

const kazooMissing = (): string | false => needTool('kazoo', probe.kazoo());

function zkCliPath(): string | undefined {
  const known = '/usr/share/zookeeper/bin/zkCli.sh';
  if (existsSync(known)) return known;
  try {
    const files = execFileSync('dpkg', ['-L', 'zookeeper'], { encoding: 'utf8', timeout: 10_000 });
    return files.split('\n').find((f) => f.endsWith('/zkCli.sh'));
  } catch {
    return undefined;
  }
}

/** Runs a tool to completion; zkCli.sh prints some results on stderr, so both are kept. */
function run(
  file: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (e, stdout, stderr) =>
      e
        ? reject(new Error(`${file} failed: ${e.message}\n${stderr}`))
        : resolve({ stdout, stderr }),
    ),
  );
}

/** kazoo's side: prints one JSON object of what it saw. */
const KAZOO_SCENARIO = `
import json, sys, threading, time
from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, NodeExistsError
from kazoo.recipe.lock import Lock

hosts = sys.argv[1]
out = {}
c = KazooClient(hosts=hosts, timeout=5)
c.start(timeout=5)
out["persistent"] = c.create("/k", b"one")
out["ephemeral"] = c.create("/k/e", b"", ephemeral=True)
out["sequential"] = c.create("/k/s-", b"", sequence=True)
out["ephemeralSequential"] = c.create("/k/es-", b"", ephemeral=True, sequence=True)
out["children"] = sorted(c.get_children("/k"))
data, stat = c.get("/k")
out["get"] = [data.decode(), stat.version]
out["set"] = c.set("/k", b"two", version=0).version
try:
    c.set("/k", b"three", version=0)
    out["badVersion"] = False
except BadVersionError:
    out["badVersion"] = True
try:
    c.create("/k")
    out["nodeExists"] = False
except NodeExistsError:
    out["nodeExists"] = True
fired = []
c.get("/k", watch=lambda e: fired.append([e.type, e.path]))
c.set("/k", b"four")
c.set("/k", b"five")
c.exists("/later", watch=lambda e: fired.append([e.type, e.path]))
c.create("/later")
time.sleep(0.2)
out["watches"] = fired
t = c.transaction()
t.create("/t1", b"x")
t.set_data("/missing", b"y")
res = t.commit()
out["multiFailed"] = [type(r).__name__ for r in res]
out["t1AfterFailed"] = c.exists("/t1") is not None
t = c.transaction()
t.create("/t1", b"x")
t.check("/t1", 0)
t.set_data("/t1", b"z")
res = t.commit()
out["multiOk"] = [r if isinstance(r, (str, bool)) else type(r).__name__ for r in res]

o = KazooClient(hosts=hosts, timeout=5)
o.start(timeout=5)
o.create("/owned", b"", ephemeral=True)
o.stop()
o.close()
out["ephemeralAfterClose"] = c.exists("/owned") is not None

holders = [0]
max_holders = [0]
acquired = [0]
guard = threading.Lock()

def contend(name):
    k = KazooClient(hosts=hosts, timeout=5)
    k.start(timeout=5)
    lock = Lock(k, "/lock", name)
    for _ in range(int(sys.argv[2])):
        with lock:
            with guard:
                holders[0] += 1
                acquired[0] += 1
                max_holders[0] = max(max_holders[0], holders[0])
            time.sleep(0.005)
            with guard:
                holders[0] -= 1
    k.stop()
    k.close()

ts = [threading.Thread(target=contend, args=(n,)) for n in ("a", "b")]
for t in ts:
    t.start()
for t in ts:
    t.join(timeout=20)
out["lockAcquired"] = acquired[0]
out["lockMaxHolders"] = max_holders[0]
out["lockLeft"] = c.get_children("/lock")
c.stop()
c.close()
print(json.dumps(out))
`;

test(
  'kazoo: core scenario and its Lock recipe with two contenders',
  { skip: kazooMissing() },
  async () => {
    const s = await serveCoordination({ tickMs: 200 });
    try {
      const args = ['-c', KAZOO_SCENARIO, `127.0.0.1:${s.port}`, String(LOCK_ROUNDS)];
      const out = JSON.parse((await run(PYTHON, args, 25_000)).stdout) as Record<string, unknown>;
      assert.deepEqual(out, {
        persistent: '/k',
        ephemeral: '/k/e',
        sequential: '/k/s-0000000001',
        ephemeralSequential: '/k/es-0000000002',
        children: ['e', 'es-0000000002', 's-0000000001'],
        get: ['one', 0],
        set: 1,
        badVersion: true,
        nodeExists: true,
        // One-shot: the second setData finds no watch left.
        watches: [
          ['CHANGED', '/k'],
          ['CREATED', '/later'],
        ],
        multiFailed: ['RolledBackError', 'NoNodeError'],
        t1AfterFailed: false,
        multiOk: ['/t1', true, 'ZnodeStat'],
        ephemeralAfterClose: false,
        lockAcquired: 2 * LOCK_ROUNDS,
        lockMaxHolders: 1,
        lockLeft: [],
      });
    } finally {
      await s.stop();
    }
  },
);

const ZKCLI = zkCliPath();
const zkCliMissing = (): string | false =>
  needTool('zkCli', ZKCLI !== undefined && runs('java', ['-version']));

test(
  'zkCli.sh: create, get, ls, setAcl/getAcl and a refused set in non-interactive mode',
  { skip: zkCliMissing() },
  async () => {
    if (ZKCLI === undefined) throw new Error('unreachable: the test is skipped');
    const s = await serveCoordination();
    try {
      const cli = async (...cmd: string[]): Promise<string> => {
        const out = await run(ZKCLI, ['-server', `127.0.0.1:${s.port}`, ...cmd], 20_000);
        return out.stdout + out.stderr;
      };
      assert.match(await cli('create', '/a', 'x'), /^Created \/a$/m);
      assert.match(await cli('get', '/a'), /^x$/m);
      assert.match(await cli('ls', '/'), /^\[a, zookeeper\]$/m);
      // Java's client decodes SetACL/GetACL replies, and NOAUTH as "Insufficient permission".
      await cli('setAcl', '/a', 'world:anyone:r');
      assert.match(await cli('getAcl', '/a'), /^'world,'anyone\n: r$/m);
      // zkCli.sh exits non-zero on a refused command.
      await assert.rejects(cli('set', '/a', 'y'), /^Insufficient permission : \/a$/m);
    } finally {
      await s.stop();
    }
  },
);
