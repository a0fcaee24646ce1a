/**
 * PBFT message bodies. Every message on the wire is a `SignedMsg` whose text `p` is the JSON of
 * one of these bodies and whose signature `s` is by the replica named in the body's `i`.
 * Certificates (checkpoint proofs, prepared certificates, view-change sets, the new view's
 * pre-prepares) are carried as the original signed messages, so every receiver re-verifies them.
 */
import type { Json } from '../../core/json.js';
import type { NodeId } from '../../core/node.js';
import type { SignedMsg } from './crypto.js';

export interface PbftRequest {
  readonly client: string;
  readonly seq: number;
  readonly op: Json;
  /** The replica the client talks to, which collects the replies. */
  readonly proxy: NodeId;
}

/** A prepared certificate: the pre-prepare and Q − 1 matching prepares from distinct backups. */
export interface PreparedProof {
  readonly pp: SignedMsg;
  readonly prepares: readonly SignedMsg[];
}

/** The most sequence numbers one STATUS names as stuck, and one relay resends. */
export const RELAY_BATCH = 8;

/** The digest of the null request (a no-op that fills a gap in a new view's O). */
export const NULL_DIGEST = 'null';

export type Body =
  | { readonly t: 'request'; readonly i: NodeId; readonly req: PbftRequest }
  | {
      readonly t: 'pre-prepare';
      readonly i: NodeId;
      readonly v: number;
      readonly n: number;
      readonly d: string;
      /** The proxy's signed request, or null for the null request (d = NULL_DIGEST). */
      readonly req: SignedMsg | null;
    }
  | {
      readonly t: 'prepare' | 'commit';
      readonly i: NodeId;
      readonly v: number;
      readonly n: number;
      readonly d: string;
    }
  | {
      readonly t: 'reply';
      readonly i: NodeId;
      readonly v: number;
      readonly client: string;
      readonly seq: number;
      readonly result: Json;
    }
  | { readonly t: 'checkpoint'; readonly i: NodeId; readonly n: number; readonly d: string }
  | {
      readonly t: 'status';
      readonly i: NodeId;
      readonly exec: number;
      readonly low: number;
      readonly v: number;
      /** False while the sender waits for the NEW-VIEW of view v. */
      readonly active: boolean;
      /** Numbers it executed but has not prepared again in view v (it needs prepares). */
      readonly stuck: readonly number[];
    }
  | {
      readonly t: 'state';
      readonly i: NodeId;
      readonly n: number;
      readonly snap: string;
      readonly proof: readonly SignedMsg[];
    }
  | {
      readonly t: 'view-change';
      readonly i: NodeId;
      /** The view the sender moves to. */
      readonly v: number;
      /** The sender's last stable checkpoint… */
      readonly n: number;
      /** …and its proof: Q signed checkpoint messages (empty when n = 0). */
      readonly C: readonly SignedMsg[];
      /** A prepared certificate for every sequence number above n the sender prepared. */
      readonly P: readonly PreparedProof[];
    }
  | {
      readonly t: 'new-view';
      readonly i: NodeId;
      readonly v: number;
      /** Q valid view-change messages for v from distinct replicas. */
      readonly V: readonly SignedMsg[];
      /** The new primary's pre-prepares for v, one per sequence number in (min-s, max-s]. */
      readonly O: readonly SignedMsg[];
    };

export type BodyOf<T extends Body['t']> = Extract<Body, { t: T }>;

export function isSignedMsg(x: unknown): x is SignedMsg {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Partial<SignedMsg>;
  return m.type === 'pbft' && typeof m.p === 'string' && typeof m.s === 'string';
}

export function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

/** Field types of the message kinds whose fields the handlers compare. */
export function hasFieldTypes(b: Body): boolean {
  switch (b.t) {
    case 'pre-prepare':
    case 'prepare':
    case 'commit':
      return isCount(b.v) && isCount(b.n) && typeof b.d === 'string';
    case 'checkpoint':
      return isCount(b.n) && typeof b.d === 'string';
    case 'status':
      return (
        isCount(b.exec) &&
        isCount(b.low) &&
        isCount(b.v) &&
        Array.isArray(b.stuck) &&
        b.stuck.length <= RELAY_BATCH &&
        b.stuck.every(isCount)
      );
    case 'state':
      return isCount(b.n) && typeof b.snap === 'string' && Array.isArray(b.proof);
    case 'request':
      return typeof b.req === 'object' && b.req !== null;
    case 'reply':
      return typeof b.client === 'string' && isCount(b.seq);
    case 'view-change':
    case 'new-view':
      return true; // verified in full by view-change.ts
    default:
      return false;
  }
}
