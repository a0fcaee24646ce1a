/** The part of node-zookeeper-client (npm, untyped JavaScript) the wire tests call. */
declare module 'node-zookeeper-client' {
  import type { EventEmitter } from 'node:events';

  export interface ZkStat {
    version: number;
    cversion: number;
    dataLength: number;
    numChildren: number;
    aversion: number;
    /** jute longs, as 8-byte big-endian buffers. */
    czxid: Buffer;
    mzxid: Buffer;
    pzxid: Buffer;
    ctime: Buffer;
    mtime: Buffer;
    ephemeralOwner: Buffer;
  }
  export interface ZkEvent {
    type: number;
    name: string;
    path: string;
    getType(): number;
    getPath(): string;
  }
  export interface ZkException extends Error {
    code: number;
    getCode(): number;
  }
  type Cb<T> = (error: ZkException | null, value: T) => void;
  export class Id {
    constructor(scheme: string, id: string);
    scheme: string;
    id: string;
  }
  export class ACL {
    constructor(permission: number, id: Id);
    permission: number;
    id: Id;
    static OPEN_ACL_UNSAFE: ACL[];
    static CREATOR_ALL_ACL: ACL[];
    static READ_ACL_UNSAFE: ACL[];
  }
  export const Permission: {
    READ: number;
    WRITE: number;
    CREATE: number;
    DELETE: number;
    ADMIN: number;
    ALL: number;
  };
  export interface Transaction {
    create(path: string, data?: Buffer, acls?: unknown, mode?: number): Transaction;
    setData(path: string, data: Buffer, version?: number): Transaction;
    check(path: string, version?: number): Transaction;
    remove(path: string, version?: number): Transaction;
    commit(
      cb: (error: ZkException | null, results: { type: number; path?: string }[]) => void,
    ): void;
  }
  export interface Client extends EventEmitter {
    connect(): void;
    close(): void;
    getSessionId(): Buffer;
    getSessionPassword(): Buffer;
    addAuthInfo(scheme: string, auth: Buffer): void;
    create(path: string, data: Buffer, mode: number, cb: Cb<string>): void;
    create(path: string, data: Buffer, acls: ACL[], mode: number, cb: Cb<string>): void;
    setACL(path: string, acls: ACL[], version: number, cb: Cb<ZkStat & { aversion: number }>): void;
    getACL(
      path: string,
      cb: (e: ZkException | null, acls: ACL[], stat: ZkStat & { aversion: number }) => void,
    ): void;
    getData(
      path: string,
      watcher: ((e: ZkEvent) => void) | undefined,
      cb: (e: ZkException | null, data: Buffer, stat: ZkStat) => void,
    ): void;
    setData(path: string, data: Buffer, version: number, cb: Cb<ZkStat>): void;
    exists(path: string, watcher: ((e: ZkEvent) => void) | undefined, cb: Cb<ZkStat | null>): void;
    getChildren(
      path: string,
      watcher: ((e: ZkEvent) => void) | undefined,
      cb: (e: ZkException | null, children: string[], stat: ZkStat) => void,
    ): void;
    remove(path: string, version: number, cb: (e: ZkException | null) => void): void;
    transaction(): Transaction;
  }
  export function createClient(
    connectionString: string,
    options?: { sessionTimeout?: number; spinDelay?: number; retries?: number },
  ): Client;
  export const CreateMode: {
    PERSISTENT: number;
    EPHEMERAL: number;
    PERSISTENT_SEQUENTIAL: number;
    EPHEMERAL_SEQUENTIAL: number;
  };
  export const Exception: {
    NO_NODE: number;
    BAD_VERSION: number;
    NODE_EXISTS: number;
    AUTH_FAILED: number;
    NO_AUTH: number;
    INVALID_ACL: number;
  };
  export const Event: {
    NODE_CREATED: number;
    NODE_DELETED: number;
    NODE_DATA_CHANGED: number;
    NODE_CHILDREN_CHANGED: number;
  };
}
