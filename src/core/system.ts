/**
 * A system: a protocol packaged to be run — how to build its nodes, which workload drives it,
 * which model its histories are checked against, and which deliberately broken variants
 * (mutants) it ships. The simulator, the CLI and the lab all work from this description.
 */
import type { NodeFactory, NodeId, ProtocolNode } from './node.js';

export type WorkloadKind = 'kv' | 'echo';

export interface SystemOptions {
  /** Name of a deliberately broken variant to build instead of the real thing. */
  readonly mutant?: string;
}

export interface SystemDefinition {
  readonly name: string;
  readonly description: string;
  readonly workload: WorkloadKind;
  /** The checker model its histories must satisfy, or undefined when it promises none. */
  readonly model?: string;
  readonly mutants: readonly { readonly name: string; readonly description: string }[];
  readonly defaultNodes: number;
  /** Smallest cluster the system can run on. */
  readonly minNodes: number;
  createNode(options: SystemOptions): NodeFactory;
  /**
   * Safety invariants across all live nodes, checked after every simulated step. Returns a
   * description of the violation, or undefined when all hold.
   */
  checkInvariants?(nodes: ReadonlyMap<NodeId, ProtocolNode>): string | undefined;
}
