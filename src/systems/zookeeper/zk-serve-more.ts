/**
 * How a ZooKeeper server serves the ops of zk-more-ops.ts: children and watch reads from its own
 * state (leaving watches with it), multi, sequential creates, the lock's delete and `sync`
 * through Zab like any write, acts on the fenced resource through Zab (they need no session),
 * and a client's pause, answered once the pause is over.
 */
import type { Json } from '../../core/json.js';
import type { ClientRequest, NodeEnv, RequestId } from '../../core/node.js';
import type { ZabNode } from '../../protocols/zab/zab-node.js';
import { read } from '../coordination/reads.js';
import { negotiateTimeout } from '../coordination/sessions.js';
import { ZK_ERR } from '../coordination/zk-codes.js';
import { moreServedAs, SYNC_REQUEST, type MoreOp, type WatchKind } from './zk-more-ops.js';
import type { ZkMachine, ZkLogOp } from './zk-machine.js';
import type { ZkMsg } from './zk-messages.js';
import type { FenceLogOp } from './zk-resource.js';
import type { WatchDelivery } from './zk-watch-delivery.js';

export const PAUSE_TIMER = 'zk-pause';

export interface MoreServing {
  readonly env: NodeEnv<ZkMsg>;
  readonly zab: ZabNode;
  readonly machine: ZkMachine;
  readonly delivery: WatchDelivery;
  /** This server's incarnation: its clock when it was built. */
  readonly inc: number;
  readonly tickMs: number;
  readonly sessionTimeoutMs: number;
  /** Mutant `sync-local`: the server answers sync from its own state, without the leader. */
  readonly syncLocal: boolean;
  /** The client of each write request in flight, so its answer carries the session's notifications. */
  readonly writesInFlight: Map<RequestId, { readonly client: string; readonly tag: boolean }>;
}

/** Starts a pause; the server answers it when PAUSE_TIMER fires (onPauseOver). */
export function startPause(s: MoreServing, request: ClientRequest<Json>, op: MoreOp): void {
  if (op.f !== 'pause') throw new Error(`startPause: not a pause (${op.f})`);
  const ms = op.value * negotiateTimeout(s.sessionTimeoutMs, s.tickMs);
  // The pause answers nothing: its zxid is the client's own, so it moves no one's order.
  s.env.setTimer(ms, PAUSE_TIMER, { id: request.id, zxid: op.seen });
}

export function onPauseOver(s: MoreServing, data: Json | undefined): void {
  const d = data as { id?: unknown; zxid?: unknown } | undefined;
  if (typeof d?.id !== 'number' || typeof d.zxid !== 'number') {
    throw new Error('pause timer without its request');
  }
  s.env.reply(d.id, { ok: true, value: { code: ZK_ERR.OK, zxid: d.zxid } });
}

/** Serves `op` for a client whose session (0: none) this server has touched already. */
export function serveMore(
  s: MoreServing,
  request: ClientRequest<Json>,
  op: MoreOp,
  session: number,
): void {
  const served = moreServedAs(op);
  const zxid = s.machine.position;
  const answer = (value: Json): void =>
    s.env.reply(request.id, { ok: true, value: s.delivery.deliver(session, value, s.inc, true) });
  const propose = (logged: Json): void => {
    s.writesInFlight.set(request.id, { client: request.client, tag: true });
    s.zab.onClientRequest({ ...request, op: logged });
  };
  switch (served.kind) {
    case 'pause':
      throw new Error('a pause is started before the session is touched');
    case 'fence': {
      const logged: FenceLogOp = { fence: served.token };
      propose(logged as unknown as Json);
      return;
    }
    case 'sync':
      if (s.syncLocal) {
        answer({ code: session === 0 ? ZK_ERR.SESSIONEXPIRED : ZK_ERR.OK, zxid });
        return;
      }
      propose({ w: SYNC_REQUEST, t: s.env.now() } satisfies ZkLogOp as unknown as Json);
      return;
    case 'write':
      propose({ w: served.req, t: s.env.now() } satisfies ZkLogOp as unknown as Json);
      return;
    case 'read': {
      if (session === 0) return answer({ code: ZK_ERR.SESSIONEXPIRED, zxid });
      const r = read(s.machine.state, s.delivery.watches, session, served.req);
      if (!r.ok) return answer({ code: r.code, zxid });
      if (r.result.type !== 'getChildren') throw new Error(`read ${r.result.type} for ${op.f}`);
      return answer({ code: ZK_ERR.OK, zxid, children: [...r.result.children] });
    }
    case 'watch':
      return answer(watchRead(s, session, served.path, served.watch, zxid));
  }
}

/** A read that leaves a watch: which kind the server registered, as ZooKeeper's rules decide. */
function watchRead(
  s: MoreServing,
  session: number,
  path: string,
  kind: WatchKind,
  zxid: number,
): Json {
  if (session === 0) return { code: ZK_ERR.SESSIONEXPIRED, zxid };
  const tree = s.machine.state;
  const watches = s.delivery.watches;
  if (kind === 'persistent' || kind === 'persistentRecursive') {
    const node = tree.node(path);
    watches.add(session, path, kind);
    return { code: ZK_ERR.OK, zxid, watch: kind, exists: node !== undefined };
  }
  const type = kind === 'data' ? 'getData' : kind === 'exist' ? 'exists' : 'getChildren';
  const r = read(tree, watches, session, { type, path, watch: true });
  if (!r.ok) return { code: r.code, zxid };
  const node = tree.node(path);
  // exists leaves a data watch on a node that is there, an exist watch on one that is not.
  const registered = kind === 'exist' ? (node === undefined ? 'exist' : 'data') : kind;
  return node === undefined
    ? { code: ZK_ERR.OK, zxid, watch: registered, exists: false }
    : { code: ZK_ERR.OK, zxid, watch: registered, exists: true, czxid: node.stat.czxid };
}
