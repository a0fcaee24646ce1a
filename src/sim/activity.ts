/**
 * What a node does that the simulator can see without knowing its protocol: the messages it
 * sends (by their `type`), the syncs of its storage that complete, and the lines it logs
 * through `env.log`. Event-triggered faults (triggers.ts) fire on these.
 */
import type { Message, NodeId } from '../core/node.js';

export type NodeActivity =
  | { readonly kind: 'send'; readonly node: NodeId; readonly to: NodeId; readonly type: string }
  | { readonly kind: 'sync'; readonly node: NodeId }
  | { readonly kind: 'log'; readonly node: NodeId; readonly message: string };

/**
 * A message as it is delivered to a node: its sender, recipient, id (the send's), type and the
 * value handed to the node (which the node may hold on to: copy it to keep it).
 */
export interface Delivery {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly id: number;
  readonly type: string;
  readonly msg: Message;
}
