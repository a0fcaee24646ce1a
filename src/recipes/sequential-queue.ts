/**
 * The queue under the lock and leader-election recipes (ZooKeeper's own recipes page, "Locks"):
 * each contender creates an ephemeral-sequential node under a directory and waits until its node
 * is the lowest, watching only the node just before its own, so a release wakes one contender,
 * not all of them (no herd).
 *
 * A create whose reply is lost (CONNECTIONLOSS) may or may not have happened. The node's name
 * starts with the contender's guid, so it looks for a child with that prefix before creating
 * again; without that, a second node would queue behind its own orphan until the session ends.
 */
import { ZK_ERR, ZkError } from '../systems/coordination/zk-codes.js';
import { sequenceOf } from '../systems/coordination/znode-paths.js';
import type { ZkClient } from './zk-client.js';

/** A deliberately broken rule a test must catch: `no-guid` retries a lost create blindly. */
export type QueueMutant = 'no-guid';

export interface QueueNode {
  /** The node's name under the directory. */
  readonly name: string;
  readonly path: string;
  /** Its czxid: rises with every new node, so it serves as a fencing token. */
  readonly czxid: number;
}

/** A guid for the node prefix; any string of [A-Za-z0-9] that no other contender uses. */
export function isGuid(guid: string): boolean {
  return /^[A-Za-z0-9]{8,64}$/.test(guid);
}

/** Creates `path` and its ancestors as needed; a lost reply is retried (NODEEXISTS then says it was done). */
export async function ensurePath(client: ZkClient, path: string, maxAttempts = 10): Promise<void> {
  let at = '';
  for (const part of path.split('/').slice(1)) {
    at += `/${part}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await client.create(at, '', 'persistent');
        break;
      } catch (e) {
        if (e instanceof ZkError && e.code === ZK_ERR.NODEEXISTS) break;
        const lost = e instanceof ZkError && e.code === ZK_ERR.CONNECTIONLOSS;
        if (!lost || attempt >= maxAttempts) throw e;
      }
    }
  }
}

const bySequence = (a: string, b: string): number => (sequenceOf(a) ?? 0) - (sequenceOf(b) ?? 0);

export class SequentialQueue {
  constructor(
    private readonly client: ZkClient,
    private readonly dir: string,
    /** `lock` or `n`: the node names are `_c_<guid>-<kind>-<seq>`. */
    private readonly kind: string,
    private readonly guid: string,
    private readonly mutant?: QueueMutant,
  ) {
    if (!isGuid(guid)) throw new RangeError(`guid must be 8–64 letters or digits, got ${guid}`);
    if (!/^[a-z]+$/.test(kind))
      throw new RangeError(`kind must be lower-case letters, got ${kind}`);
  }

  /** Creates this contender's node, resolving the create-then-crash ambiguity. */
  async enqueue(data: string, maxAttempts = 10): Promise<QueueNode> {
    const prefix = `_c_${this.guid}-${this.kind}-`;
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await this.client.create(`${this.dir}/${prefix}`, data, 'ephemeralSequential');
        return { name: r.path.slice(this.dir.length + 1), path: r.path, czxid: r.stat.czxid };
      } catch (e) {
        if (!(e instanceof ZkError) || e.code !== ZK_ERR.CONNECTIONLOSS || attempt >= maxAttempts) {
          throw e;
        }
      }
      if (this.mutant === 'no-guid') continue;
      for (const name of await this.client.getChildren(this.dir)) {
        if (!name.startsWith(prefix)) continue;
        const stat = await this.client.exists(`${this.dir}/${name}`);
        if (stat !== null) return { name, path: `${this.dir}/${name}`, czxid: stat.czxid };
      }
    }
  }

  /** The contenders' node names, lowest sequence first. */
  async members(): Promise<string[]> {
    const marker = `-${this.kind}-`;
    const children = await this.client.getChildren(this.dir);
    return children
      .filter((c) => c.includes(marker) && sequenceOf(c) !== undefined)
      .sort(bySequence);
  }

  /** Waits until `node` is the lowest; throws NONODE if it is gone (the session ended). */
  async waitForTurn(node: QueueNode): Promise<void> {
    for (;;) {
      const members = await this.members();
      const i = members.indexOf(node.name);
      if (i < 0) throw new ZkError(ZK_ERR.NONODE, node.path);
      if (i === 0) return;
      const before = `${this.dir}/${members[i - 1] ?? ''}`;
      await new Promise<void>((resolve, reject) => {
        this.client
          .exists(before, () => resolve())
          .then((stat) => {
            if (stat === null) resolve();
          }, reject);
      });
    }
  }
}
