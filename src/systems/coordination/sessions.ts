/**
 * Session timeouts and expiry. The leader decides expiry from its own clock (when it last heard
 * from each session, directly or through a follower's pings), but a session ends only through a
 * closeSession txn it proposes: no replica removes a session, or its ephemerals, on its own
 * clock, so every replica sees the same sessions end at the same point of the log.
 */
import type { CoordState } from './data-tree.js';

/** ZooKeeper's negotiation: the client's wish clamped to [2, 20] ticks. */
export function negotiateTimeout(requestedMs: number, tickMs: number): number {
  return Math.min(Math.max(requestedMs, 2 * tickMs), 20 * tickMs);
}

/**
 * Sessions whose timeout has passed since the leader last heard from them, in id order. A
 * session absent from `lastHeard` counts from its creation; a new leader should first record
 * every session as heard at its own start (as ZooKeeper's leader does), so a leader change never
 * expires a session whose pings went to the old leader.
 */
export function expiredSessions(
  state: CoordState,
  lastHeard: ReadonlyMap<number, number>,
  now: number,
): number[] {
  const out: number[] = [];
  for (const s of state.sessions.values()) {
    const heard = lastHeard.get(s.id) ?? s.createdAt;
    if (now - heard > s.timeout) out.push(s.id);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Containers that had children and have none left, and TTL nodes without children unchanged
 * for longer than their TTL, in path order: the leader proposes a deleteContainer for each
 * (ZooKeeper's ContainerManager), and prepare checks again, so a child created meanwhile saves
 * the node.
 */
export function expiredNodes(state: CoordState, now: number): string[] {
  const out: string[] = [];
  for (const [path, n] of state.nodes) {
    if (n.children.size > 0) continue;
    if (n.kind === 'container' && n.stat.cversion > 0) out.push(path);
    if (n.kind === 'ttl' && now - n.stat.mtime > n.ttl) out.push(path);
  }
  return out.sort();
}

/** Why a server refuses a (re)connecting client; ZooKeeper closes the connection for either. */
export type ConnectRefusal = 'session-expired' | 'server-behind';

/**
 * Whether a server may take a client's connection: a reconnect (sessionId ≠ 0) must name a
 * session the server knows, and no server serves a client that has seen a later zxid than the
 * server has applied (single system image: the client would see time go backwards). The client
 * then tries another server, within its session timeout, and keeps its session.
 */
export function connectRefusal(
  state: CoordState,
  sessionId: number,
  lastZxidSeen: number,
): ConnectRefusal | undefined {
  if (lastZxidSeen > state.lastZxid()) return 'server-behind';
  if (sessionId !== 0 && state.sessions.get(sessionId) === undefined) return 'session-expired';
  return undefined;
}
