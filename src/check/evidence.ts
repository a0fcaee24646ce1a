/**
 * Why a history is not linearizable, in terms a person can follow: in the partition that
 * fails, the longest prefix the search could linearize, and the operations that would have to
 * come next but cannot. One of them had to take effect before `deadline` completed.
 */
import type { HistoryOp } from '../core/history.js';
import type { SearchOp } from './linearizability.js';
import type { AnyModel } from './model.js';
import type { SearchSpec } from './search-spec.js';

export interface PlacedOp {
  readonly op: HistoryOp;
  readonly description: string;
  /** The model's state once this operation has taken effect. */
  readonly stateAfter: string;
}

export interface BlockedOp {
  readonly op: HistoryOp;
  readonly description: string;
  readonly reason: string;
}

export interface Evidence {
  /** The key of the failing partition; null for the whole history (or ops without a key). */
  readonly partition: string | null;
  /** Ids of every operation in that partition, failed and unknown ones included. */
  readonly opIds: readonly number[];
  readonly initialState: string;
  /** The longest linearizable prefix found, in linearization order. */
  readonly prefix: readonly PlacedOp[];
  readonly stateAfterPrefix: string;
  /** Operations that could come next after the prefix, each impossible there. */
  readonly blocked: readonly BlockedOp[];
  /** The first operation to complete among those not in the prefix. */
  readonly deadline: { readonly op: HistoryOp; readonly description: string } | null;
}

export function buildEvidence(args: {
  partition: string | null;
  allOps: readonly HistoryOp[];
  searched: readonly HistoryOp[];
  searchOps: readonly SearchOp[];
  spec: SearchSpec;
  model: AnyModel;
  longest: readonly number[];
}): Evidence {
  const { searched, searchOps, spec, model, longest } = args;
  let state = spec.init;
  const prefix: PlacedOp[] = [];
  for (const i of longest) {
    state = spec.step(state, spec.inputs[i]);
    const op = searched[i] as HistoryOp;
    prefix.push({ op, description: model.describeOp(op), stateAfter: spec.describeState(state) });
  }
  const placed = new Set(longest);
  const rest = searched.map((_, i) => i).filter((i) => !placed.has(i));
  let deadline: number | undefined;
  for (const i of rest) {
    const op = searchOps[i] as SearchOp;
    if (
      op.required &&
      (deadline === undefined || op.returnsAt < (searchOps[deadline] as SearchOp).returnsAt)
    )
      deadline = i;
  }
  const deadlineTime =
    deadline === undefined ? Infinity : (searchOps[deadline] as SearchOp).returnsAt;
  const stateText = spec.describeState(state);
  const blocked: BlockedOp[] = rest
    .filter((i) => (searchOps[i] as SearchOp).invoke <= deadlineTime)
    .sort((a, b) => (searchOps[a] as SearchOp).invoke - (searchOps[b] as SearchOp).invoke)
    .map((i) => {
      const op = searched[i] as HistoryOp;
      const possible = spec.step(state, spec.inputs[i]) !== undefined;
      return {
        op,
        description: model.describeOp(op),
        reason: possible
          ? 'possible here, but no linearization continues from it'
          : `impossible when the state is ${stateText}`,
      };
    });
  const deadlineOp = deadline === undefined ? undefined : searched[deadline];
  return {
    partition: args.partition,
    opIds: args.allOps.map((op) => op.id),
    initialState: spec.describeState(spec.init),
    prefix,
    stateAfterPrefix: stateText,
    blocked,
    deadline: deadlineOp ? { op: deadlineOp, description: model.describeOp(deadlineOp) } : null,
  };
}

/** How many prefix operations the text form shows (the last ones: they lead to the failure). */
const PREFIX_LINES = 12;

function opLine(op: HistoryOp, description: string): string {
  return `#${op.id} client ${op.process}: ${description}`;
}

/** The evidence as indented text lines, for the human summary. */
export function formatEvidence(evidence: Evidence): string {
  const lines: string[] = [];
  const where =
    evidence.partition === null ? 'the whole history' : `key ${JSON.stringify(evidence.partition)}`;
  lines.push(`Violation in ${where} (${evidence.opIds.length} operations).`);
  lines.push(
    `Longest linearizable prefix: ${evidence.prefix.length} operations, from state ${evidence.initialState}:`,
  );
  const shown = evidence.prefix.slice(-PREFIX_LINES);
  if (shown.length < evidence.prefix.length)
    lines.push(`  … ${evidence.prefix.length - shown.length} earlier operations`);
  for (const p of shown) lines.push(`  ${opLine(p.op, p.description)}   ⇒ ${p.stateAfter}`);
  lines.push(`Then the state is ${evidence.stateAfterPrefix}, and none of these can come next:`);
  for (const b of evidence.blocked) lines.push(`  ✗ ${opLine(b.op, b.description)}: ${b.reason}`);
  if (evidence.deadline)
    lines.push(
      `All were invoked before ${opLine(evidence.deadline.op, evidence.deadline.description)} completed, so one of them had to come next.`,
    );
  return lines.join('\n') + '\n';
}
