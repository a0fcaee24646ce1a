/**
 * The one place the front end takes an `etcd-raft` member's store out of its state machine
 * (Maintenance.Snapshot, Hash) and puts one back (`--from-snapshot`). It goes through the
 * machine's own `snapshot()` / `restore()` (what Raft snapshots hold), keeping what
 * `etcdctl snapshot restore` keeps — every key with its history since the last compaction,
 * the revision and compacted revision, the leases and their keys — and dropping what belongs
 * to the old cluster: its clients' sessions (truthkit's exactly-once table) and its count of
 * applied ops. Membership is not in the machine's state at all: a restored cluster is made
 * of the members it is started with, as etcd's restore writes a new membership.
 */
import type { Json } from '../../core/json.js';
import type { StateMachine } from '../../protocols/raft/raft-node.js';
import { etcdSnapshotProblem } from '../../systems/etcd/snapshot-schema.js';
import { SnapshotFileError } from './snapshot-file.js';

/** The store as a snapshot file holds it. */
export interface StoreState {
  readonly store: Json;
  readonly leases: Json;
}

type Machine = Pick<StateMachine, 'snapshot' | 'restore'> & {
  snapshotProblem?(data: Json): string | undefined;
};

/** The MVCC state machine of an `etcd-raft` node, or undefined for any other node. */
function machineOf(node: unknown): Machine | undefined {
  if (typeof node !== 'object' || node === null || !('machine' in node)) return undefined;
  const m = (node as { machine: unknown }).machine as Partial<Machine> | null;
  return typeof m?.snapshot === 'function' && typeof m.restore === 'function'
    ? (m as Machine)
    : undefined;
}

function isObject(x: unknown): x is Record<string, Json> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The member's applied store and leases, as of now (a copy the store will not change). */
export function storeStateOf(node: unknown): StoreState {
  const m = machineOf(node);
  if (m === undefined) throw new Error('this node holds no MVCC store');
  const snap = m.snapshot();
  if (!isObject(snap) || snap.store === undefined || snap.leases === undefined) {
    throw new Error("the machine's snapshot has no store or leases");
  }
  return { store: snap.store, leases: snap.leases };
}

/**
 * The machine snapshot a file's state restores as, or a SnapshotFileError when it is not the
 * state of an etcd-raft store (checked before a new member writes anything).
 */
export function machineSnapshotOf(state: Json, name = 'snapshot'): Json {
  if (!isObject(state) || state.store === undefined || state.leases === undefined) {
    throw new SnapshotFileError('malformed', `${name}: the state has no store or leases`);
  }
  const full: Json = { store: state.store, leases: state.leases, sessions: [], ops: 0 };
  const problem = etcdSnapshotProblem(full);
  if (problem !== undefined) {
    throw new SnapshotFileError('malformed', `${name}: not an etcd-raft store: ${problem}`);
  }
  return full;
}

/** Replaces the node's store with a checked machine snapshot (machineSnapshotOf) before it starts. */
export function restoreStoreState(node: unknown, snapshot: Json): void {
  const m = machineOf(node);
  if (m === undefined) throw new Error('--from-snapshot: this system holds no MVCC store');
  const problem = m.snapshotProblem?.(snapshot);
  if (problem !== undefined) throw new Error(`--from-snapshot: ${problem}`);
  m.restore(snapshot);
}
