/**
 * etcd's Cluster service on Raft's membership changes (src/protocols/raft/membership.ts):
 * MemberList from the configuration this member holds, MemberAdd / MemberRemove / MemberPromote
 * as Raft admin operations run by the leader.
 *
 * Who can be added: truthkit's nodes all know each other's peer addresses from the start (the
 * cluster file, `--peers`), so a new member is one of those nodes that is not in the
 * configuration yet (a spare of `truthkit cluster up --spares N`, or a member removed before);
 * MemberAdd finds it by its peer URL. A peer URL no node of the cluster listens on is refused.
 *
 * Differences from etcd 3.4, on purpose:
 *   - MemberAdd without `isLearner` adds a learner that the leader promotes once it has caught
 *     up (Ongaro's dissertation §4.2.1), where etcd adds a voter at once and the majority has to
 *     wait for the new member's first start; the answer reports the member as the learner it is.
 *   - MemberRemove's check (the voters left that the leader hears from must be a majority of the
 *     rest) is one rule where etcd has two (started members, then active ones, which it answers
 *     with `etcdserver: unhealthy cluster`); the refusal is etcd's "not enough started members".
 *   - A member's ID is derived from its name (memberId), so a member removed and added again
 *     keeps its ID, where etcd gives it a new one.
 */
import { status as Status } from '@grpc/grpc-js';
import type { Json } from '../../core/json.js';
import type { ClientReply, NodeId } from '../../core/node.js';
import {
  isMembershipRefusal,
  MEMBERSHIP_REFUSALS,
  type AdminOp,
  type MembershipRefusal,
} from '../../protocols/raft/membership.js';
import type { Address } from '../listen.js';
import { EtcdFault, fault } from './codec.js';
import type { NodeGateway } from './sessions.js';

type Msg = Record<string, unknown>;

/** What the Cluster service needs from its node process and its front end. */
export interface MembersHost extends NodeGateway {
  /** Every node of the cluster (the universe), in the cluster's order. */
  readonly universe: readonly NodeId[];
  memberId(id: NodeId): number;
  /** A node's peer address (this member's own included). */
  peerAddress(id: NodeId): Address | undefined;
  /** A node's etcd address as last heard, or null when unknown. */
  clientAddress(id: NodeId): Address | null;
  /** The node's inspect() view (voters, learners), or null. */
  inspect(): Record<string, Json> | null;
}

const EtcdText = {
  memberNotFound: [Status.NOT_FOUND, 'etcdserver: member not found'],
  peerUrlExists: [Status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'],
  notEnoughStarted: [
    Status.FAILED_PRECONDITION,
    'etcdserver: re-configuration failed due to not enough started members',
  ],
  notLearner: [Status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'],
  learnerNotReady: [
    Status.FAILED_PRECONDITION,
    'etcdserver: can only promote a learner member which is in sync with leader',
  ],
  badUrls: [Status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'],
} as const satisfies Record<string, readonly [Status, string]>;

function etcdFault(name: keyof typeof EtcdText): EtcdFault {
  const [code, text] = EtcdText[name];
  return new EtcdFault(code, text);
}

/** etcd's answer to each refusal of Raft's, for the operation that met it. */
function faultOf(op: AdminOp['f'], refusal: MembershipRefusal): EtcdFault {
  switch (refusal) {
    case MEMBERSHIP_REFUSALS.unknownServer:
    case MEMBERSHIP_REFUSALS.notMember:
      return etcdFault('memberNotFound');
    case MEMBERSHIP_REFUSALS.alreadyMember:
      return etcdFault(op === 'promote' ? 'notLearner' : 'peerUrlExists');
    case MEMBERSHIP_REFUSALS.notLearner:
      return etcdFault('notLearner');
    case MEMBERSHIP_REFUSALS.learnerNotReady:
      return etcdFault('learnerNotReady');
    case MEMBERSHIP_REFUSALS.notEnoughActive:
      return etcdFault('notEnoughStarted');
  }
}

/** Longest one forwarded admin op is awaited before it is asked again. */
const FORWARD_WAIT_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function urlOf(a: Address | null | undefined): string[] {
  return a ? [`http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`] : [];
}

/** `http://host:port` (or https, or a bare host:port) as an address; undefined if it is not one. */
export function parsePeerUrl(url: string): Address | undefined {
  const m = /^(?:https?:\/\/)?(\[[^\]]+\]|[^:/[\]]+):(\d{1,5})\/?$/.exec(url.trim());
  if (m === null) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  const host = (m[1] as string).replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

const stringList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

export class Members {
  /** Client id and seq of admin requests (Raft runs them whoever asks; they are not deduplicated). */
  private seq = 1;
  private readonly client: string;

  constructor(private readonly host: MembersHost) {
    this.client = `etcd/${host.id}/members`;
  }

  /** The configuration this member holds: voters and learners, in the cluster's order. */
  private config(): { voters: NodeId[]; learners: NodeId[] } {
    const v = this.host.inspect();
    const list = (k: string): NodeId[] => stringList(v?.[k]);
    return { voters: list('voters'), learners: list('learners') };
  }

  private member(id: NodeId, learner: boolean): Msg {
    const client = this.host.clientAddress(id);
    return {
      ID: this.host.memberId(id),
      // As etcd: a member added but never heard from has no name yet (etcdctl: "unstarted").
      // Only learners can be that here; a voter down since this node started keeps its name.
      name: client === null && learner ? '' : id,
      peerURLs: urlOf(this.host.peerAddress(id)),
      clientURLs: urlOf(client),
      isLearner: learner,
    };
  }

  /** Every member of the configuration: voters, then learners, in the cluster's order. */
  list(): Msg[] {
    const { voters, learners } = this.config();
    return this.host.universe
      .filter((id) => voters.includes(id) || learners.includes(id))
      .map((id) => this.member(id, learners.includes(id)));
  }

  private byId(id: unknown): NodeId {
    const n = typeof id === 'number' ? id : typeof id === 'string' ? Number(id) : NaN;
    const node = this.host.universe.find((x) => this.host.memberId(x) === n);
    if (node === undefined) throw etcdFault('memberNotFound');
    return node;
  }

  async add(req: Msg, deadline: number): Promise<{ member: Msg; members: Msg[] }> {
    const urls = stringList(req.peerURLs);
    if (urls.length === 0) throw etcdFault('badUrls');
    const addresses = urls.map(parsePeerUrl);
    if (addresses.some((a) => a === undefined)) throw etcdFault('badUrls');
    const node = this.host.universe.find((id) => {
      const p = this.host.peerAddress(id);
      return p !== undefined && addresses.some((a) => a?.host === p.host && a.port === p.port);
    });
    if (node === undefined) {
      throw new EtcdFault(
        Status.FAILED_PRECONDITION,
        `truthkit: no node of this cluster listens on ${urls.join(',')}: a new member must be ` +
          'one of the nodes the cluster was started with (truthkit cluster up --spares N)',
      );
    }
    const learner = req.isLearner === true;
    await this.run({ f: 'add-learner', node }, deadline);
    if (!learner) {
      // The leader promotes it once it has caught up; the answer to that comes only then (the
      // member has to be started first), so nobody waits for it here.
      void this.run({ f: 'add-server', node }, Date.now() + 600_000).catch(() => {});
    }
    return { member: this.member(node, true), members: this.list() };
  }

  async remove(req: Msg, deadline: number): Promise<Msg[]> {
    await this.run({ f: 'remove-server', node: this.byId(req.ID) }, deadline);
    return this.list();
  }

  async promote(req: Msg, deadline: number): Promise<Msg[]> {
    await this.run({ f: 'promote', node: this.byId(req.ID) }, deadline);
    return this.list();
  }

  /**
   * Runs an admin op at the leader (here, or forwarded to the leader this node names) until it
   * is done, refused for a reason worth reporting, or the deadline passes. Other refusals (no
   * leader, a change in progress, a leader that has not committed in its term) are retried.
   * Admin ops are not deduplicated, so a retry after an unknown outcome may find the change
   * already made: that refusal then means it was done.
   */
  private async run(op: AdminOp, deadline: number): Promise<Json> {
    let wait = 20;
    let sawLeader = false;
    let uncertain = false;
    while (Date.now() < deadline) {
      const seq = this.seq++;
      let reply = await this.local(seq, op, deadline);
      if (reply !== null && !reply.ok && reply.leader !== undefined) {
        const to = reply.leader;
        sawLeader = true;
        const left = deadline - Date.now();
        if (left <= 0) break;
        // The forward's answer waits until this node has applied the change too, which a member
        // being removed never does: a short wait, then the retry finds the change made.
        const patience = Math.min(left, FORWARD_WAIT_MS);
        reply = await new Promise<ClientReply | null>((resolve) => {
          this.host.forward(to, this.client, seq, op as unknown as Json, patience, resolve);
        });
      }
      if (reply === null) uncertain = true;
      else if (reply.ok) return reply.value;
      else if (isMembershipRefusal(reply.error)) {
        if (uncertain && reply.error === ALREADY_DONE[op.f]) return null;
        throw faultOf(op.f, reply.error);
      } else {
        if (!reply.definite) uncertain = true;
        if (reply.error !== 'not leader') sawLeader = true;
      }
      await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
      wait = Math.min(wait * 2, 200);
    }
    throw sawLeader ? fault('timeout') : fault('noLeader');
  }

  /** One attempt at the local node; null if it has not answered by the deadline. */
  private local(seq: number, op: AdminOp, deadline: number): Promise<ClientReply | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          abandon();
          resolve(null);
        },
        Math.max(0, deadline - Date.now()),
      );
      const abandon = this.host.submitLocal(this.client, seq, op as unknown as Json, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }
}

/** The refusal a retried op meets when its first attempt, of unknown outcome, did happen. */
const ALREADY_DONE: Readonly<Record<AdminOp['f'], MembershipRefusal | undefined>> = {
  'add-learner': MEMBERSHIP_REFUSALS.alreadyMember,
  'add-server': MEMBERSHIP_REFUSALS.alreadyMember,
  promote: MEMBERSHIP_REFUSALS.alreadyMember,
  'remove-server': MEMBERSHIP_REFUSALS.notMember,
  'transfer-leader': undefined,
};
