/** The finished run's figures, its digest (equal digests mean the same run) and how to replay it. */
import type { RunResult } from '../../../src/sim/run.js';
import type { ScriptAction } from '../../../src/sim/script.js';
import { Fragment } from 'preact';
import { cliCommand, type RunConfig } from '../run-config.js';
import { clientRows } from '../summary-rows.js';

export function Summary(props: {
  readonly result: RunResult;
  readonly config: RunConfig;
  readonly script: readonly ScriptAction[];
}) {
  const r = props.result;
  return (
    <div class="summary" data-testid="summary">
      <dl>
        {clientRows(r).map(([label, value]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </Fragment>
        ))}
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
