/** The finished run's figures, its digest (equal digests mean the same run) and how to replay it. */
import type { RunResult } from '../../../src/sim/run.js';
import type { ScriptAction } from '../../../src/sim/script.js';
import { cliCommand, type RunConfig } from '../run-config.js';

export function Summary(props: {
  readonly result: RunResult;
  readonly config: RunConfig;
  readonly script: readonly ScriptAction[];
}) {
  const r = props.result;
  return (
    <div class="summary" data-testid="summary">
      <dl>
        <dt>operations</dt>
        <dd>
          {r.ops.ok} ok, {r.ops.fail} failed, {r.ops.unknown} unknown
        </dd>
        <dt>latency</dt>
        <dd>
          p50 {r.latency.p50} ms, p99 {r.latency.p99} ms
        </dd>
        <dt>messages</dt>
        <dd>
          {r.messages.sent} sent, {r.messages.delivered} delivered, {r.messages.dropped} dropped,{' '}
          {r.messages.duplicated} duplicated ({r.msgsPerOp} per op)
        </dd>
        <dt>longest unavailability</dt>
        <dd>{r.unavailableMs} ms</dd>
        <dt>virtual time</dt>
        <dd>
          {r.virtualMs} ms ({r.events} events, {Math.round(r.wallMs)} ms wall)
        </dd>
        <dt>trace digest</dt>
        <dd>
          <code data-testid="digest">{r.traceDigest}</code>
        </dd>
        <dt>replay from the CLI</dt>
        <dd>
          <code>{cliCommand(props.config)}</code>
          {props.script.length > 0 && (
            <span class="muted">
              {' '}
              (the CLI cannot replay the {props.script.length} interactive fault(s): use the link)
            </span>
          )}
        </dd>
      </dl>
    </div>
  );
}
