/**
 * The 2PC systems under `--param workload=list-append|rw-register`: the same protocol nodes,
 * each inside a ListAppendNode, driven by list-append or rw-register transactions and judged by
 * the transactional checker (src/check/txn) at strict serializability instead of by conservation.
 *
 * Why strict: a participant holds a transaction's locks from its prepare until it learns the
 * decision, and the client hears of a commit only after every participant prepared. So when T1
 * completes before T2 begins, each participant T2 shares a key with either still holds T1's
 * lock (T2 is refused and aborts) or has applied T1 — never the state before T1. The prepared
 * records (locks included) are durable before the vote, so a restart keeps this.
 */
import type { NodeEnv, NodeFactory, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition, SystemOptions } from '../../core/system.js';
import { TwoPcNode, type TwoPcMsg } from '../../protocols/twopc/two-phase-commit.js';
import { ListAppendNode } from './list-append-node.js';
import { txnMessageProblem } from './txn-message-schema.js';
import {
  MOP_KINDS,
  nextListAppendTxn,
  nextRwRegisterTxn,
  TwoPcParamError,
  twoPcWorkload,
} from './txn-workload.js';

export const READ_WITHOUT_LOCK = {
  name: 'read-without-lock',
  description:
    'list-append and rw-register only: a participant reads a key without locking it (only appended or written keys are locked)',
} as const;

export const WORKLOAD_PARAM = {
  name: 'workload',
  description:
    'transfer (default: transfers and audits, judged by conservation), list-append or rw-register (multi-key transactions, judged strict-serializable by the transactional checker)',
} as const;

/**
 * The factory for the nodes `options` ask for: `plain` builds the protocol node; under
 * list-append or rw-register each is wrapped in a ListAppendNode. The read-without-lock mutant is the
 * wrapper's, so `plain` never sees it.
 */
export function twoPcFactory(
  options: SystemOptions,
  plain: (options: SystemOptions) => (env: NodeEnv<TwoPcMsg>) => TwoPcNode,
): NodeFactory {
  const workload = twoPcWorkload(options.params ?? {});
  const readWithoutLock = options.mutant === READ_WITHOUT_LOCK.name;
  if (workload === 'transfer') {
    if (readWithoutLock) {
      throw new TwoPcParamError(
        `mutant ${READ_WITHOUT_LOCK.name} needs --param workload=list-append or rw-register`,
      );
    }
    const build = plain(options);
    return (env) => build(env as NodeEnv<TwoPcMsg>);
  }
  const { mutant, ...rest } = options;
  const build = plain(readWithoutLock || mutant === undefined ? rest : { ...rest, mutant });
  return (env) =>
    new ListAppendNode(env as NodeEnv<TwoPcMsg>, build, { readWithoutLock }, workload);
}

/**
 * `base` as `params` configure it: its list-append or rw-register variant, or undefined for the
 * default.
 */
export function configureTwoPc(
  base: SystemDefinition,
  params: Readonly<Record<string, string>>,
): SystemDefinition | undefined {
  const workload = twoPcWorkload(params);
  if (workload === 'transfer') return undefined;
  const { judge: _conservation, configure: _configure, ...rest } = base;
  const checkInvariants = base.checkInvariants;
  const checkMessage = base.checkMessage;
  return {
    ...rest,
    description: `${base.description}; running ${workload} transactions`,
    model: workload,
    consistencyModel: 'strict-serializable',
    mutants: [...base.mutants, READ_WITHOUT_LOCK],
    createNode: (options) =>
      base.createNode({ ...options, params: { ...options.params, workload } }),
    nextOp:
      workload === 'list-append'
        ? (random, process, issued) => nextListAppendTxn(random, process, issued)
        : (random, process, issued) => nextRwRegisterTxn(random, process, issued),
    ...(checkMessage !== undefined
      ? {
          checkMessage: txnMessageProblem((m, c) => checkMessage(m, c), MOP_KINDS[workload]),
        }
      : {}),
    ...(checkInvariants !== undefined
      ? { checkInvariants: (nodes) => checkInvariants(protocolNodes(nodes)) }
      : {}),
  };
}

/** The protocol nodes inside the wrappers, for the systems' invariants. */
export function protocolNodes(
  nodes: ReadonlyMap<NodeId, ProtocolNode>,
): ReadonlyMap<NodeId, ProtocolNode> {
  const inner = new Map<NodeId, ProtocolNode>();
  for (const [id, node] of nodes) {
    if (!(node instanceof ListAppendNode) || !(node.inner instanceof TwoPcNode)) {
      throw new Error(`list-append: node ${id} is not a list-append 2PC node`);
    }
    inner.set(id, node.inner);
  }
  return inner;
}
