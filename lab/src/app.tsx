/**
 * The lab page: choose a run, watch it, break it, replay it. Owns the run controller (or the
 * opened files), the playback loop, the viewport and the time cursor shared by every panel.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { modelNames } from '../../src/check/index.js';
import type { HistoryOp } from '../../src/core/history.js';
import type { ScriptAction, ScriptActionBody } from '../../src/sim/script.js';
import { systems } from '../../src/systems/index.js';
import { formatMs } from './canvas.js';
import { latencySeries, leaderChangeSeries, throughputSeries } from './chart-data.js';
import type { LaneLabel } from './lamport/draw.js';
import { LamportDiagram } from './lamport/index.js';
import { centreOn, zoom, type Viewport } from './lamport/viewport.js';
import { fileData, liveData, type LabData } from './lab-data.js';
import { openFile, type OpenedFile } from './open-file.js';
import { highlights } from './ops-model.js';
import { Charts } from './panels/charts.js';
import { FaultPanel, Playback, RunForm } from './panels/controls.js';
import { Happenings, happenings } from './panels/happenings.js';
import { Legend } from './panels/legend.js';
import { NodeStates } from './panels/node-state.js';
import { OpsTimeline } from './panels/ops-timeline.js';
import { Summary } from './panels/summary.js';
import {
  panelContents,
  SystemPanels,
  useThrottledPanels,
  type PanelFocus,
} from './panels/system-panels.js';
import { Verdict } from './panels/verdict.js';
import { configProblem, defaultConfig, type RunConfig } from './run-config.js';
import { RunController } from './run-controller.js';
import { playbackState } from './playback-state.js';
import { decodeShare, encodeShare } from './share-url.js';
import { leaderSpans } from './snapshots.js';
import { labRun, laneLabels, leadsBy, verdictName } from './system-views.js';

/** The systems a page can run (SystemDefinition.nodeOnly: the others, and why, in the footer). */
const ALL_SYSTEMS = systems().filter((s) => s.nodeOnly === undefined);
const NODE_ONLY = systems().filter((s) => s.nodeOnly !== undefined);
/** Wall-clock budget of simulation per animation frame, so the page stays responsive. */
const FRAME_BUDGET_MS = 12;
/** How often the charts are recomputed while a run plays. */
const CHART_EVERY_MS = 400;

type Source =
  | { readonly kind: 'none' }
  | { readonly kind: 'live'; readonly controller: RunController }
  | { readonly kind: 'files'; readonly data: LabData };

export function App() {
  const shared = useMemo(() => readShared(), []);
  const preferred = ALL_SYSTEMS.find((s) => s.name === 'kv-raft') ?? ALL_SYSTEMS[0];
  const [config, setConfig] = useState<RunConfig>(
    shared.run?.config ?? defaultConfig(preferred as (typeof ALL_SYSTEMS)[number]),
  );
  const [source, setSource] = useState<Source>({ kind: 'none' });
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1000);
  /** What was typed in each timeline panel's focus box. */
  const [panelFocus, setPanelFocus] = useState<PanelFocus>({});
  const [version, setVersion] = useState(0);
  const [chartVersion, setChartVersion] = useState(0);
  const [follow, setFollow] = useState(true);
  const [viewport, setViewport] = useState<Viewport>({ t0: 0, t1: 100 });
  const [cursor, setCursor] = useState(0);
  const [error, setError] = useState<string | undefined>(shared.error);
  const [model, setModel] = useState('kv');
  const [files, setFiles] = useState<OpenedFile[]>([]);
  const lastChart = useRef(0);

  const controller = source.kind === 'live' ? source.controller : null;
  const data: LabData | null =
    source.kind === 'live'
      ? liveData(source.controller)
      : source.kind === 'files'
        ? source.data
        : null;
  const extent = Math.max(data?.now ?? 0, 1);

  const start = (c: RunConfig, script: readonly ScriptAction[] = [], play = true) => {
    const system = ALL_SYSTEMS.find((s) => s.name === c.system);
    if (system === undefined) return;
    try {
      const ctl = new RunController(c, system, script);
      setSource({ kind: 'live', controller: ctl });
      setError(undefined);
      setFollow(true);
      setCursor(0);
      setPlaying(play);
      writeShare(c, script);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  // A shared link starts its run at once; otherwise the default run waits at t = 0, so a
  // newcomer can choose a fault before anything happens.
  useEffect(() => {
    if (shared.run !== undefined) start(shared.run.config, shared.run.script);
    else if (shared.error === undefined) start(config, [], false);
  }, []);

  // The playback loop: advance virtual time by speed × elapsed wall time, within a frame budget.
  useEffect(() => {
    if (!playing || controller === null) return;
    let frame = 0;
    let last = performance.now();
    const tick = (wall: number) => {
      const dt = Math.min(100, Math.max(0, wall - last));
      last = wall;
      const target = Number.isFinite(speed) ? controller.now + (speed * dt) / 1000 : Infinity;
      const finished = controller.advance(target, FRAME_BUDGET_MS);
      setVersion((v) => v + 1);
      if (finished || wall - lastChart.current > CHART_EVERY_MS) {
        lastChart.current = wall;
        setChartVersion((v) => v + 1);
      }
      if (finished) {
        setPlaying(false);
        writeShare(controller.config, controller.script);
      } else frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [playing, controller, speed]);

  // Following: the whole run so far is in view and the cursor is at the present.
  useEffect(() => {
    if (!follow || data === null) return;
    setViewport({ t0: 0, t1: extent });
    setCursor(data.now);
  }, [follow, version, data?.now, source]);

  const act = (a: ScriptActionBody) => {
    if (controller === null || controller.over) return;
    controller.act(a);
    writeShare(controller.config, controller.script);
    setVersion((v) => v + 1);
  };

  const snapshots = data?.snapshots ?? null;
  const snapshotCount = snapshots?.size ?? 0;
  // What the running system declares for the lab (src/core/lab-views.ts); opened files have none.
  const views = controller?.system.labViews;
  const leaders = useMemo(
    () => (snapshots === null ? [] : leaderSpans(snapshots, leadsBy(views))),
    [snapshots, snapshotCount],
  );
  const diagram = data?.diagram ?? null;
  const labels: LaneLabel[] = laneLabels(views, diagram?.lanes ?? [], snapshots, cursor);
  const evidenceMarks = useMemo(() => highlights(data?.check?.evidence), [data?.check]);
  const charts = useMemo(
    () => ({
      latency: latencySeries(data?.bars ?? []),
      throughput: throughputSeries(data?.bars ?? [], extent),
      leaders: leaderChangeSeries(leaders, extent),
    }),
    [chartVersion, source],
  );
  const declared = useThrottledPanels(
    () =>
      controller === null || views?.panels === undefined
        ? []
        : panelContents(
            views.panels,
            labRun(
              controller.session.sim.nodeIds,
              controller.now,
              controller.trace,
              controller.snapshots,
            ),
            panelFocus,
          ),
    [chartVersion, source, panelFocus],
    controller?.done ?? true,
  );
  const items = useMemo(
    () => (diagram === null ? [] : happenings(diagram, leaders)),
    [diagram, version, leaders],
  );

  const pickTime = (t: number) => {
    setFollow(false);
    setCursor(t);
    setViewport((v) => centreOn(v, t, extent));
  };
  const pickOp = (op: HistoryOp) => {
    setFollow(false);
    setCursor(op.invoke);
    const span = Math.max(20, (op.complete - op.invoke) * 4);
    setViewport(centreOn({ t0: 0, t1: span }, (op.invoke + op.complete) / 2, extent));
  };

  const openFiles = async (list: FileList | null) => {
    if (list === null || list.length === 0) return;
    try {
      const opened = await Promise.all(
        [...list].map(async (f) => openFile(f.name, await f.text())),
      );
      const suggested = opened.find((f) => f.kind === 'history' && f.suggestedModel !== undefined);
      const m =
        suggested?.kind === 'history' && suggested.suggestedModel !== undefined
          ? suggested.suggestedModel
          : model;
      setModel(m);
      setFiles(opened);
      setPlaying(false);
      setSource({ kind: 'files', data: fileData(opened, m) });
      setFollow(true);
      setError(undefined);
      history.replaceState(null, '', location.pathname + location.search);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const problem = configProblem(config, ALL_SYSTEMS);
  const partitioned = controller !== null && diagram?.partitionAt(controller.now) !== undefined;

  return (
    <div class="lab">
      <header>
        <h1>truthkit lab</h1>
        <p class="muted">
          Watch a simulated run, break it, replay it — the simulator, the systems and the checker
          are truthkit's own code, running in this page.{' '}
          <a href="#experiments" class="nav" data-testid="experiments-link">
            Experiments: the case studies' claims, measured →
          </a>
        </p>
      </header>
      <div class="layout">
        <aside>
          <section>
            <h2>Run</h2>
            <RunForm
              systems={ALL_SYSTEMS}
              config={config}
              onChange={setConfig}
              onRun={() => start(config)}
              problem={problem}
            />
            {NODE_ONLY.map((s) => (
              <p class="muted small" key={s.name} data-testid={`node-only-${s.name}`}>
                Not in the browser: {s.name} — {s.nodeOnly}.
              </p>
            ))}
          </section>
          <section>
            <h2>Playback</h2>
            <Playback
              state={playbackState(controller, playing)}
              speed={speed}
              onSpeed={setSpeed}
              onPlay={() => setPlaying(true)}
              onPause={() => setPlaying(false)}
              onGoOn={() => {
                controller?.goOn();
                setPlaying(true);
              }}
              onEnd={() => {
                setPlaying(false);
                controller?.end();
                setVersion((v) => v + 1);
                setChartVersion((v) => v + 1);
              }}
              onToEnd={() => {
                setSpeed(Infinity);
                setPlaying(true);
              }}
              onReplay={() => controller !== null && start(controller.config, controller.script)}
            />
          </section>
          {controller !== null && (
            <section>
              <h2>Faults</h2>
              <p class="muted small">
                Applied at the current virtual instant ({formatMs(controller.now)}) and recorded, so
                the run replays exactly. Pause playback first to choose the moment.
              </p>
              <FaultPanel
                nodes={controller.session.sim.nodeIds}
                statusOf={(n) => controller.session.sim.status(n)}
                partitioned={partitioned}
                disabled={controller.over}
                onAct={act}
              />
              <Share controller={controller} version={version} />
            </section>
          )}
          <section>
            <h2>Open a file</h2>
            <p class="muted small">
              A trace or a history written by <code>truthkit sim --trace/--history</code> (or both).
            </p>
            <input
              type="file"
              multiple
              data-testid="open-file"
              accept=".jsonl,.json,.log,.edn,.txt"
              onChange={(e) => void openFiles(e.currentTarget.files)}
            />
            {files.some((f) => f.kind === 'history') && (
              <label>
                Checker model
                <select
                  value={model}
                  onChange={(e) => {
                    setModel(e.currentTarget.value);
                    setSource({ kind: 'files', data: fileData(files, e.currentTarget.value) });
                  }}
                >
                  {modelNames().map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </select>
              </label>
            )}
          </section>
          <Legend />
        </aside>
        <main>
          {error !== undefined && (
            <p class="error" data-testid="error">
              {error}
            </p>
          )}
          {data === null ? (
            <section class="empty">
              <p>Choose a system and press Run, or open a trace or history file.</p>
            </section>
          ) : (
            <>
              <section>
                <div class="toolbar">
                  <h2 data-testid="run-title">{data.title}</h2>
                  <span class="muted">
                    t = {formatMs(data.now)}
                    {diagram !== null && ` · ${diagram.events} events`}
                  </span>
                  <span class="spacer" />
                  <button
                    onClick={() => {
                      setFollow(false);
                      setViewport((v) => zoom(v, 0.5, cursor, extent));
                    }}
                    title="Zoom in"
                  >
                    +
                  </button>
                  <button
                    onClick={() => {
                      setFollow(false);
                      setViewport((v) => zoom(v, 2, cursor, extent));
                    }}
                    title="Zoom out"
                  >
                    −
                  </button>
                  <button
                    data-testid="follow"
                    class={follow ? 'active' : ''}
                    onClick={() => setFollow(true)}
                  >
                    {controller !== null && !controller.atRest ? 'Follow live' : 'Fit'}
                  </button>
                </div>
                {diagram !== null ? (
                  <LamportDiagram
                    model={diagram}
                    version={version}
                    viewport={viewport}
                    onViewport={(v) => {
                      setFollow(false);
                      setViewport(v);
                    }}
                    cursor={cursor}
                    onCursor={(t) => {
                      setFollow(false);
                      setCursor(t);
                    }}
                    now={data.now}
                    extent={extent}
                    leaders={leaders}
                    labels={labels}
                  />
                ) : (
                  <p class="muted">A history alone has no messages to draw; open its trace too.</p>
                )}
                <div class="scrubber">
                  <input
                    type="range"
                    data-testid="scrubber"
                    min={0}
                    max={extent}
                    step={extent / 2000}
                    value={cursor}
                    onInput={(e) => {
                      setFollow(false);
                      const t = Number(e.currentTarget.value);
                      setCursor(t);
                      setViewport((v) => (t < v.t0 || t > v.t1 ? centreOn(v, t, extent) : v));
                    }}
                  />
                  <span class="cursor-time">cursor {formatMs(cursor)}</span>
                </div>
              </section>
              <section class="split">
                <div>
                  <h2>Node state at {formatMs(cursor)}</h2>
                  {snapshots !== null ? (
                    <NodeStates
                      nodes={snapshots.nodeIds}
                      snapshots={snapshots}
                      cursor={cursor}
                      outline={views?.nodeOutline}
                    />
                  ) : (
                    <p class="muted">
                      A trace does not record node state: run the system here to see it.
                    </p>
                  )}
                </div>
                <div>
                  <h2>What happened</h2>
                  <Happenings items={items} onPick={pickTime} />
                </div>
              </section>
              <section>
                <h2>Client operations</h2>
                <OpsTimeline
                  bars={data.bars}
                  version={version}
                  highlights={evidenceMarks}
                  viewport={viewport}
                  cursor={cursor}
                  now={data.now}
                  onCursor={(t) => {
                    setFollow(false);
                    setCursor(t);
                  }}
                />
                <p class="muted small">
                  Bars: <span class="key ok">ok</span> <span class="key fail">fail</span>{' '}
                  <span class="key unknown">unknown</span> <span class="key pending">pending</span>{' '}
                  — outlined: <span class="key blocked">impossible next</span>{' '}
                  <span class="key deadline">deadline</span>{' '}
                  <span class="key prefix">linearized prefix</span>
                </p>
                {data.verdict !== null && (
                  <Verdict
                    state={data.verdict}
                    check={data.check}
                    judged={data.judged}
                    failure={data.failure}
                    named={verdictName(
                      data.verdict,
                      data.check?.verdict ?? null,
                      data.judged?.verdict ?? null,
                      views,
                    )}
                    onOp={pickOp}
                  />
                )}
              </section>
              <section>
                <h2>Charts</h2>
                <Charts
                  latency={charts.latency}
                  throughput={charts.throughput}
                  leaders={charts.leaders}
                  hasLeaders={leaders.length > 0}
                />
                <SystemPanels
                  contents={declared}
                  focus={panelFocus}
                  onFocus={(panel, typed) => setPanelFocus((f) => ({ ...f, [panel]: typed }))}
                />
              </section>
              {data.result !== null && controller !== null && (
                <section>
                  <h2>Summary</h2>
                  <Summary
                    result={data.result}
                    config={controller.config}
                    script={controller.script}
                  />
                </section>
              )}
            </>
          )}
        </main>
      </div>
    </div>
  );
}

function Share(props: { readonly controller: RunController; readonly version: number }) {
  const url = `${location.origin}${location.pathname}#${encodeShare({ config: props.controller.config, script: props.controller.script })}`;
  return (
    <div class="share">
      <h2>Share</h2>
      <p class="muted small">
        {props.controller.script.length} recorded fault(s). This link replays the run exactly:
      </p>
      <input
        readOnly
        data-testid="share-url"
        value={url}
        onFocus={(e) => e.currentTarget.select()}
      />
    </div>
  );
}

function readShared(): { run?: ReturnType<typeof decodeShare>; error?: string } {
  try {
    const run = decodeShare(location.hash, ALL_SYSTEMS);
    return run === undefined ? {} : { run };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function writeShare(config: RunConfig, script: readonly ScriptAction[]): void {
  history.replaceState(null, '', `#${encodeShare({ config, script })}`);
}
