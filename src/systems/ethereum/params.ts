/** `--param` values of the `ethereum` system, checked: a bad one is a one-line usage error. */
import type { NodeId } from '../../core/node.js';
import { ALL_RULES, defaultPosConfig, type PosRules } from '../../protocols/pos/config.js';
import type { EthConfig, Strategy } from './validator-node.js';

export type EthParamErrorCode =
  'unknown' | 'number' | 'strategy' | 'byzantine' | 'example' | 'stakes';

export class EthParamError extends Error {
  constructor(
    readonly code: EthParamErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const STRATEGIES: readonly Strategy[] = [
  'equivocate',
  'surround',
  'withhold',
  'nondeterministic',
];

export const ETH_PARAMS = [
  { name: 'slot-ms', description: 'virtual ms per slot (250)' },
  { name: 'slots-per-epoch', description: 'slots per epoch (4; Ethereum: 32)' },
  { name: 'stakes', description: 'stake per validator in ETH, comma-separated (32 each)' },
  {
    name: 'tx-interval',
    description: "mean ms between a node's wallet payments, 0 for none (300)",
  },
  {
    name: 'example',
    description: "'transfer': only the seed's 100 ETH transfer, from n1's account",
  },
  { name: 'leak-after', description: 'epochs without finality before the inactivity leak (4)' },
  {
    name: 'leak-quotient',
    description: 'the leak takes stake × score / (4 × this) an epoch (4096: half in ~64 epochs)',
  },
  { name: 'byzantine', description: 'how many validators (the last ones) are Byzantine (0)' },
  { name: 'strategy', description: `what they do: ${STRATEGIES.join(', ')}` },
] as const;

/** Mutants: each removes exactly one rule. */
export const ETH_MUTANTS = [
  {
    name: 'accept-any-root',
    description: "a block's state root is not compared with the node's own execution",
  },
  {
    name: 'no-randao-mix',
    description: "proposers' reveals are not mixed in: the seed never changes",
  },
  {
    name: 'simple-majority',
    description: 'a checkpoint is justified by more than half the stake, not two thirds',
  },
  {
    name: 'no-finality-link',
    description: 'a justified checkpoint is final at once, without a justified child',
  },
  { name: 'no-double-vote', description: 'two votes for one target epoch are not slashable' },
  { name: 'no-surround-vote', description: 'a surrounding vote is not slashable' },
  {
    name: 'no-inactivity-leak',
    description: 'absent validators keep their stake while finality stalls',
  },
  {
    name: 'no-ghost-weight',
    description: 'fork choice ignores votes (the higher root wins each fork)',
  },
] as const;

const RULE_OF: Record<string, keyof PosRules> = {
  'no-randao-mix': 'randaoMix',
  'simple-majority': 'supermajority',
  'no-finality-link': 'finalityLink',
  'no-double-vote': 'doubleVote',
  'no-surround-vote': 'surroundVote',
  'no-inactivity-leak': 'inactivityLeak',
  'no-ghost-weight': 'ghostWeight',
};

function int(name: string, v: string, lo: number, hi: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < lo || n > hi) {
    throw new EthParamError(
      'number',
      `ethereum param ${name}=${v}: expected a whole number in [${lo}, ${hi}]`,
    );
  }
  return n;
}

export function ethConfig(
  cluster: readonly NodeId[],
  params: Readonly<Record<string, string>>,
  mutant: string | undefined,
): EthConfig {
  const names = new Set<string>(ETH_PARAMS.map((p) => p.name));
  for (const name of Object.keys(params)) {
    if (!names.has(name)) {
      throw new EthParamError(
        'unknown',
        `ethereum has no param '${name}' (choose from ${[...names].join(', ')})`,
      );
    }
  }
  let pos = defaultPosConfig(cluster);
  if (params['slots-per-epoch'] !== undefined) {
    pos = { ...pos, slotsPerEpoch: int('slots-per-epoch', params['slots-per-epoch'], 1, 64) };
  }
  if (params['leak-after'] !== undefined) {
    pos = { ...pos, leakAfterEpochs: int('leak-after', params['leak-after'], 1, 1000) };
  }
  if (params['leak-quotient'] !== undefined) {
    pos = { ...pos, leakQuotient: int('leak-quotient', params['leak-quotient'], 1, 1e9) };
  }
  if (params['stakes'] !== undefined) {
    const parts = params['stakes'].split(',');
    if (parts.length !== cluster.length) {
      throw new EthParamError(
        'stakes',
        `ethereum param stakes: ${parts.length} values for ${cluster.length} validators`,
      );
    }
    pos = {
      ...pos,
      stakes: Object.fromEntries(
        cluster.map((v, i) => [v, 1000 * int('stakes', parts[i] ?? '', 17, 1_000_000)]),
      ),
    };
  }
  if (mutant !== undefined && RULE_OF[mutant] !== undefined) {
    pos = { ...pos, rules: { ...ALL_RULES, [RULE_OF[mutant]]: false } };
  }
  const k =
    params['byzantine'] === undefined
      ? 0
      : int('byzantine', params['byzantine'], 0, cluster.length);
  const strategy = params['strategy'] ?? (k > 0 ? 'equivocate' : 'honest');
  if (strategy !== 'honest' && !STRATEGIES.includes(strategy as Strategy)) {
    throw new EthParamError(
      'strategy',
      `ethereum param strategy=${strategy}: one of ${STRATEGIES.join(', ')}`,
    );
  }
  if (params['strategy'] !== undefined && k === 0) {
    throw new EthParamError('byzantine', 'ethereum: --strategy needs --byzantine K ≥ 1');
  }
  const example = params['example'];
  if (example !== undefined && example !== 'transfer') {
    throw new EthParamError('example', `ethereum param example=${example}: only 'transfer'`);
  }
  return {
    pos,
    slotMs: params['slot-ms'] === undefined ? 250 : int('slot-ms', params['slot-ms'], 10, 60_000),
    txIntervalMs:
      params['tx-interval'] === undefined ? 300 : int('tx-interval', params['tx-interval'], 0, 1e9),
    ...(example === 'transfer' ? { example } : {}),
    byzantine: cluster.slice(cluster.length - k),
    strategy: strategy as Strategy,
    checkRoots: mutant !== 'accept-any-root',
  };
}
