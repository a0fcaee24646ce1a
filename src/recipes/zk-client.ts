/**
 * The ZooKeeper client the recipes need, and nothing more: the in-memory harness implements it
 * over the state machine, and a wire client (node-zookeeper-client, or truthkit's own over the
 * jute codec) can implement it over TCP. Errors are `ZkError`s carrying ZooKeeper's code.
 * Data is base64, as the state machine keeps it.
 */
import type { Stat } from '../systems/coordination/data-tree.js';
import type { CreateMode, WatchEventType } from '../systems/coordination/zk-codes.js';

export type { Stat };

/**
 * A one-shot watch callback, called once with the event that fired it; when the session ends
 * every pending watcher is called once with `{type: 'None', state: 'Expired'}`, as ZooKeeper's
 * client does, so no one waits forever on a watch that can no longer fire.
 */
export type Watcher = (event: {
  readonly type: WatchEventType | 'None';
  readonly state: 'SyncConnected' | 'Expired';
  readonly path: string;
}) => void;

export interface ZkClient {
  readonly sessionId: number;
  create(
    path: string,
    data: string,
    mode: CreateMode,
  ): Promise<{ readonly path: string; readonly stat: Stat }>;
  /** version -1: any. */
  delete(path: string, version: number): Promise<void>;
  exists(path: string, watcher?: Watcher): Promise<Stat | null>;
  getData(path: string, watcher?: Watcher): Promise<{ readonly data: string; readonly stat: Stat }>;
  setData(path: string, data: string, version: number): Promise<Stat>;
  getChildren(path: string, watcher?: Watcher): Promise<string[]>;
}
