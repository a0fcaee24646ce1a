/**
 * The transactional database (`spanner`, `cockroach`) in the lab: arrows named by the range
 * and what they carry ("r1 append put k05", "get k03", "commit n1.4", "r1 append split at k02 →
 * r1.2", "meta-put r1 r1.2", "→ key mismatch r1@2 r1.2@2"), each lane marked with the ranges
 * whose lease its node holds (and the meta range, if it leads it), a table of the ranges, a
 * timeline of their leases and each node card's replicas as an outline (lab-ranges.ts), and
 * the latest transactions on the time axis — their reads and writes, commit, commit wait,
 * intents and the intents' resolution (lab-txn-spans.ts).
 */
import type { Json } from '../../core/json.js';
import { msgField, viewNum, type LabViews } from '../../core/lab-views.js';
import { leaseTimeline, rangeLines, rangeRows, rangesLed } from './lab-ranges.js';
import { shortTxn, TXN_KINDS, TXN_ROWS, txnTimeline } from './lab-txn-spans.js';

/** `r1@2 r1.2@2`: the descriptors a split, a meta write or a key mismatch carries. */
function descsText(descs: Json | undefined): string {
  if (!Array.isArray(descs)) return '?';
  return descs
    .map((d: Json) => {
      const id = msgField(d, 'id');
      const gen = msgField(d, 'generation');
      return `${typeof id === 'string' ? id : '?'}${typeof gen === 'number' ? `@${gen}` : ''}`;
    })
    .join(' ');
}

/**
 * A range command in a few words: `get k03`, `put k05`, `commit n1.4`, `push n2.7`, `lease n2`,
 * `split at k04 → r1.2`, `meta-put r1@2 r1.2@2`…
 */
export function rangeOpLabel(op: Json): string {
  const k = msgField(op, 'k');
  const key = msgField(op, 'key');
  const id = msgField(op, 'id');
  switch (k) {
    case 'lease': {
      const holder = msgField(op, 'holder');
      return `lease ${typeof holder === 'string' ? holder : '?'}`;
    }
    case 'split': {
      const right = msgField(op, 'right');
      return `split at ${typeof key === 'string' ? key : '?'} → ${typeof right === 'string' ? right : '?'}`;
    }
    case 'meta-put':
      return `meta-put ${descsText(msgField(op, 'descs'))}`;
    case 'meta-scan':
      return 'meta-scan';
    case 'get':
    case 'put':
    case 'resolve':
      return `${k} ${typeof key === 'string' ? key : '?'}`;
    case 'scan': {
      const lo = msgField(op, 'lo');
      const hi = msgField(op, 'hi');
      return `scan ${typeof lo === 'string' ? lo : '?'}…${typeof hi === 'string' ? hi : '∞'}`;
    }
    case 'refresh': {
      const keys = msgField(op, 'keys');
      return `refresh ${Array.isArray(keys) ? keys.length : '?'} keys`;
    }
    case 'push': {
      const pushee = msgField(op, 'pushee');
      return `push ${typeof pushee === 'string' ? shortTxn(pushee) : '?'}`;
    }
    case 'begin':
    case 'heartbeat':
    case 'commit':
    case 'rollback':
      return `${k} ${typeof id === 'string' ? shortTxn(id) : '?'}`;
    default:
      return String(k);
  }
}

/** What a range answered: `written`, `value`, `committed` (a record), `not leader`… */
function replyLabel(reply: Json | undefined): string {
  if (msgField(reply ?? null, 'ok') !== true) {
    const error = msgField(reply ?? null, 'error');
    return `× ${typeof error === 'string' ? error : 'error'}`;
  }
  const value = msgField(reply ?? null, 'value') ?? null;
  const kind = msgField(value, 'kind');
  if (kind === 'record') {
    const status = msgField(msgField(value, 'record') ?? null, 'status');
    return typeof status === 'string' ? status : 'no record';
  }
  if (kind === 'refresh') return msgField(value, 'ok') === true ? 'refreshed' : 'refresh failed';
  // The sender routed by a stale descriptor: the range's own and its split-off ones, to re-route.
  if (kind === 'range-key-mismatch') return `key mismatch ${descsText(msgField(value, 'descs'))}`;
  if (kind === 'descriptors') return `directory ${descsText(msgField(value, 'descs'))}`;
  if (kind === 'meta-put') return 'directory written';
  if (kind === 'lease-changed') return '× lease changed';
  return typeof kind === 'string' ? kind : 'ok';
}

/** A Raft message inside a range's envelope: `r1 append put k05`, `r2 vote t3`, `r1 hb`. */
function groupLabel(range: string, raft: Json): string {
  const type = msgField(raft, 'type');
  const term = msgField(raft, 'term');
  const entries = msgField(raft, 'entries');
  if (type === 'append' && Array.isArray(entries)) {
    const ops = entries.flatMap((e: Json) => {
      const op = msgField(msgField(e, 'command') ?? null, 'op');
      return op === undefined ? [] : [op];
    });
    if (entries.length === 0) return `${range} append`;
    if (ops.length === 1 && entries.length === 1) return `${range} append ${rangeOpLabel(ops[0]!)}`;
    return `${range} append ${entries.length}e`;
  }
  if (type === 'heartbeat') return `${range} hb`;
  if (type === 'heartbeat-resp') return `${range} hb-resp`;
  const granted = msgField(raft, 'granted');
  const parts = [range, String(type)];
  if (typeof granted === 'boolean') parts.push(granted ? 'yes' : 'no');
  if (type !== 'append-resp' && typeof term === 'number') parts.push(`t${term}`);
  return parts.join(' ');
}

export function txndbLabel(msg: Json): string {
  const type = msgField(msg, 'type');
  if (type === 'group') {
    const range = msgField(msg, 'group');
    return groupLabel(typeof range === 'string' ? range : '?', msgField(msg, 'msg') ?? null);
  }
  if (type === 'range-req') return rangeOpLabel(msgField(msg, 'op') ?? null);
  if (type === 'range-resp') return `→ ${replyLabel(msgField(msg, 'reply'))}`;
  return String(type);
}

/** The lane's mark of what a node serves: the ranges by name, or how many past three. */
export function ledMark(led: readonly string[]): string {
  return led.length <= 3 ? led.join(' ') : `${led.length} ranges`;
}

export const txndbLabViews: LabViews = {
  messageLabel: txndbLabel,
  // A node leads (★) while it holds some range's lease (as it applied it), or leads the meta
  // range: "leads meta r1 r3", or "leads 7 ranges" past what a lane's label has room for (the
  // node card lists them); then how many transactions it coordinates.
  lane: (view, node) => {
    const led = rangesLed(view, node);
    const coordinating = viewNum(view, 'coordinating') ?? 0;
    return {
      role: led.length > 0 ? 'leads' : 'replica',
      lead: led.length > 0,
      marks: [
        ...(led.length > 0 ? [ledMark(led)] : []),
        ...(coordinating > 0 ? [`${coordinating} txn${coordinating === 1 ? '' : 's'}`] : []),
      ],
    };
  },
  panels: [
    {
      kind: 'table',
      id: 'ranges',
      title:
        'Ranges and their leaseholders (the meta range has no lease: its Raft leader serves it)',
      columns: [
        'range',
        'span',
        'replicas',
        'leaseholder',
        'lease start (ms)',
        'expires (ms)',
        'lease changes',
        'keys',
      ],
      rows: rangeRows,
    },
    {
      kind: 'timeline',
      id: 'leases',
      title: 'Leaseholders over time',
      kinds: [
        { id: 'lease', label: 'lease held (node, lease #)' },
        { id: 'leader', label: 'meta range led (node, Raft term)' },
      ],
      spans: leaseTimeline,
    },
    {
      kind: 'timeline',
      id: 'txns',
      title: 'The latest transactions: reads, writes, commit, commit wait, intents',
      kinds: TXN_KINDS,
      focus: 'a transaction (n1.4) or a key (k05)',
      spans: (run, focus) => txnTimeline(run, TXN_ROWS, focus),
    },
  ],
  nodeOutline: { field: 'ranges', title: 'ranges', lines: rangeLines },
};
