/**
 * `truthkit node`: run one node of a system as this process, talking TCP to its peers, with its
 * write-ahead log in --data. Runs until SIGTERM or SIGINT. See docs/runtime.md.
 */
// PBFT's Ed25519 signatures (node:crypto, so not part of the protocol code the lab bundles).
import '../../protocols/pbft/ed25519.js';
import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import type { SystemDefinition } from '../../core/system.js';
import type { NodeId } from '../../core/node.js';
import { readSecretFile } from '../../runtime/auth.js';
import { parseAddress } from '../../runtime/kv-client.js';
import {
  clusterOrder,
  MemberStateMissingError,
  runNodeProcess,
} from '../../runtime/node-process.js';
import type { Address } from '../../runtime/peer-transport.js';
import { WalCorruptionError } from '../../runtime/wal.js';
import { getSystem, systems } from '../../systems/index.js';
import type { CliIo } from '../cli-io.js';
import { givenLimits, limitOptions, limitsOf, type LimitFlags } from '../limit-options.js';
import { collect, intIn } from '../option-parsers.js';
import { systemParams } from '../system-params.js';
import { UsageError } from '../usage-error.js';

interface NodeFlags extends LimitFlags {
  system: string;
  id: string;
  listen: string;
  peers?: string;
  data: string;
  client?: string;
  etcd?: string;
  etcdAllowRemote?: boolean;
  zk?: string;
  kafka?: string;
  secretFile?: string;
  mutant?: string;
  param: string[];
  seed?: number;
  initialState: 'new' | 'existing' | 'join';
  fromSnapshot?: string;
}

/** The system by name, with its mutant and params checked; usage errors otherwise. */
export function resolveSystem(
  name: string,
  mutant: string | undefined,
  param: readonly string[],
  cluster?: readonly NodeId[],
): { system: SystemDefinition; params?: Record<string, string> } {
  const system = getSystem(name);
  if (system === undefined) {
    throw new UsageError(
      `unknown system '${name}' (choose from ${systems()
        .map((s) => s.name)
        .join(', ')})`,
    );
  }
  if (system.workload === 'none') {
    throw new UsageError(`${name} has no clients and cannot run as a service`);
  }
  if (mutant !== undefined && !system.mutants.some((m) => m.name === mutant)) {
    throw new UsageError(`${system.name} has no mutant '${mutant}'`);
  }
  const params = systemParams(system, param, cluster);
  return params === undefined ? { system } : { system, params };
}

function address(flag: string, text: string, defaultHost?: string): Address {
  try {
    if (defaultHost !== undefined && /^\d{1,5}$/.test(text.trim())) {
      return parseAddress(`${defaultHost}:${text.trim()}`);
    }
    return parseAddress(text);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `n2=host:port,n3=host:port` → map. */
export function parsePeers(text: string | undefined, self: NodeId): Map<NodeId, Address> {
  const peers = new Map<NodeId, Address>();
  if (text === undefined || text.trim() === '') return peers;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const id = eq < 0 ? '' : part.slice(0, eq).trim();
    if (id === '') throw new UsageError(`--peers: bad entry '${part}': use id=host:port`);
    if (id === self) throw new UsageError(`--peers must not list this node (${self})`);
    if (peers.has(id)) throw new UsageError(`--peers lists ${id} twice`);
    peers.set(id, address('--peers', part.slice(eq + 1)));
  }
  return peers;
}

export function nodeCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('node')
    .description('run one node of a system as this process (TCP peers, fsynced storage)')
    .requiredOption('--system <name>', 'the system to run (e.g. kv-raft)')
    .requiredOption('--id <id>', "this node's id")
    .requiredOption('--listen <host:port>', 'where peers connect')
    .option('--peers <list>', 'the other nodes: id=host:port,…')
    .requiredOption('--data <dir>', 'directory of the write-ahead log')
    .option('--client <[host:]port>', 'client port (host defaults to 127.0.0.1)')
    .option(
      '--etcd <[host:]port>',
      'serve the etcd v3 gRPC API here (etcd-raft; host defaults to 127.0.0.1)',
    )
    .option(
      '--etcd-allow-remote',
      'let --etcd bind a non-loopback address (the etcd port has no TLS or authentication)',
    )
    .option(
      '--zk <[host:]port>',
      "serve ZooKeeper's client protocol here (zookeeper; loopback only, host defaults to 127.0.0.1)",
    )
    .option(
      '--kafka <[host:]port>',
      "serve Kafka's wire protocol here (kafka; loopback only, host defaults to 127.0.0.1)",
    )
    .option('--secret-file <file>', 'cluster secret peers authenticate with (needed with peers)')
    .option('--mutant <name>', 'run a deliberately broken variant')
    .option(
      '--param <name=value>',
      "a system's own parameter (repeatable)",
      collect,
      [] as string[],
    )
    .option('--seed <s>', "seed of the node's random stream", intIn(0, 2 ** 31 - 1))
    .addOption(
      new Option(
        '--initial-state <state>',
        "'new': the cluster's first start, an empty data directory is expected; 'existing': " +
          "the member has run before, and refuses to start without its log; 'join': start " +
          'empty as no member of a running cluster, until its leader adds it (a new member, or ' +
          'one whose data is gone, after its removal)',
      )
        .choices(['new', 'existing', 'join'])
        .default('new'),
    )
    .option(
      '--from-snapshot <file>',
      'start this new member with the store of a snapshot file (etcdctl snapshot save; etcd-raft)',
    )
    .action(async (flags: NodeFlags) => {
      if (!/^[\w.-]{1,64}$/.test(flags.id)) {
        throw new UsageError('--id: letters, digits, _ . - only (at most 64)');
      }
      const peers = parsePeers(flags.peers, flags.id);
      const joining = flags.initialState === 'join';
      const canJoin = getSystem(flags.system)?.membership !== undefined;
      if (joining && getSystem(flags.system) !== undefined && !canJoin) {
        throw new UsageError(`--initial-state join: ${flags.system} has no membership changes`);
      }
      const { system, params } = resolveSystem(
        flags.system,
        flags.mutant,
        joining ? [...flags.param, 'join=on'] : flags.param,
        clusterOrder([flags.id, ...peers.keys()]),
      );
      if (peers.size + 1 < system.minNodes) {
        throw new UsageError(`${system.name} needs at least ${system.minNodes} nodes`);
      }
      if (peers.size > 0 && flags.secretFile === undefined) {
        throw new UsageError('peers authenticate with a cluster secret: pass --secret-file');
      }
      let etcd: Address | undefined;
      if (flags.etcd !== undefined) {
        if (system.etcdApi !== true) {
          const serving = systems().filter((s) => s.etcdApi === true);
          throw new UsageError(
            `--etcd: ${system.name} does not take etcd operations (use ${serving.map((s) => s.name).join(', ')})`,
          );
        }
        etcd = address('--etcd', flags.etcd, '127.0.0.1');
        if (!isLoopback(etcd.host) && flags.etcdAllowRemote !== true) {
          throw new UsageError(
            `--etcd: ${etcd.host} is not a loopback address; the etcd port has no TLS or ` +
              'authentication (pass --etcd-allow-remote to bind it anyway)',
          );
        }
      }
      let zookeeper: Address | undefined;
      if (flags.zk !== undefined) {
        if (system.zookeeperApi !== true) {
          const serving = systems().filter((s) => s.zookeeperApi === true);
          throw new UsageError(
            `--zk: ${system.name} is not a ZooKeeper service (use ${serving.map((s) => s.name).join(', ')})`,
          );
        }
        zookeeper = address('--zk', flags.zk, '127.0.0.1');
        // ACLs are not enforced: the port is for this machine's clients only.
        if (!isLoopback(zookeeper.host)) {
          throw new UsageError(`--zk: ${zookeeper.host} is not a loopback address`);
        }
      }
      let kafka: Address | undefined;
      if (flags.kafka !== undefined) {
        if (system.kafkaApi !== true) {
          const serving = systems().filter((s) => s.kafkaApi === true);
          throw new UsageError(
            `--kafka: ${system.name} is not a Kafka service (use ${serving.map((s) => s.name).join(', ')})`,
          );
        }
        kafka = address('--kafka', flags.kafka, '127.0.0.1');
        // No SASL or TLS: the port is for this machine's clients only.
        if (!isLoopback(kafka.host)) {
          throw new UsageError(`--kafka: ${kafka.host} is not a loopback address`);
        }
      }
      if (flags.fromSnapshot !== undefined && system.etcdApi !== true) {
        throw new UsageError(`--from-snapshot: ${system.name} holds no etcd store`);
      }
      const limits = limitsOf(givenLimits(flags));
      let secret: Buffer | undefined;
      if (flags.secretFile !== undefined) {
        try {
          secret = readSecretFile(flags.secretFile);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      }
      try {
        const node = await runNodeProcess({
          system,
          id: flags.id,
          listen: address('--listen', flags.listen),
          peers,
          dataDir: flags.data,
          initialState: flags.initialState === 'join' ? 'new' : flags.initialState,
          ...(flags.fromSnapshot !== undefined ? { fromSnapshot: flags.fromSnapshot } : {}),
          limits,
          ...(flags.client !== undefined
            ? { client: address('--client', flags.client, '127.0.0.1') }
            : {}),
          ...(etcd !== undefined ? { etcd } : {}),
          ...(zookeeper !== undefined ? { zookeeper } : {}),
          ...(kafka !== undefined ? { kafka } : {}),
          ...(secret !== undefined ? { secret } : {}),
          ...(flags.mutant !== undefined ? { mutant: flags.mutant } : {}),
          ...(params !== undefined ? { params } : {}),
          ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        });
        const c = node.clientAddress;
        const e = node.etcdAddress;
        const z = node.zookeeperAddress;
        const k = node.kafkaAddress;
        io.out(
          `${flags.id} running ${system.name}: peers on ${node.peerAddress.host}:${node.peerAddress.port}` +
            (c !== undefined ? `, clients on ${c.host}:${c.port}` : '') +
            (e !== undefined ? `, etcd on ${e.host}:${e.port}` : '') +
            (z !== undefined ? `, zookeeper on ${z.host}:${z.port}` : '') +
            (k !== undefined ? `, kafka on ${k.host}:${k.port}` : '') +
            '\n',
        );
      } catch (e) {
        if (e instanceof UsageError) throw e;
        const err = e as NodeJS.ErrnoException;
        const what =
          e instanceof MemberStateMissingError
            ? e.message
            : e instanceof WalCorruptionError
              ? `${e.message}; refusing to start (\`truthkit wal repair ${dirname(e.file)}\` cuts ` +
                'the log there, losing that record and all after it)'
              : err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL'
                ? `cannot listen: ${err.message}`
                : err.message;
        io.err(`truthkit: ${flags.id}: ${what}\n`);
        setExit(1);
      }
    });
  // Last, so that the command's own options lead its help.
  limitOptions(command);
}
