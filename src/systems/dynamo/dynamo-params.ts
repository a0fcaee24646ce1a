/**
 * The dynamo system's parameters (`truthkit sim dynamo --param name=value`), checked: a bad value
 * is a one-line usage error naming it.
 */
import { CRDT_NAMES, isCrdtName, type CrdtName } from '../../protocols/crdt/crdt.js';

export const CLOCK_KINDS = ['dvv', 'vv', 'lww'] as const;
export type ClockKind = (typeof CLOCK_KINDS)[number];
export type ValueType = 'register' | CrdtName;

export const DYNAMO_PARAMS = [
  { name: 'n', description: 'replicas per key: the preference list length (default 3)' },
  { name: 'r', description: 'replies a read waits for (default 2, at most n)' },
  { name: 'w', description: 'acknowledgements a write waits for (default 2, at most n)' },
  { name: 'vnodes', description: 'virtual nodes (tokens) per node on the ring (default 8)' },
  {
    name: 'sloppy',
    description:
      "'on' (default): sloppy quorums — an unreachable replica's write goes to the next node " +
      "on the ring with a hint, handed off later; 'off': strict quorums of the preference list",
  },
  {
    name: 'clocks',
    description:
      "how a register's concurrent writes are kept: 'dvv' (default) dotted version vectors, " +
      "'vv' one version vector per key (false siblings), 'lww' last writer wins (lost updates)",
  },
  {
    name: 'type',
    description: `'register' (default: a cart of items with siblings) or a CRDT: ${CRDT_NAMES.join(', ')}`,
  },
  { name: 'ae-ms', description: 'ms between anti-entropy exchanges of a node (default 200)' },
] as const;

export interface DynamoParams {
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly vnodes: number;
  readonly sloppy: boolean;
  readonly clocks: ClockKind;
  readonly type: ValueType;
  readonly aeMs: number;
}

export const DEFAULT_DYNAMO_PARAMS: DynamoParams = {
  n: 3,
  r: 2,
  w: 2,
  vnodes: 8,
  sloppy: true,
  clocks: 'dvv',
  type: 'register',
  aeMs: 200,
};

export class DynamoParamError extends Error {
  readonly code = 'bad-dynamo-param';
}

function whole(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new DynamoParamError(`--param ${name} wants a whole number from ${min} to ${max}`);
  }
  return n;
}

export function dynamoParamsFrom(
  params: Readonly<Record<string, string>>,
  nodes?: number,
): DynamoParams {
  let p: DynamoParams = DEFAULT_DYNAMO_PARAMS;
  for (const [name, v] of Object.entries(params)) {
    switch (name) {
      case 'n':
        p = { ...p, n: whole(name, v, 1, 16) };
        break;
      case 'r':
        p = { ...p, r: whole(name, v, 1, 16) };
        break;
      case 'w':
        p = { ...p, w: whole(name, v, 1, 16) };
        break;
      case 'vnodes':
        p = { ...p, vnodes: whole(name, v, 1, 256) };
        break;
      case 'ae-ms':
        p = { ...p, aeMs: whole(name, v, 1, 3_600_000) };
        break;
      case 'sloppy':
        if (v !== 'on' && v !== 'off')
          throw new DynamoParamError("--param sloppy wants 'on' or 'off'");
        p = { ...p, sloppy: v === 'on' };
        break;
      case 'clocks':
        if (!(CLOCK_KINDS as readonly string[]).includes(v)) {
          throw new DynamoParamError(`--param clocks wants one of ${CLOCK_KINDS.join(', ')}`);
        }
        p = { ...p, clocks: v as ClockKind };
        break;
      case 'type':
        if (v !== 'register' && !isCrdtName(v)) {
          throw new DynamoParamError(
            `--param type wants register or one of ${CRDT_NAMES.join(', ')}`,
          );
        }
        p = { ...p, type: v };
        break;
      default:
        throw new DynamoParamError(`dynamo has no parameter '${name}'`);
    }
  }
  if (p.r > p.n || p.w > p.n) {
    throw new DynamoParamError(`--param r=${p.r} and w=${p.w} must each be at most n=${p.n}`);
  }
  if (nodes !== undefined && p.n > nodes) {
    throw new DynamoParamError(`--param n=${p.n} needs at least ${p.n} nodes, got ${nodes}`);
  }
  return p;
}

/** Whether the store promises that a read sees every write acknowledged before it began. */
export function strictQuorum(p: DynamoParams): boolean {
  return !p.sloppy && p.r + p.w > p.n;
}
