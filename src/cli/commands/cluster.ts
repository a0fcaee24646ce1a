/**
 * `truthkit cluster up|status|down|kill|restart`: a local cluster of node processes on
 * loopback, managed through a directory (default .truthkit). See docs/runtime.md.
 */
import type { Command } from 'commander';
import type { Json } from '../../core/json.js';
import {
  clusterDown,
  ClusterError,
  clusterStatus,
  clusterUp,
  joinNode,
  killNode,
  readClusterFile,
  rejoinNode,
  restartNode,
} from '../../runtime/cluster.js';
import type { CliIo } from '../cli-io.js';
import { givenLimits, limitOptions, type LimitFlags } from '../limit-options.js';
import { collect, intIn } from '../option-parsers.js';
import { UsageError } from '../usage-error.js';
import { resolveSystem } from './node.js';

const DEFAULT_DIR = '.truthkit';

type SetExit = (code: number) => void;

/** Runs a cluster action; a ClusterError becomes one line and exit code 1. */
async function guarded(io: CliIo, setExit: SetExit, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (!(e instanceof ClusterError)) throw e;
    io.err(`truthkit: ${e.message}\n`);
    setExit(1);
  }
}

function summary(status: Json | null): string {
  if (status === null || typeof status !== 'object' || Array.isArray(status)) return 'no answer';
  const node = (status as Record<string, Json>).node as Record<string, Json> | null;
  if (node === null || typeof node !== 'object') return 'up';
  const parts: string[] = [];
  for (const k of ['role', 'term', 'leader', 'commit', 'keys']) {
    if (node[k] !== undefined && node[k] !== null) parts.push(`${k}=${JSON.stringify(node[k])}`);
  }
  const id = (status as Record<string, Json>).id;
  const inList = (k: string): boolean => Array.isArray(node[k]) && node[k].includes(id ?? null);
  if (Array.isArray(node.voters)) {
    parts.push(inList('voters') ? 'voter' : inList('learners') ? 'learner' : 'not a member');
  }
  return parts.join(' ');
}

interface UpFlags extends LimitFlags {
  nodes: number;
  spares: number;
  system: string;
  mutant?: string;
  param: string[];
  dir: string;
  fromSnapshot?: string;
}

export function clusterCommand(program: Command, io: CliIo, setExit: SetExit): void {
  const cluster = program.command('cluster').description('run a local cluster of node processes');
  const up = cluster
    .command('up')
    .description('start a fresh local cluster and print each node’s client address')
    .option('--nodes <n>', 'cluster size', intIn(1, 15), 3)
    .option(
      '--spares <n>',
      'extra nodes every member knows but that are not started nor members, for cluster join ' +
        'or etcdctl member add',
      intIn(0, 14),
      0,
    )
    .option('--system <name>', 'the system to run', 'kv-raft')
    .option('--mutant <name>', 'run a deliberately broken variant')
    .option(
      '--param <name=value>',
      "a system's own parameter, for every node (repeatable)",
      collect,
      [] as string[],
    )
    .option('--dir <dir>', 'where the cluster keeps its state', DEFAULT_DIR)
    .option(
      '--from-snapshot <file>',
      "every member's store starts from this snapshot file (etcdctl snapshot save; etcd-raft)",
    )
    .action(async (flags: UpFlags) => {
      const { system, params } = resolveSystem(
        flags.system,
        flags.mutant,
        flags.param,
        Array.from({ length: flags.nodes + flags.spares }, (_, i) => `n${i + 1}`),
      );
      if (flags.nodes < system.minNodes) {
        throw new UsageError(`${system.name} needs at least ${system.minNodes} nodes`);
      }
      if (flags.nodes + flags.spares > 15) throw new UsageError('at most 15 nodes with spares');
      if (flags.spares > 0 && system.membership === undefined) {
        throw new UsageError(`--spares: ${system.name} has no membership changes`);
      }
      if (flags.fromSnapshot !== undefined && system.etcdApi !== true) {
        throw new UsageError(`--from-snapshot: ${system.name} holds no etcd store`);
      }
      const limits = givenLimits(flags);
      await guarded(io, setExit, async () => {
        const c = await clusterUp({
          limits,
          dir: flags.dir,
          nodes: flags.nodes,
          spares: flags.spares,
          system: system.name,
          ...(flags.mutant !== undefined ? { mutant: flags.mutant } : {}),
          ...(params !== undefined ? { params } : {}),
          ...(flags.fromSnapshot !== undefined ? { fromSnapshot: flags.fromSnapshot } : {}),
        });
        const running = c.nodes.filter((n) => n.spare !== true);
        io.out(`${system.name}: ${running.length} node(s) running (state in ${flags.dir})\n`);
        for (const n of c.nodes) {
          const etcd = n.etcd !== undefined ? `  etcd ${n.etcd}` : '';
          const zk = n.zk !== undefined ? `  zk ${n.zk}` : '';
          const kafka = n.kafka !== undefined ? `  kafka ${n.kafka}` : '';
          const spare = n.spare === true ? `  spare, not started (peer ${n.peer})` : '';
          io.out(`${n.id} ${n.client}${etcd}${zk}${kafka}${spare}\n`);
        }
        const etcd = running.flatMap((n) => (n.etcd !== undefined ? [n.etcd] : []));
        if (etcd.length > 0) io.out(`etcd endpoints: ${etcd.join(',')}\n`);
        const zk = running.flatMap((n) => (n.zk !== undefined ? [n.zk] : []));
        if (zk.length > 0) io.out(`connect string: ${zk.join(',')}\n`);
        const kafka = running.flatMap((n) => (n.kafka !== undefined ? [n.kafka] : []));
        if (kafka.length > 0) io.out(`bootstrap servers: ${kafka.join(',')}\n`);
      });
    });
  // Last, so that the command's own options lead its help.
  limitOptions(up);
  cluster
    .command('status')
    .description('show each node: pid, client address, role')
    .option('--dir <dir>', 'the cluster’s directory', DEFAULT_DIR)
    .option('--json', 'one JSON object per node')
    .action(async (flags: { dir: string; json?: boolean }) => {
      await guarded(io, setExit, async () => {
        const c = readClusterFile(flags.dir);
        const states = await clusterStatus(flags.dir);
        if (!flags.json) io.out(`${c.system}, ${states.length} node(s)\n`);
        for (const s of states) {
          if (flags.json) io.out(JSON.stringify(s) + '\n');
          else {
            const state =
              s.pid !== null
                ? `pid ${s.pid}  ${summary(s.status)}`
                : s.spare === true
                  ? 'spare, not started'
                  : 'down';
            const etcd = s.etcd !== undefined ? `  etcd ${s.etcd}` : '';
            const zk = s.zk !== undefined ? `  zk ${s.zk}` : '';
            const kafka = s.kafka !== undefined ? `  kafka ${s.kafka}` : '';
            io.out(`${s.id} ${s.client}${etcd}${zk}${kafka}  ${state}\n`);
          }
        }
        const missing = (s: (typeof states)[number]): boolean =>
          s.spare !== true && (s.pid === null || s.status === null);
        if (states.some(missing)) setExit(1);
      });
    });
  cluster
    .command('down')
    .description('stop every node (SIGTERM, then SIGKILL)')
    .option('--dir <dir>', 'the cluster’s directory', DEFAULT_DIR)
    .action(async (flags: { dir: string }) => {
      await guarded(io, setExit, async () => {
        const stopped = await clusterDown(flags.dir);
        io.out(stopped.length > 0 ? `stopped ${stopped.join(', ')}\n` : 'nothing was running\n');
      });
    });
  cluster
    .command('kill')
    .description('kill -9 one node (a crash: unsynced writes are lost)')
    .argument('<node>', 'node id')
    .option('--dir <dir>', 'the cluster’s directory', DEFAULT_DIR)
    .action(async (id: string, flags: { dir: string }) => {
      await guarded(io, setExit, async () => {
        if (await killNode(flags.dir, id)) io.out(`killed ${id}\n`);
        else {
          io.err(`truthkit: ${id} is not running\n`);
          setExit(1);
        }
      });
    });
  cluster
    .command('restart')
    .description('stop a node if it runs, start it again from its data')
    .argument('<node>', 'node id')
    .option('--dir <dir>', 'the cluster’s directory', DEFAULT_DIR)
    .option(
      '--force-new',
      'start the node even if its data is gone, empty, as a fresh voter (it may vote twice in a ' +
        'term it voted in before)',
    )
    .action(async (id: string, flags: { dir: string; forceNew?: boolean }) => {
      await guarded(io, setExit, async () => {
        const status = await restartNode(flags.dir, id, { forceNew: flags.forceNew === true });
        io.out(`${id} running  ${summary(status)}\n`);
      });
    });
  cluster
    .command('join')
    .description(
      'start a node that is not a member (a spare) empty, as a joining server, and have the ' +
        'leader add it: a learner, promoted to voter once caught up',
    )
    .argument('<node>', 'node id')
    .option('--dir <dir>', 'the cluster’s directory', DEFAULT_DIR)
    .option('--learner', 'leave it a learner (promote it later, e.g. etcdctl member promote)')
    .action(async (id: string, flags: { dir: string; learner?: boolean }) => {
      await guarded(io, setExit, async () => {
        await joinNode(flags.dir, id, {
          learner: flags.learner === true,
          onStep: (what) => io.out(what + '\n'),
        });
      });
    });
  cluster
    .command('rejoin')
    .description(
      'bring back a member whose data is gone through a membership change: removed, started ' +
        'empty, added as a learner, promoted once caught up (its data directory is discarded)',
    )
    .argument('<node>', 'node id')
    .option('--dir <dir>', 'the cluster’s directory', DEFAULT_DIR)
    .action(async (id: string, flags: { dir: string }) => {
      await guarded(io, setExit, async () => {
        await rejoinNode(flags.dir, id, (what) => io.out(what + '\n'));
      });
    });
}
