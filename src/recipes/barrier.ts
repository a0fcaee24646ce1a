/**
 * The double barrier (ZooKeeper's recipes page): `enter` returns once `size` participants have
 * entered, `leave` once all have left. The participant that completes the group creates a
 * `ready` node the others watch, so no one passes on a count it read before a slower peer
 * entered.
 */
import { ZK_ERR, ZkError } from '../systems/coordination/zk-codes.js';
import type { ZkClient } from './zk-client.js';
import { ensurePath } from './sequential-queue.js';

const READY = 'ready';

export class DoubleBarrier {
  constructor(
    private readonly client: ZkClient,
    private readonly dir: string,
    private readonly name: string,
    private readonly size: number,
  ) {
    if (!Number.isSafeInteger(size) || size < 1)
      throw new RangeError(`size must be ≥ 1, got ${size}`);
    if (!/^[A-Za-z0-9_-]+$/.test(name) || name === READY)
      throw new RangeError(`bad participant name ${name}`);
  }

  async enter(): Promise<void> {
    await ensurePath(this.client, this.dir);
    const readyPath = `${this.dir}/${READY}`;
    await this.client.create(`${this.dir}/${this.name}`, '', 'ephemeral');
    const woken = new Promise<void>((resolve, reject) => {
      this.client
        .exists(readyPath, () => resolve())
        .then((s) => {
          if (s !== null) resolve();
        }, reject);
    });
    const present = (await this.client.getChildren(this.dir)).filter((c) => c !== READY);
    if (present.length >= this.size) {
      try {
        await this.client.create(readyPath, '', 'persistent');
      } catch (e) {
        if (!(e instanceof ZkError) || e.code !== ZK_ERR.NODEEXISTS) throw e;
      }
    }
    await woken;
  }

  async leave(): Promise<void> {
    await this.client.delete(`${this.dir}/${this.name}`, -1);
    for (;;) {
      let changed: () => void = () => undefined;
      const woken = new Promise<void>((resolve) => (changed = resolve));
      const left = (await this.client.getChildren(this.dir, () => changed())).filter(
        (c) => c !== READY,
      );
      if (left.length === 0) break;
      await woken;
    }
    try {
      await this.client.delete(`${this.dir}/${READY}`, -1);
    } catch (e) {
      if (!(e instanceof ZkError) || e.code !== ZK_ERR.NONODE) throw e;
    }
  }
}
