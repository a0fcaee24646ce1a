/**
 * `echo`: clients get their value back; meanwhile every pair of nodes plays ping-pong without
 * pause. It promises nothing and exists to measure how fast the simulator moves messages.
 */
import type { Json } from '../../core/json.js';
import type { ClientRequest, NodeEnv, NodeId, ProtocolNode } from '../../core/node.js';
import type { SystemDefinition } from '../../core/system.js';
import { echoMessageProblem } from './message-schemas.js';

type EchoMessage =
  { readonly type: 'ping'; readonly n: number } | { readonly type: 'pong'; readonly n: number };

/** A ping-pong chain dies when a message is lost; an idle peer is pinged again on this tick. */
const REVIVE_MS = 50;

class EchoNode implements ProtocolNode<EchoMessage> {
  private pongs = 0;
  private readonly heardSinceTick = new Set<NodeId>();
  /** The ping each peer's chain is waiting on; a duplicated or stale pong must not fork it. */
  private readonly awaiting = new Map<NodeId, number>();

  constructor(private readonly env: NodeEnv<EchoMessage>) {}

  start(): void {
    for (const p of this.env.peers) this.ping(p, 0);
    this.env.setTimer(REVIVE_MS, 'revive');
  }

  private ping(peer: NodeId, n: number): void {
    this.awaiting.set(peer, n);
    this.env.send(peer, { type: 'ping', n });
  }

  onMessage(from: NodeId, msg: EchoMessage): void {
    if (msg.type === 'ping') {
      this.env.send(from, { type: 'pong', n: msg.n });
    } else if (this.awaiting.get(from) === msg.n) {
      this.pongs++;
      this.heardSinceTick.add(from);
      this.ping(from, msg.n + 1);
    }
  }

  onTimer(): void {
    for (const p of this.env.peers) {
      if (!this.heardSinceTick.has(p)) this.ping(p, (this.awaiting.get(p) ?? 0) + 1);
    }
    this.heardSinceTick.clear();
    this.env.setTimer(REVIVE_MS, 'revive');
  }

  onClientRequest(request: ClientRequest): void {
    const op = request.op as { value?: Json };
    this.env.reply(request.id, { ok: true, value: op.value ?? null });
  }

  inspect() {
    return { pongs: this.pongs };
  }
}

export const echoSystem: SystemDefinition = {
  name: 'echo',
  description: 'nodes echo client values and ping-pong among themselves (simulator speed)',
  workload: 'echo',
  mutants: [],
  defaultNodes: 5,
  minNodes: 1,
  createNode: () => (env) => new EchoNode(env as NodeEnv<EchoMessage>),
  checkMessage: echoMessageProblem,
};
