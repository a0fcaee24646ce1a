/**
 * How a Raft transcript prints what it sees: log entries, messages, client operations and
 * replies, node states. One line each, stable across runs (no wall time, no nonces), short
 * enough to read in a diff.
 */
import type { Json } from '../../../../src/core/json.js';
import type { ClientReply, NodeId } from '../../../../src/core/node.js';
import type { Entry, Membership } from '../../../../src/protocols/raft/messages.js';
import type { RaftNode } from '../../../../src/protocols/raft/raft-node.js';
import { CommandError } from '../../../support/transcript/errors.js';

function scalar(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A client operation as typed in a transcript: `put k v`, `get k`, `add-server n4`, … */
export function renderOp(op: Json): string {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) return JSON.stringify(op);
  const { f, ...rest } = op as Record<string, Json>;
  const args = Object.values(rest).map((v) =>
    Array.isArray(v) ? v.map(scalar).join(' ') : scalar(v),
  );
  return [scalar(f ?? '?'), ...args].join(' ');
}

const KEY_VALUE = new Set(['put', 'append']);
const KEY = new Set(['get', 'delete']);
const NODE = new Set(['add-learner', 'add-server', 'promote', 'remove-server', 'transfer-leader']);

/** The operation `words` spell (the inverse of renderOp), or a bad-argument error. */
export function parseOp(words: readonly string[], where: string): Json {
  const [f, ...args] = words;
  const want = (n: number, what: string): void => {
    if (args.length !== n) {
      throw new CommandError(
        'bad-argument',
        `${where}: ${f} takes ${what}, got "${args.join(' ')}"`,
      );
    }
  };
  if (f === undefined) throw new CommandError('bad-argument', `${where}: missing operation`);
  if (KEY_VALUE.has(f)) {
    want(2, 'a key and a value');
    return { f, key: args[0] as string, value: args[1] as string };
  }
  if (KEY.has(f)) {
    want(1, 'a key');
    return { f, key: args[0] as string };
  }
  if (f === 'cas') {
    want(3, 'a key, the old and the new value');
    return { f, key: args[0] as string, value: [args[1] as string, args[2] as string] };
  }
  if (f === 'range') {
    want(1, 'a key prefix');
    return { f, prefix: args[0] as string };
  }
  if (NODE.has(f)) {
    want(1, 'a node');
    return { f, node: args[0] as string };
  }
  throw new CommandError(
    'bad-argument',
    `${where}: unknown operation ${f} (put append get delete cas range ${[...NODE].join(' ')})`,
  );
}

export function renderMembership(m: Membership): string {
  const learners = m.learners.length > 0 ? ` learners=${m.learners.join(',')}` : '';
  return `voters=${m.voters.length > 0 ? m.voters.join(',') : '-'}${learners}`;
}

/** `t2 put x v (c3)`: the entry's term, then what it carries. */
export function renderEntry(e: Entry): string {
  switch (e.kind) {
    case 'noop':
      return `t${e.term} noop`;
    case 'config':
      return `t${e.term} config ${renderMembership(e.config)}`;
    case 'command':
      return `t${e.term} ${renderOp(e.command.op)} (${e.command.client}#${e.command.seq})`;
  }
}

export function renderReply(client: string, from: NodeId, r: ClientReply): string {
  if (r.ok) return `${from} → ${client}: ok ${scalar(r.value)}`;
  const hint = r.leader !== undefined ? ` leader=${r.leader}` : '';
  return `${from} → ${client}: error "${r.error}" ${r.definite ? 'definite' : 'indefinite'}${hint}`;
}

/** Fields no reader needs and that change with every tweak: read rounds, request nonces. */
const QUIET_FIELDS = new Set(['type', 'round', 'ctx']);

/** `n1 → n2 vote term=2 lastIndex=3 lastTerm=1 transfer=true`. */
export function renderMessage(from: string, to: string, msg: Json): string {
  const m = msg as Record<string, Json>;
  const fields: string[] = [];
  for (const [k, v] of Object.entries(m)) {
    if (QUIET_FIELDS.has(k)) continue;
    if (k === 'entries' && Array.isArray(v)) {
      fields.push(`entries=[${(v as unknown as Entry[]).map(renderEntry).join(', ')}]`);
    } else if (k === 'chunk' && typeof v === 'string') {
      fields.push(`chunk=${v.length}ch`);
    } else if (k === 'config' && typeof v === 'object' && v !== null) {
      fields.push(`config=(${renderMembership(v as unknown as Membership)})`);
    } else {
      fields.push(`${k}=${scalar(v)}`);
    }
  }
  return `${from} → ${to} ${scalar(m.type ?? '?')} ${fields.join(' ')}`.trimEnd();
}

export function renderLogFields(fields: Json): string {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return '';
  return Object.entries(fields)
    .map(([k, v]) => ` ${k}=${scalar(v)}`)
    .join('');
}

/** One node's line of `status`. */
export function renderStatus(id: NodeId, n: RaftNode): string {
  const last = `${n.log.lastIndex()}@t${n.log.lastTerm()}`;
  const snap =
    n.log.snapshotIndex > 0 ? ` snapshot=${n.log.snapshotIndex}@t${n.log.snapshotTerm}` : '';
  return (
    `${id} ${n.role.padEnd(13)} term=${n.term} vote=${n.votedFor ?? '-'} ` +
    `commit=${n.commitIndex} applied=${n.lastApplied} last=${last}${snap}`
  );
}

/** One node's line of `raft-state`: who it follows, and the configuration it holds. */
export function renderRaftState(id: NodeId, n: RaftNode): string {
  return `${id} ${n.role.padEnd(13)} term=${n.term} lead=${n.leader ?? '-'} ${renderMembership(n.config)}`;
}

/** `log <node>`: the snapshot it starts from, then every entry, `*` marking committed ones. */
export function renderLog(id: NodeId, n: RaftNode): string[] {
  const out = [`${id}: commit=${n.commitIndex} applied=${n.lastApplied}`];
  const snap = n.log.snapshot();
  if (snap !== null)
    out.push(`  snapshot ${snap.index}@t${snap.term} ${renderMembership(snap.config)}`);
  for (let i = n.log.snapshotIndex + 1; i <= n.log.lastIndex(); i++) {
    const e = n.log.entry(i);
    if (e === undefined) throw new Error(`${id}: no entry ${i} below its last index`);
    out.push(`${i <= n.commitIndex ? '*' : ' '} ${i} ${renderEntry(e)}`);
  }
  return out;
}
