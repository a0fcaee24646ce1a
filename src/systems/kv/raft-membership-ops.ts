/**
 * Raft's membership changes (src/protocols/raft/membership.ts) as the simulator's admin client
 * asks for them; shared by kv-raft and etcd-raft, which both take Raft's admin operations.
 */
import type { MembershipOps } from '../../core/system.js';
import type { AdminOp } from '../../protocols/raft/membership.js';
import { JOIN_KEY } from '../../protocols/raft/raft-node.js';

export const RAFT_MEMBERSHIP_OPS: MembershipOps = {
  remove: (node) => ({ f: 'remove-server', node }) satisfies AdminOp,
  addLearner: (node) => ({ f: 'add-learner', node }) satisfies AdminOp,
  promote: (node) => ({ f: 'promote', node }) satisfies AdminOp,
  joinState: { [JOIN_KEY]: true },
};
