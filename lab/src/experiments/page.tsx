/**
 * The Experiments page: every registered experiment with its claim; Run runs the chosen one in a
 * Web Worker (Cancel terminates it) and shows what `truthkit experiment NAME --report` writes:
 * the same HTML, plots and stylesheet, from the same renderer.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ExperimentResult } from '../../../src/experiments/experiment.js';
import { experiments } from '../../../src/experiments/registry.js';
import { RESULT_CSS, renderResultHtml } from '../../../src/experiments/report/result-html.js';
import {
  formatExperimentsFragment,
  parseSeedInput,
  type ExperimentMode,
  type ExperimentsRoute,
} from './route.js';
import type { RunAnswer, RunRequest } from './worker-protocol.js';

const ALL = experiments();

type RunState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'running'; readonly id: number; readonly started: number }
  | {
      readonly kind: 'done';
      readonly name: string;
      readonly seed: number;
      readonly quick: boolean;
      readonly result: ExperimentResult;
      readonly ms: number;
    }
  | { readonly kind: 'failed'; readonly message: string };

export function ExperimentsPage(props: { readonly initial: ExperimentsRoute }) {
  const [name, setName] = useState(props.initial.name ?? ALL[0]?.name ?? '');
  const [seedText, setSeedText] = useState(String(props.initial.seed));
  const [mode, setMode] = useState<ExperimentMode>(props.initial.mode);
  const [run, setRun] = useState<RunState>({ kind: 'idle' });
  const [now, setNow] = useState(0);
  const worker = useRef<Worker | null>(null);
  const nextId = useRef(1);
  const seed = parseSeedInput(seedText);
  const chosen = ALL.find((e) => e.name === name);

  // The choice lives in the fragment, so the address bar is always a link to it.
  useEffect(() => {
    if (seed === undefined) return;
    history.replaceState(null, '', `#${formatExperimentsFragment({ name, seed, mode })}`);
  }, [name, seed, mode]);

  // A running clock while the worker works; the worker itself cannot report progress.
  useEffect(() => {
    if (run.kind !== 'running') return;
    const timer = setInterval(() => setNow(performance.now()), 200);
    return () => clearInterval(timer);
  }, [run.kind]);

  useEffect(() => () => worker.current?.terminate(), []);

  const stop = () => {
    worker.current?.terminate();
    worker.current = null;
  };

  const start = () => {
    if (seed === undefined || chosen === undefined) return;
    stop();
    const id = nextId.current++;
    const w = new Worker(new URL('./experiment-worker.ts', import.meta.url), { type: 'module' });
    worker.current = w;
    const request: RunRequest = { id, name, seed, quick: mode === 'quick' };
    w.onmessage = (e: MessageEvent<RunAnswer>) => {
      const a = e.data;
      if (a.id !== id) return;
      stop();
      setRun(
        a.kind === 'done'
          ? { kind: 'done', name, seed, quick: request.quick, result: a.result, ms: a.ms }
          : { kind: 'failed', message: a.message },
      );
    };
    w.onerror = (e: ErrorEvent) => {
      stop();
      setRun({ kind: 'failed', message: `the worker failed: ${e.message}` });
    };
    w.postMessage(request);
    setNow(performance.now());
    setRun({ kind: 'running', id, started: performance.now() });
  };

  const cancel = () => {
    stop();
    setRun({ kind: 'idle' });
  };

  const shown = run.kind === 'done' ? ALL.find((e) => e.name === run.name) : undefined;
  const html = useMemo(
    () =>
      run.kind === 'done' && shown !== undefined
        ? renderResultHtml(shown, run.result, { seed: run.seed, quick: run.quick })
        : '',
    [run, shown],
  );
  const running = run.kind === 'running';

  return (
    <div class="lab experiments-page">
      <style>{RESULT_CSS}</style>
      <header>
        <h1>truthkit lab · Experiments</h1>
        <p class="muted">
          The case studies' claims, measured by truthkit's own code in this page.{' '}
          <a href="#" class="nav" data-testid="lab-link">
            ← back to the lab
          </a>
        </p>
      </header>
      <div class="layout">
        <aside>
          <section>
            <h2>Experiments</h2>
            <ul class="experiment-list" data-testid="experiment-list">
              {ALL.map((e) => (
                <li key={e.name}>
                  <label class="check experiment-choice">
                    <input
                      type="radio"
                      name="experiment"
                      value={e.name}
                      checked={e.name === name}
                      disabled={running}
                      onChange={() => setName(e.name)}
                    />
                    <span>
                      <strong>{e.name}</strong>
                      <span class="muted small claim"> {e.claim}</span>
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          </section>
        </aside>
        <main>
          <section>
            <h2>{name}</h2>
            <p data-testid="claim">{chosen?.claim}</p>
            <div class="toolbar">
              <label>
                Seed
                <input
                  name="experiment-seed"
                  value={seedText}
                  disabled={running}
                  onInput={(e) => setSeedText(e.currentTarget.value)}
                />
              </label>
              <label class="check">
                <input
                  type="checkbox"
                  name="full"
                  checked={mode === 'full'}
                  disabled={running}
                  onChange={(e) => setMode(e.currentTarget.checked ? 'full' : 'quick')}
                />
                full run (more trials, narrower error bars, slower)
              </label>
              <span class="spacer" />
              {running ? (
                <button data-testid="cancel-experiment" onClick={cancel}>
                  Cancel
                </button>
              ) : (
                <button
                  class="primary"
                  data-testid="run-experiment"
                  disabled={seed === undefined || chosen === undefined}
                  onClick={start}
                >
                  Run
                </button>
              )}
            </div>
            {seed === undefined && <p class="error">The seed must be a whole number from 0.</p>}
            {run.kind === 'running' && (
              <p class="muted" data-testid="experiment-running">
                Running {name} ({mode}) in a worker…{' '}
                {((Math.max(now, run.started) - run.started) / 1000).toFixed(1)} s
              </p>
            )}
            {run.kind === 'failed' && (
              <p class="error" data-testid="error">
                {run.message}
              </p>
            )}
            {run.kind === 'done' && (
              <p class="muted small" data-testid="experiment-took">
                {run.name}, seed {run.seed}, {run.quick ? 'quick' : 'full'}:{' '}
                {(run.ms / 1000).toFixed(1)} s in the worker.
              </p>
            )}
          </section>
          {html !== '' && (
            <section data-testid="experiment-result" dangerouslySetInnerHTML={{ __html: html }} />
          )}
        </main>
      </div>
    </div>
  );
}
