/**
 * The checker's verdict, and for a violation its evidence as a person can follow it: the
 * longest linearizable prefix (its last steps), then the operations that cannot come next.
 * Clicking an operation moves the time cursor to it.
 */
import type { CheckResult } from '../../../src/check/index.js';
import type { HistoryOp } from '../../../src/core/history.js';
import type { Judgement } from '../../../src/core/system.js';
import type { SimFailure } from '../../../src/sim/simulator.js';
import { formatMs } from '../canvas.js';
import type { VerdictName } from '../system-views.js';

export type VerdictState = 'running' | 'checking' | 'valid' | 'invalid' | 'unknown' | 'unchecked';

const PREFIX_SHOWN = 6;

export function Verdict(props: {
  readonly state: VerdictState;
  readonly check: CheckResult | null;
  readonly judged: Judgement | null;
  readonly failure: SimFailure | null;
  /** The verdict's words: what was checked, named (system-views.ts). */
  readonly named: VerdictName;
  readonly onOp: (op: HistoryOp) => void;
}) {
  const evidence = props.check?.evidence;
  const label =
    props.failure !== null ? `invariant violated ✗ — ${props.failure.message}` : props.named.text;
  const judge = props.named.judge;
  return (
    <section
      class={`verdict verdict-${props.state}`}
      data-testid="verdict"
      data-verdict={props.state}
    >
      <h3>
        Verdict: <span class="verdict-text">{label}</span>
      </h3>
      {props.check !== null && (
        <p class="muted">
          {props.check.ops} operations, {props.check.partitions} key partition(s),{' '}
          {props.check.steps} search steps, {props.check.wallMs.toFixed(0)} ms
        </p>
      )}
      {props.judged !== null && (
        <p data-testid="system-judgement">
          {judge?.name ?? "The system's own judge"}: <strong>{props.judged.verdict}</strong> —{' '}
          {props.judged.message}
          {judge?.checks !== undefined && <span class="muted"> (checks that {judge.checks})</span>}
        </p>
      )}
      {evidence !== undefined && (
        <div class="evidence" data-testid="evidence">
          <p>
            In{' '}
            {evidence.partition === null ? (
              'the whole history'
            ) : (
              <code>key {evidence.partition}</code>
            )}{' '}
            the longest linearizable order has {evidence.prefix.length} operations
            {evidence.prefix.length > PREFIX_SHOWN ? `; its last ${PREFIX_SHOWN}:` : ':'}
          </p>
          <ol class="prefix" start={Math.max(1, evidence.prefix.length - PREFIX_SHOWN + 1)}>
            {evidence.prefix.slice(-PREFIX_SHOWN).map((p) => (
              <li key={p.op.id} class="ev-op prefix-op" onClick={() => props.onOp(p.op)}>
                {opLabel(p.op, p.description)} <span class="muted">⇒ {p.stateAfter}</span>
              </li>
            ))}
          </ol>
          <p>
            Then the state is <code>{evidence.stateAfterPrefix}</code>, and none of these can come
            next:
          </p>
          <ul class="blocked-list">
            {evidence.blocked.map((b) => (
              <li
                key={b.op.id}
                class="ev-op blocked"
                data-testid="blocked-op"
                onClick={() => props.onOp(b.op)}
              >
                ✗ {opLabel(b.op, b.description)} <span class="muted">— {b.reason}</span>
              </li>
            ))}
          </ul>
          {evidence.deadline !== null && (
            <p
              class="ev-op deadline"
              onClick={() => evidence.deadline && props.onOp(evidence.deadline.op)}
            >
              All were invoked before {opLabel(evidence.deadline.op, evidence.deadline.description)}{' '}
              completed, so one of them had to come next.
            </p>
          )}
        </div>
      )}
    </section>
  );
}

function opLabel(op: HistoryOp, description: string): string {
  return `#${op.id} client ${op.process} @${formatMs(op.invoke)}: ${description}`;
}
