/** What a Zab ensemble replicates: the service its delivered transactions are applied to. */
import type { Json } from '../../core/json.js';
import type { Txn } from './messages.js';

export interface ZabStateMachine {
  /** Well-formed operations only; anything else is turned away before it is proposed. */
  valid(op: Json): boolean;
  /**
   * Applies a delivered transaction, in zxid order. Must be deterministic, and must deduplicate
   * by client and seq, so a transaction proposed twice (a retry) takes effect once.
   */
  apply(txn: Txn): Json;
  /** The result of this client's request `seq` if it has already been applied, else undefined. */
  recall(client: string, seq: number): { readonly result: Json } | undefined;
  summary(): Record<string, Json>;
}
