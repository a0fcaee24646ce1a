/**
 * What the replicated Kafka broker (replicated-backend.ts) needs of the node process that runs
 * its KafkaNode, and how it sends one request through the metadata log: to the local node when
 * it leads the metadata quorum, else forwarded to the leader (answered once this node has
 * applied the entry too), retried with the same client and seq across leader changes so the
 * machine's sessions apply it once.
 */
import { randomBytes } from 'node:crypto';
import type { Json } from '../../../core/json.js';
import type { ClientReply, NodeId } from '../../../core/node.js';
import type { KafkaNode } from '../../../systems/kafka/kafka-node.js';

export interface ReplicatedKafkaHost {
  readonly id: NodeId;
  readonly node: KafkaNode;
  /** Every node, in the cluster's order: a node's Kafka broker id is its place in it, from 1. */
  readonly cluster: readonly NodeId[];
  /** False once the node has stopped. */
  running(): boolean;
  /** Submits a request to the local node; `onReply` gets a copy of its answer. */
  submit(client: string, seq: number, op: Json, onReply: (reply: ClientReply) => void): () => void;
  /** Forwards a request to `to`; null when no answer came in time (RuntimeNode.forwardApplied). */
  forward(
    to: NodeId,
    client: string,
    seq: number,
    op: Json,
    timeoutMs: number,
    done: (reply: ClientReply | null) => void,
  ): () => void;
  /** Runs protocol code as one of the node's steps. */
  guard(fn: () => void): void;
  log(message: string, fields: Record<string, Json>): void;
}

/** A request through the metadata log found no leader to take it before its deadline. */
export class NoQuorumError extends Error {
  readonly code = 'no-quorum';
  constructor(what: string, ms: number) {
    super(`${what}: no metadata leader answered within ${ms} ms`);
    this.name = 'NoQuorumError';
  }
}

/** The metadata log refused a request (e.g. malformed): an answer, not a lost one. */
export class ProposalRefusedError extends Error {
  readonly code = 'refused';
  constructor(readonly error: string) {
    super(`metadata request refused: ${error}`);
    this.name = 'ProposalRefusedError';
  }
}

const RETRY_MS = 50;
const FORWARD_TIMEOUT_MS = 2000;

/**
 * Client names for requests in flight. The metadata machine keeps one session per client name
 * and answers a seq at or below its last from memory, so each request takes a free lane (its own
 * name) and the next seq on it; lanes are reused, so the machine's sessions stay bounded.
 */
export class Proposer {
  private readonly freeLanes: number[] = [];
  private readonly laneSeq: number[] = [];
  /** A restarted process's lanes are new names: their seqs start again at 1. */
  private readonly incarnation = randomBytes(6).toString('hex');

  constructor(private readonly host: ReplicatedKafkaHost) {}

  /** Sends `op` (a client op of the kafka system) through the log; resolves to its value. */
  propose(op: Json, deadlineMs: number, localOnly = false): Promise<Json> {
    const lane = this.freeLanes.pop() ?? this.laneSeq.length;
    const seq = (this.laneSeq[lane] ?? 0) + 1;
    this.laneSeq[lane] = seq;
    const client = `kafka-wire/${this.host.id}/${this.incarnation}/${lane}`;
    const started = Date.now();
    return new Promise<Json>((resolve, reject) => {
      const finish = (f: () => void): void => {
        this.freeLanes.push(lane);
        f();
      };
      const attempt = (): void => {
        if (!this.host.running()) {
          return finish(() => reject(new NoQuorumError('node stopped', 0)));
        }
        const left = deadlineMs - (Date.now() - started);
        if (left <= 0) return finish(() => reject(new NoQuorumError('metadata', deadlineMs)));
        const leader = this.host.node.raft.leader;
        const onReply = (reply: ClientReply | null): void => {
          if (reply?.ok === true) return finish(() => resolve(reply.value ?? null));
          if (localOnly) {
            const why = reply === null ? 'no answer' : reply.error;
            return finish(() => reject(new ProposalRefusedError(why)));
          }
          // A leader that stopped leading, or a lost answer: the same seq is applied at most once.
          setTimeout(attempt, RETRY_MS);
        };
        if (leader === this.host.id) this.host.submit(client, seq, op, onReply);
        else if (leader !== null && !localOnly) {
          this.host.forward(leader, client, seq, op, Math.min(left, FORWARD_TIMEOUT_MS), onReply);
        } else if (localOnly) {
          return finish(() => reject(new ProposalRefusedError('not the metadata leader')));
        } else setTimeout(attempt, RETRY_MS);
      };
      attempt();
    });
  }
}
