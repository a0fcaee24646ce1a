/**
 * The dynamo nodes' peer messages, and the check a real runtime runs on a peer's message before
 * a node sees it (a state inside is checked by the value kind when it is merged).
 */
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';

export type DynamoMsg =
  /** A replica write of `key` (a version or a CRDT delta); `hint` names the replica it stands in for. */
  | {
      readonly type: 'put';
      readonly rid: string;
      readonly key: string;
      readonly state: Json;
      readonly hint: NodeId | null;
    }
  | { readonly type: 'put-ack'; readonly rid: string }
  | { readonly type: 'get'; readonly rid: string; readonly key: string }
  | { readonly type: 'get-reply'; readonly rid: string; readonly state: Json }
  /** Read repair: the merged state a read saw, for a replica that answered with less. */
  | { readonly type: 'repair'; readonly key: string; readonly state: Json }
  /** Hinted handoff: a write held for this node while it was unreachable. */
  | { readonly type: 'handoff'; readonly key: string; readonly state: Json }
  | { readonly type: 'handoff-ack'; readonly key: string; readonly state: Json }
  /** Anti-entropy: the Merkle root of the ranges both hold, then its leaves, then the keys. */
  | { readonly type: 'ae-root'; readonly root: string }
  | { readonly type: 'ae-leaves'; readonly leaves: readonly string[] }
  | {
      readonly type: 'ae-push';
      readonly ranges: readonly number[];
      readonly entries: readonly (readonly [string, Json])[];
      readonly back: boolean;
    };

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isRid = (x: unknown): boolean => typeof x === 'string' && /^\d{1,15}\.\d{1,15}$/.test(x);
const isIndex = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isKey = (x: unknown): boolean => typeof x === 'string' && x.length > 0 && x.length <= 1024;

/** Why `msg` is no dynamo message (`field: problem`), or undefined when it is one. */
export function dynamoMessageProblem(msg: unknown, cluster: readonly NodeId[]): string | undefined {
  if (!isObj(msg)) return 'message: not an object';
  switch (msg.type) {
    case 'put':
      if (!isRid(msg.rid)) return 'rid: not a request id';
      if (!isKey(msg.key)) return 'key: not a key';
      if (!('state' in msg)) return 'state: missing';
      if (msg.hint !== null && !cluster.includes(msg.hint as string)) return 'hint: not a member';
      return undefined;
    case 'put-ack':
      return isRid(msg.rid) ? undefined : 'rid: not a request id';
    case 'get':
      if (!isRid(msg.rid)) return 'rid: not a request id';
      return isKey(msg.key) ? undefined : 'key: not a key';
    case 'get-reply':
      if (!isRid(msg.rid)) return 'rid: not a request id';
      return 'state' in msg ? undefined : 'state: missing';
    case 'repair':
    case 'handoff':
    case 'handoff-ack':
      if (!isKey(msg.key)) return 'key: not a key';
      return 'state' in msg ? undefined : 'state: missing';
    case 'ae-root':
      return typeof msg.root === 'string' ? undefined : 'root: not a hash';
    case 'ae-leaves':
      return Array.isArray(msg.leaves) && msg.leaves.every((l) => typeof l === 'string')
        ? undefined
        : 'leaves: not a list of hashes';
    case 'ae-push':
      if (!Array.isArray(msg.ranges) || !msg.ranges.every(isIndex)) return 'ranges: not a list';
      if (!Array.isArray(msg.entries)) return 'entries: not a list';
      for (const e of msg.entries) {
        if (!Array.isArray(e) || e.length !== 2 || !isKey(e[0]))
          return 'entries: not [key, state] pairs';
      }
      return typeof msg.back === 'boolean' ? undefined : 'back: not a boolean';
    default:
      return 'type: not a dynamo message';
  }
}
