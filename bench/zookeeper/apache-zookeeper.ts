/**
 * The reference: Apache ZooKeeper from Debian's `zookeeper` package (the jars under
 * /usr/share/java), run as Debian's zkServer.sh runs it — `java -cp zookeeper.jar
 * QuorumPeerMain zoo.cfg`, no JVM flags of ours — as 3 servers on loopback (or one, standalone),
 * each with its own zoo.cfg, dataDir and myid in a temp dir. Every setting not written below is
 * ZooKeeper's default: forceSync=yes (each txn log append is fsync'd before it is acked),
 * tickTime 2000, snapCount 100,000, globalOutstandingLimit 1000.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopAll } from '../cluster/processes.js';
import { freePorts } from '../../src/runtime/cluster.js';
import { killAll, stopOnExit, tailOf, waitUntilServing, type RunningZooKeeper } from './servers.js';

export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';

/** Why Apache ZooKeeper cannot run here, or undefined when it can. */
export function zookeeperMissing(): string | undefined {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
    return 'java is not installed (apt-get install default-jre-headless zookeeper)';
  }
  if (!existsSync(ZOOKEEPER_JAR)) {
    return `${ZOOKEEPER_JAR} is absent (apt-get install zookeeper)`;
  }
  return undefined;
}

/** Debian's package version (e.g. `3.8.0-11+deb12u2`), or undefined where dpkg does not know. */
export function debianZookeeperVersion(): string | undefined {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'zookeeper'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout !== '' ? r.stdout : undefined;
}

/** Starts `servers` (1: standalone, else an ensemble) and resolves once every one serves. */
export async function startApacheZooKeeper(
  dir: string,
  servers: number,
): Promise<RunningZooKeeper> {
  if (!Number.isSafeInteger(servers) || servers < 1) {
    throw new RangeError(`servers wants a positive integer, got ${servers}`);
  }
  const ports = await freePorts(servers * 3);
  const clientPort = (i: number): number => {
    const port = ports[i];
    if (port === undefined) throw new RangeError(`no client port for server ${i + 1}`);
    return port;
  };
  const quorum = Array.from(
    { length: servers },
    (_, i) => `server.${i + 1}=127.0.0.1:${ports[servers + i]}:${ports[2 * servers + i]}`,
  );
  const children: ChildProcess[] = [];
  for (let i = 0; i < servers; i++) {
    const data = join(dir, `zk${i + 1}`);
    mkdirSync(data, { recursive: true });
    const cfg = [
      'tickTime=2000',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${data}`,
      `clientPort=${clientPort(i)}`,
      'clientPortAddress=127.0.0.1',
      // The bench's 33 sessions come from one address; 60 per address is the default cap.
      'maxClientCnxns=0',
      '4lw.commands.whitelist=srvr,ruok',
      // Its Jetty admin server would take port 8080 on every server of the ensemble.
      'admin.enableServer=false',
      ...(servers > 1 ? quorum : []),
    ];
    writeFileSync(join(dir, `zoo${i + 1}.cfg`), cfg.join('\n') + '\n');
    if (servers > 1) writeFileSync(join(data, 'myid'), `${i + 1}\n`);
    children.push(
      spawn(
        'java',
        [
          '-cp',
          ZOOKEEPER_JAR,
          'org.apache.zookeeper.server.quorum.QuorumPeerMain',
          join(dir, `zoo${i + 1}.cfg`),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      ),
    );
  }
  const addresses = children.map((_, i) => `127.0.0.1:${clientPort(i)}`);
  const stop = stopOnExit(killAll(children), () => stopAll(children));
  try {
    const version = await waitUntilServing('zookeeper', addresses, children, tailOf(children));
    return { servers: addresses, pids: children.map((c) => c.pid ?? -1), version, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
