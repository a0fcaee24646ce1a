/**
 * External tools some tests drive (real etcd, etcdctl, ZooKeeper's zkCli.sh, kazoo, kcat,
 * confluent-kafka, nats-server, Chromium, psql). Locally a missing tool skips those tests with a
 * printed reason; under CI (the `CI` variable set, as .ci/run's runners set it) a missing tool
 * is an error, so a runner that lost a package cannot pass by skipping what it was meant to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What each tool is, and the Debian package that provides it (the one .ci/run installs). */
export const TOOLS = {
  etcd: 'etcd-server',
  etcdctl: 'etcd-client',
  zkCli: 'zookeeper',
  kazoo: 'python3-kazoo',
  kcat: 'kcat',
  'confluent-kafka': 'python3-confluent-kafka',
  'nats-server': 'nats-server',
  chromium: 'chromium',
  psql: 'postgresql-client',
} as const;

export type Tool = keyof typeof TOOLS;

/** Thrown under CI for a missing tool; `code` names it, for tests that check which one. */
export class ToolMissingError extends Error {
  readonly code = 'TOOL_MISSING';
  constructor(
    readonly tool: Tool,
    message: string,
  ) {
    super(message);
    this.name = 'ToolMissingError';
  }
}

/** Is this a CI run? Any non-empty `CI` counts (GitHub and GitLab set CI=true). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env['CI'] ?? '') !== '';
}

/**
 * The `skip` option for a test that needs `tool`: false when it is present; otherwise the reason
 * to print, or, under CI, a thrown ToolMissingError (a file that calls this at load fails whole,
 * which is the point).
 */
export function needTool(
  tool: Tool,
  present: boolean,
  env: NodeJS.ProcessEnv = process.env,
): string | false {
  if (present) return false;
  const reason = `${tool} is not installed (apt-get install ${TOOLS[tool]})`;
  if (inCi(env)) {
    throw new ToolMissingError(tool, `CI is set and ${reason}: .ci/run must install it`);
  }
  return reason;
}

/** Does `command args…` run and exit 0 (a quick probe such as `etcdctl version`)? */
export function runs(command: string, args: readonly string[]): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined && r.status === 0;
}

/** The Python every kazoo and confluent-kafka test runs (Debian's, where apt installs them). */
export const PYTHON = '/usr/bin/python3';

/** Does Debian's Python import `module`? */
export function pythonImports(module: string): boolean {
  return existsSync(PYTHON) && runs(PYTHON, ['-c', `import ${module}`]);
}

/** Debian's zkCli.sh (package zookeeper); it runs on Java, which the package pulls in. */
export const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';

/** Probes for every tool, for tests that only need to know whether it is there. */
export const probe: Record<Tool, () => boolean> = {
  etcd: () => runs('etcd', ['--version']),
  etcdctl: () => runs('etcdctl', ['version']),
  zkCli: () => existsSync(ZKCLI) && runs('java', ['-version']),
  kazoo: () => pythonImports('kazoo'),
  kcat: () => runs('kcat', ['-V']),
  'confluent-kafka': () => pythonImports('confluent_kafka'),
  'nats-server': () => runs('nats-server', ['--version']),
  chromium: () => existsSync('/usr/bin/chromium'),
  psql: () => runs('psql', ['--version']),
};

/** `needTool(tool, probe[tool]())`: the skip option for a test that needs `tool`. */
export function skipWithout(tool: Tool): string | false {
  return needTool(tool, probe[tool]());
}
