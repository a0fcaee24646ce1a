/**
 * Membership changes of a local cluster, driven through the nodes' client ports (Raft's admin
 * operations, src/protocols/raft/membership.ts): `truthkit cluster join` starts a node of the
 * cluster file that is not a member as a joining server and has it added, and `truthkit cluster
 * rejoin` brings back a member whose state is gone through a membership change.
 *
 * Why rejoin is safe (docs/runtime.md has the long form). A member whose data was wiped has
 * forgotten its votes and the entries it acknowledged. It is first removed from the
 * configuration, and the removal committed by the remaining voters, before its empty process
 * starts; from then on no configuration any future leader holds counts the old incarnation, and
 * no candidate can win with it. The empty process starts joining: its configuration is empty,
 * so it neither campaigns nor counts itself. It is added as a learner, which votes in nothing,
 * and promoted only once it holds the leader's log. Each step is one single-server change made
 * after the previous one committed, so Raft's argument for single-server changes (dissertation
 * §4.1) covers the sequence with the old and the new incarnation as two different servers.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../core/json.js';
import type { ClientReply, NodeId } from '../core/node.js';
import {
  isMembershipRefusal,
  MEMBERSHIP_REFUSALS,
  type AdminOp,
} from '../protocols/raft/membership.js';
import { ClientConnection, fetchStatus, parseAddress } from './kv-client.js';

export class MembershipError extends Error {
  constructor(
    message: string,
    /** The Raft refusal, when the leader refused the change. */
    readonly refusal?: string,
  ) {
    super(message);
    this.name = 'MembershipError';
  }
}

export interface AdminEndpoint {
  readonly id: NodeId;
  readonly client: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one admin op at the leader, following "not leader" hints, until it is done, refused for
 * a reason worth reporting (a MembershipRefusal, thrown as MembershipError), or `timeoutMs`.
 * Admin ops are not deduplicated: after an attempt of unknown outcome, the refusal that means
 * "already done" counts as done.
 */
export async function adminCall(
  endpoints: readonly AdminEndpoint[],
  op: AdminOp,
  timeoutMs = 15_000,
): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  const conns = new Map(endpoints.map((e) => [e.id, new ClientConnection(parseAddress(e.client))]));
  const done =
    op.f === 'remove-server' ? MEMBERSHIP_REFUSALS.notMember : MEMBERSHIP_REFUSALS.alreadyMember;
  let uncertain = false;
  let last = 'no node answered';
  let i = 0;
  let seq = 1;
  try {
    while (Date.now() < deadline) {
      const e = endpoints[i % endpoints.length] as AdminEndpoint;
      const conn = conns.get(e.id) as ClientConnection;
      let reply: ClientReply | undefined;
      try {
        const r = await conn.call(
          { client: 'truthkit-admin', seq: seq++, op: op as unknown as Json },
          Math.max(1, Math.min(5000, deadline - Date.now())),
        );
        reply = r.reply as unknown as ClientReply | undefined;
      } catch (err) {
        last = `${e.id}: ${(err as Error).message}`;
        conn.close();
        uncertain = true;
      }
      if (reply !== undefined) {
        if (reply.ok) return reply.value;
        last = `${e.id}: ${reply.error}`;
        if (isMembershipRefusal(reply.error)) {
          if (uncertain && reply.error === done) return null;
          throw new MembershipError(
            `${op.node}: ${reply.error.replace(/^membership: /, '')}`,
            reply.error,
          );
        }
        if (!reply.definite) uncertain = true;
        const hinted =
          reply.leader !== undefined ? endpoints.findIndex((x) => x.id === reply.leader) : -1;
        if (hinted >= 0 && hinted !== i % endpoints.length) {
          i = hinted;
          continue;
        }
      }
      i++;
      await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
    }
  } finally {
    for (const c of conns.values()) c.close();
  }
  throw new MembershipError(`${op.f} ${op.node} did not finish within ${timeoutMs} ms (${last})`);
}

/** The node's own view (inspect()) from its status, or undefined when it does not answer. */
export async function nodeView(client: string): Promise<Record<string, Json> | undefined> {
  const s = await fetchStatus(parseAddress(client), 1000);
  const node = (s as { node?: Json } | undefined)?.node;
  return typeof node === 'object' && node !== null && !Array.isArray(node)
    ? (node as Record<string, Json>)
    : undefined;
}

/**
 * Promotes learner `id` once the leader finds it caught up: a promotion refused because it is
 * not caught up yet is asked again until `timeoutMs`.
 */
export async function promoteWhenReady(
  endpoints: readonly AdminEndpoint[],
  id: NodeId,
  timeoutMs = 30_000,
  onStep: (what: string) => void = () => {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await adminCall(endpoints, { f: 'promote', node: id }, Math.max(1, deadline - Date.now()));
      onStep(`${id} promoted to voter`);
      return;
    } catch (e) {
      const notReady =
        e instanceof MembershipError && e.refusal === MEMBERSHIP_REFUSALS.learnerNotReady;
      if (!notReady || Date.now() >= deadline) throw e;
      await sleep(100);
    }
  }
}

/** Adds `id` as a learner, then promotes it once it has caught up. */
export async function addAndPromote(
  endpoints: readonly AdminEndpoint[],
  id: NodeId,
  timeoutMs = 30_000,
  onStep: (what: string) => void = () => {},
): Promise<void> {
  await adminCall(endpoints, { f: 'add-learner', node: id }, timeoutMs);
  onStep(`${id} added as a learner`);
  await promoteWhenReady(endpoints, id, timeoutMs, onStep);
}

/** Removes what is left of a member's state, so that it can only start as a joining server. */
export function discardState(dir: string, id: NodeId): void {
  rmSync(join(dir, id, 'data'), { recursive: true, force: true });
}
