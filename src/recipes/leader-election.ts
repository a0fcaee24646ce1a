/**
 * Leader election on the same queue as the lock: the lowest node's owner leads; each candidate
 * watches only the one before it, so a leader's end wakes one successor. A candidate's node
 * holds its id, so anyone can read who leads.
 */
import { ZK_ERR, ZkError } from '../systems/coordination/zk-codes.js';
import type { ZkClient } from './zk-client.js';
import { ensurePath, SequentialQueue, type QueueNode } from './sequential-queue.js';

export class LeaderElection {
  private readonly queue: SequentialQueue;
  private node: QueueNode | undefined;

  constructor(
    private readonly client: ZkClient,
    private readonly dir: string,
    /** The candidate's id, base64 (the node's data). */
    private readonly id: string,
    guid: string,
  ) {
    this.queue = new SequentialQueue(client, dir, 'n', guid);
  }

  /** Resolves when this candidate leads; the czxid of its node is its term's token. */
  async campaign(): Promise<number> {
    await ensurePath(this.client, this.dir);
    this.node ??= await this.queue.enqueue(this.id);
    await this.queue.waitForTurn(this.node);
    return this.node.czxid;
  }

  /** The leader's id, or undefined when there are no candidates. */
  async leader(): Promise<string | undefined> {
    for (;;) {
      const first = (await this.queue.members())[0];
      if (first === undefined) return undefined;
      try {
        return (await this.client.getData(`${this.dir}/${first}`)).data;
      } catch (e) {
        // It left between the listing and the read: look again.
        if (!(e instanceof ZkError) || e.code !== ZK_ERR.NONODE) throw e;
      }
    }
  }

  async resign(): Promise<void> {
    const node = this.node;
    this.node = undefined;
    if (node !== undefined) await this.client.delete(node.path, -1);
  }
}
