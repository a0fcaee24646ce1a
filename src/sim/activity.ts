/**
 * What a node does that the simulator can see without knowing its protocol: the messages it
 * sends (by their `type`), the syncs of its storage that complete, and the lines it logs
 * through `env.log`. Event-triggered faults (triggers.ts) fire on these.
 */
import type { NodeId } from '../core/node.js';

export type NodeActivity =
  | { readonly kind: 'send'; readonly node: NodeId; readonly to: NodeId; readonly type: string }
  | { readonly kind: 'sync'; readonly node: NodeId }
  | { readonly kind: 'log'; readonly node: NodeId; readonly message: string };
