/**
 * The lock recipe: a holder is the contender whose ephemeral-sequential node is lowest; it
 * holds the lock until it deletes the node or its session ends. The node's czxid is the lock's
 * fencing token: a later holder always has a higher one, so a resource that refuses tokens below
 * the highest it has seen refuses a holder whose session ended while it was paused.
 */
import type { ZkClient } from './zk-client.js';
import {
  ensurePath,
  SequentialQueue,
  type QueueMutant,
  type QueueNode,
} from './sequential-queue.js';

export interface LockHandle {
  readonly node: string;
  /** The lock node's czxid. */
  readonly token: number;
}

export class ZkLock {
  private readonly queue: SequentialQueue;
  private held: QueueNode | undefined;

  constructor(
    private readonly client: ZkClient,
    private readonly dir: string,
    guid: string,
    mutant?: QueueMutant,
  ) {
    this.queue = new SequentialQueue(client, dir, 'lock', guid, mutant);
  }

  async acquire(): Promise<LockHandle> {
    if (this.held !== undefined) throw new Error(`lock ${this.dir} is already held by this client`);
    await ensurePath(this.client, this.dir);
    const node = await this.queue.enqueue('');
    await this.queue.waitForTurn(node);
    this.held = node;
    return { node: node.path, token: node.czxid };
  }

  async release(): Promise<void> {
    const node = this.held;
    if (node === undefined) return;
    this.held = undefined;
    await this.client.delete(node.path, -1);
  }
}
