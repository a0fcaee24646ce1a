/**
 * A Kubernetes Indexed Job that runs a sweep's shards: completion index i runs
 * `truthkit sim … --shard i/n --jsonl /out/shard-i.jsonl` onto a volume the merge reads back.
 * Kubernetes schedules, retries and parallelises; truthkit has no scheduler of its own.
 *
 * The YAML is written here, not by a library: the shape is fixed, and the project has no YAML
 * library among its runtime dependencies. Every string is emitted double-quoted through
 * JSON.stringify, whose escapes are all valid in YAML double-quoted scalars, so no value can
 * break the document; numbers are emitted bare.
 */
import { UsageError } from '../usage-error.js';

export interface JobOptions {
  /** metadata.name: a DNS-1123 label (checked). */
  readonly name: string;
  readonly image: string;
  readonly shards: number;
  readonly parallelism: number;
  /** Arguments to `truthkit sim` (system first), without --shard and --jsonl. */
  readonly simArgs: readonly string[];
  readonly cpu: string;
  readonly memory: string;
  /** PersistentVolumeClaim mounted at /out, where each shard writes its file. */
  readonly claim: string;
  /** Retries per shard: the Job gives up after retries × shards failed pods. */
  readonly retries: number;
}

export const DEFAULTS = {
  image: 'truthkit:latest',
  cpu: '1',
  memory: '1Gi',
  claim: 'truthkit-sweeps',
  retries: 2,
} as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Kubernetes quantities: `1`, `500m`, `1.5`, `1Gi`, `512M`… */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;

export function checkJobOptions(o: JobOptions): void {
  // Job names become pod-name prefixes with the index appended: 63 characters leave room.
  if (!DNS_LABEL.test(o.name) || o.name.length > 52) {
    throw new UsageError(
      `--name ${o.name}: a Job name is lower-case letters, digits and '-', at most 52 characters`,
    );
  }
  if (o.parallelism > o.shards) {
    throw new UsageError(`--parallelism ${o.parallelism} exceeds --shards ${o.shards}`);
  }
  for (const [flag, q] of [
    ['--cpu', o.cpu],
    ['--memory', o.memory],
  ] as const) {
    if (!QUANTITY.test(q)) throw new UsageError(`${flag} ${q}: not a Kubernetes quantity`);
  }
  if (!DNS_LABEL.test(o.claim)) throw new UsageError(`--claim ${o.claim}: not a valid claim name`);
  if (o.image.trim() === '' || /\s/.test(o.image)) {
    throw new UsageError(`--image '${o.image}': an image reference has no spaces`);
  }
}

const q = (s: string): string => JSON.stringify(s);

/**
 * `truthkit sim` exits 1 (a seed invalid) or 3 (a seed unknown) after writing its shard file:
 * those are results for `sweep merge` to report, not pod failures for the Job to retry (a retry
 * would replay the same seeds to the same verdicts). Other codes (2 usage, 70 internal) fail.
 */
export const FINDINGS_ARE_RESULTS =
  'truthkit "$@"; rc=$?; case $rc in 0|1|3) exit 0;; *) exit $rc;; esac';

/** The Job manifest as YAML. */
export function jobManifest(o: JobOptions): string {
  checkJobOptions(o);
  const args = [
    'sim',
    ...o.simArgs,
    '--no-progress',
    '--shard',
    `$(JOB_COMPLETION_INDEX)/${o.shards}`,
    '--jsonl',
    `/out/${o.name}/shard-$(JOB_COMPLETION_INDEX).jsonl`,
  ];
  const lines = [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${q(o.name)}`,
    '  labels:',
    `    app.kubernetes.io/name: ${q('truthkit-sweep')}`,
    'spec:',
    '  completionMode: Indexed',
    `  completions: ${o.shards}`,
    `  parallelism: ${o.parallelism}`,
    `  backoffLimit: ${o.retries * o.shards}`,
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    // The shard's folder must exist before truthkit checks its output path.
    '      initContainers:',
    '        - name: mkdir',
    `          image: ${q(o.image)}`,
    `          command: [${['mkdir', '-p', `/out/${o.name}`].map(q).join(', ')}]`,
    '          volumeMounts:',
    '            - name: out',
    `              mountPath: ${q('/out')}`,
    '      containers:',
    '        - name: sweep',
    `          image: ${q(o.image)}`,
    `          command: [${['sh', '-c', FINDINGS_ARE_RESULTS, 'truthkit-sweep'].map(q).join(', ')}]`,
    '          args:',
    ...args.map((a) => `            - ${q(a)}`),
    // Set by the Job controller too (Kubernetes ≥ 1.22); declared so $(…) expands on any version.
    '          env:',
    '            - name: JOB_COMPLETION_INDEX',
    '              valueFrom:',
    '                fieldRef:',
    `                  fieldPath: ${q("metadata.annotations['batch.kubernetes.io/job-completion-index']")}`,
    '          resources:',
    '            requests:',
    `              cpu: ${q(o.cpu)}`,
    `              memory: ${q(o.memory)}`,
    '            limits:',
    `              memory: ${q(o.memory)}`,
    '          volumeMounts:',
    '            - name: out',
    `              mountPath: ${q('/out')}`,
    '      volumes:',
    '        - name: out',
    '          persistentVolumeClaim:',
    `            claimName: ${q(o.claim)}`,
  ];
  return lines.join('\n') + '\n';
}
