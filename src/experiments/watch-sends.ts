/**
 * A system whose nodes behave exactly as before, with every message they send shown to an
 * observer first: how experiments count messages by kind or by transaction without touching
 * the protocol.
 */
import type { Message, NodeEnv, NodeFactory, NodeId } from '../core/node.js';
import type { SystemDefinition } from '../core/system.js';

export type SendObserver = (env: NodeEnv, to: NodeId, msg: Message) => void;

export function watchingSends(system: SystemDefinition, observe: SendObserver): SystemDefinition {
  return {
    ...system,
    createNode: (options) => {
      const inner: NodeFactory = system.createNode(options);
      return (env: NodeEnv) => {
        const send = (to: NodeId, msg: Message): void => {
          observe(env, to, msg);
          env.send(to, msg);
        };
        // Every other member of the environment is the node's own, bound to it.
        const watched = new Proxy(env, {
          get(target, prop) {
            if (prop === 'send') return send;
            const v: unknown = Reflect.get(target, prop, target);
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        });
        return inner(watched);
      };
    },
  };
}
